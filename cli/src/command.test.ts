import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dnsLabel, durationSeconds, keyValuePairs, scalarValue, sinceTime } from './command.js';
import { UsageError } from './errors.js';
import { table, painter } from './format.js';

describe('argument parsing', () => {
  it('reads durations and since-times, refusing anything else with the accepted forms', () => {
    assert.equal(durationSeconds('ttl', '90'), 90);
    assert.equal(durationSeconds('ttl', '30m'), 1800);
    assert.equal(durationSeconds('ttl', '2h'), 7200);
    assert.equal(durationSeconds('ttl', '7d'), 604_800);
    assert.throws(() => durationSeconds('ttl', '1.5h'), (err: Error) => err instanceof UsageError && /--ttl takes a duration such as 90s/.test(err.message));
    const now = new Date('2026-11-27T12:00:00Z');
    assert.equal(sinceTime('since', '24h', now), '2026-11-26T12:00:00.000Z');
    assert.equal(sinceTime('since', '2026-11-01T00:00:00+01:00', now), '2026-10-31T23:00:00.000Z');
    assert.throws(() => sinceTime('since', 'yesterday', now), /RFC 3339/);
  });

  it('turns KEY=VALUE pairs into labels and typed values', () => {
    assert.deepEqual(keyValuePairs('value', ['replicas=3', 'debug=false', 'ratio=0.5', 'zip="01234"', 'name=a=b', 'padded=007'], scalarValue), {
      replicas: 3,
      debug: false,
      ratio: 0.5,
      zip: '01234',
      name: 'a=b',
      padded: '007',
    });
    assert.throws(() => keyValuePairs('label', ['region'], (v) => v), /--label takes KEY=VALUE, got "region"/);
    assert.throws(() => keyValuePairs('label', ['=eu'], (v) => v), UsageError);
  });

  it('refuses a name that is not a DNS label with the rule', () => {
    assert.equal(dnsLabel('cluster name', 'prod-eu'), 'prod-eu');
    assert.throws(() => dnsLabel('cluster name', '-prod'), (err: Error) => err instanceof UsageError && /not a DNS label: use 1-63 lowercase/.test(err.message));
    assert.throws(() => dnsLabel('cluster name', 'a'.repeat(64)), UsageError);
  });

  it('aligns table columns', () => {
    const text = table([{ a: 'x', b: '1' }, { a: 'longer', b: '22' }], [{ header: 'A', value: (r) => r.a }, { header: 'BB', value: (r) => r.b }], painter(false));
    assert.equal(text, 'A       BB\nx       1\nlonger  22\n');
  });
});
