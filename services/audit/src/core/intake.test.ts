import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sortBatch, type RawMessage } from './intake.js';
import { commit, events } from '../testing/fixtures.js';

const enc = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const applied = events.applied({ cluster: 'dev-1', component: 'cart', version: '1.0.0' });
const msg = (value: unknown, subject = applied.subject, seq = 1): RawMessage => ({ subject, data: enc(value), seq });

describe('sortBatch', () => {
  it('accepts valid events and marks in-batch repeats as duplicates', () => {
    const result = sortBatch([msg(applied), msg(applied, applied.subject, 2)]);
    assert.deepEqual(result.map((r) => r.kind), ['event', 'duplicate']);
  });

  it('dead-letters bad JSON, unknown types and bad payloads with the reason', () => {
    const result = sortBatch([
      msg('{not json'),
      msg({ ...applied, type: 'driftless.nope.v1' }),
      msg({ ...applied, data: { ...applied.data, version: 7 } }),
    ]);
    assert.deepEqual(result.map((r) => r.kind), ['dead', 'dead', 'dead']);
    assert.match((result[0] as { reason: string }).reason, /not valid JSON/);
    assert.match((result[1] as { reason: string }).reason, /unknown event type/);
    assert.match((result[2] as { reason: string }).reason, /data\/version/);
    assert.equal((result[2] as { eventId: string | null }).eventId, applied.id, 'keeps the id when there is one');
  });

  it('refuses a payload about another cluster than the subject it arrived on', () => {
    const [result] = sortBatch([msg(applied, 'driftless.evt.agent.prod-eu.cart.applied')]);
    assert.equal(result?.kind, 'dead');
    assert.match((result as { reason: string }).reason, /arrived on subject "driftless\.evt\.agent\.prod-eu\.cart\.applied".*belongs on "driftless\.evt\.agent\.dev-1\.cart\.applied"/);
  });

  it('refuses U+0000, which Postgres cannot store', () => {
    const bad = events.renderFailed({ commit: commit(1), reason: 'bad \u0000 byte' });
    const [result] = sortBatch([msg(bad, bad.subject)]);
    assert.equal(result?.kind, 'dead');
    assert.match((result as { reason: string }).reason, /U\+0000/);
  });

  it('refuses a lone surrogate, which would be stored as U+FFFD and then fail the chain check, and keeps a proper pair', () => {
    const lone = events.renderFailed({ commit: commit(1), reason: 'half an emoji \ud83d here' });
    const [dead] = sortBatch([msg(lone, lone.subject)]);
    assert.equal(dead?.kind, 'dead');
    assert.match((dead as { reason: string }).reason, /lone UTF-16 surrogate/);
    const pair = events.renderFailed({ commit: commit(1), reason: 'a whole emoji \ud83d\ude00 here' });
    assert.equal(sortBatch([msg(pair, pair.subject)])[0]?.kind, 'event');
  });

  it('takes the trace context from the headers when the envelope has none', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const [result] = sortBatch([{ ...msg(applied), headers: { get: (k) => (k === 'traceparent' ? traceparent : '') } }]);
    assert.equal(result?.kind === 'event' && result.event.traceparent, traceparent);
  });
});
