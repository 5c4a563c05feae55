import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HeldResources } from '../../loadtest/held-resources';
import type { ResourceFacts } from '../../loadtest/resource-facts';

const facts = (overrides: Partial<ResourceFacts>): ResourceFacts => ({ dependencies: [], http2: 0, marker: 0, generation: 0, ...overrides });

test('held facts follow additions and removals', () => {
  const held = new HeldResources();
  held.set('a', facts({ dependencies: ['x'], http2: 1, marker: 3 }));
  held.set('b', facts({ dependencies: ['w', 'x'], marker: 7 }));

  assert.deepEqual(held.facts(), { dependencies: ['w', 'x'], http2: 1, marker: 7, generation: 0 });

  held.delete('b');
  assert.deepEqual(held.facts(), { dependencies: ['x'], http2: 1, marker: 3, generation: 0 });

  held.set('a', facts({ dependencies: ['y'] }));
  assert.deepEqual(held.facts(), { dependencies: ['y'], http2: 0, marker: 0, generation: 0 });
});

test('held generation is the lowest', () => {
  const held = new HeldResources();
  held.set('r1', facts({ generation: 4 }));
  held.set('r2', facts({ generation: 2 }));
  assert.equal(held.facts().generation, 2);

  held.set('r2', facts({ generation: 5 }));
  assert.equal(held.facts().generation, 4, 'the minimum leaves with the replaced resource');
  held.delete('r1');
  held.delete('r2');
  assert.equal(held.facts().generation, 0, 'no resource counts as generation 0');
});

test('dependency list kept while names stay', () => {
  const held = new HeldResources();
  held.set('a', facts({ dependencies: ['x'] }));
  const first = held.facts().dependencies;

  held.set('a', facts({ dependencies: ['x'], http2: 1 }));
  assert.equal(held.facts().dependencies, first, 'same names, same list');
  held.set('b', facts({ dependencies: ['z'] }));
  assert.notEqual(held.facts().dependencies, first);
});
