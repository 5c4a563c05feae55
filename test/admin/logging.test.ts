import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../admin';

function capture(): { destination: Writable; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { destination, lines };
}

describe('createLogger', () => {
  test('writes JSON lines with component fields', () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: 'info', destination });
    logger.child({ component: 'xds' }).info({ nodeId: 'sidecar-1' }, 'stream opened');

    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.msg, 'stream opened');
    assert.equal(line.level, 'info');
    assert.equal(line.name, 'meridian');
    assert.equal(line.component, 'xds');
    assert.equal(line.nodeId, 'sidecar-1');
    assert.match(String(line.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test('drops lines below the level', () => {
    const { destination, lines } = capture();
    const logger = createLogger({ level: 'warn', destination });
    logger.info('ignored');
    logger.warn('kept');
    assert.deepEqual(lines.map((line) => line.msg), ['kept']);
  });

  test('defaults to info', () => {
    const { destination } = capture();
    assert.equal(createLogger({ destination }).level, 'info');
  });

  test('rejects an unknown level', () => {
    assert.throws(() => createLogger({ level: 'verbose' }), /invalid log level "verbose": use one of fatal, error, warn, info, debug, trace, silent/);
  });
});
