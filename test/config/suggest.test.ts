import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { closestMatch, didYouMean, editDistance, listKnown } from '../../config';

describe('editDistance', () => {
  const cases: Array<[string, string, number]> = [
    ['', '', 0],
    ['region', 'region', 0],
    ['region', 'regon', 1],
    ['eu-cnetral', 'eu-central', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ];
  for (const [a, b, expected] of cases) {
    test(`"${a}" to "${b}" is ${expected}`, () => {
      assert.equal(editDistance(a, b), expected);
    });
  }
});

describe('closestMatch', () => {
  test('suggests a transposed name', () => {
    assert.equal(closestMatch('eu-cnetral', ['eu-west', 'eu-central', 'us-east']), 'eu-central');
  });

  test('ignores case', () => {
    assert.equal(closestMatch('Port', ['port', 'protocol']), 'port');
  });

  test('suggests nothing for distant names', () => {
    assert.equal(closestMatch('zzz', ['port', 'protocol', 'endpoints']), undefined);
  });

  test('prefers the nearest candidate', () => {
    assert.equal(closestMatch('protocl', ['port', 'protocol']), 'protocol');
  });
});

describe('didYouMean and listKnown', () => {
  test('didYouMean quotes the suggestion', () => {
    assert.equal(didYouMean('grcp', ['http', 'grpc', 'tcp']), '; did you mean "grpc"?');
  });

  test('didYouMean is empty without a close candidate', () => {
    assert.equal(didYouMean('udp', ['http', 'grpc']), '');
  });

  test('listKnown sorts and counts the rest', () => {
    const names = Array.from({ length: 12 }, (_, index) => `r${String(index).padStart(2, '0')}`);
    assert.equal(listKnown(names), 'r00, r01, r02, r03, r04, r05, r06, r07, r08, r09 and 2 more');
    assert.equal(listKnown([]), 'none');
  });
});
