import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from './index.js';

/** A destination that keeps every line pino writes. */
function capture(): { write(line: string): void; lines(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    write: (line: string) => void chunks.push(line),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level label, ISO time, name, bindings and fields', () => {
    const out = capture();
    const log = createLogger({ name: 'agent', bindings: { cluster: 'prod-eu' }, destination: out });
    log.info({ component: 'cart', durationMs: 12 }, 'applied');
    const [line] = out.lines();
    assert.ok(line);
    assert.equal(line['level'], 'info');
    assert.equal(line['name'], 'agent');
    assert.equal(line['cluster'], 'prod-eu');
    assert.equal(line['component'], 'cart');
    assert.equal(line['durationMs'], 12);
    assert.equal(line['msg'], 'applied');
    assert.match(String(line['time']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('respects the level, and child loggers add their bindings', () => {
    const out = capture();
    const log = createLogger({ name: 'audit', level: 'warn', destination: out });
    log.info('dropped');
    log.child({ batch: 7 }).warn('kept');
    const lines = out.lines();
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.['msg'], 'kept');
    assert.equal(lines[0]?.['batch'], 7);
  });

  it('redacts credentials and serialises errors with their message', () => {
    const out = capture();
    const log = createLogger({ name: 'x', destination: out });
    log.error({ token: 's3cret', nats: { password: 'hunter2' }, err: new Error('boom') }, 'failed');
    const raw = JSON.stringify(out.lines());
    assert.doesNotMatch(raw, /s3cret|hunter2/);
    const [line] = out.lines();
    assert.equal((line?.['err'] as { message: string }).message, 'boom');
  });
});
