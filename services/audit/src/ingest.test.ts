import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError, UnavailableError } from '@driftless/contracts';
import { createLogger } from '@driftless/telemetry';
import { EMPTY_TIP } from './core/chain.js';
import type { RawMessage } from './core/intake.js';
import { IngestWorker } from './ingest.js';
import type { IngestBatch, LedgerWriter, WriteResult } from './ports.js';
import { events } from './testing/fixtures.js';

const log = createLogger({ name: 'ingest-test', level: 'silent' });

/** An in-memory writer that can be told to fail, recording what it was asked to write. */
class FakeWriter implements LedgerWriter {
  batches: IngestBatch[] = [];
  failWith: Error | undefined;
  refuseIds = new Set<string>();
  async write(batch: IngestBatch): Promise<WriteResult> {
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
    if (batch.events.some((e) => this.refuseIds.has(e.id))) throw new InvalidInputError('value too long for type character varying(255)');
    this.batches.push(batch);
    return { recorded: batch.events.length, duplicates: 0, heartbeats: 0, deadLettered: batch.deadLetters.length, tip: EMPTY_TIP };
  }
}

const messages = (n: number, prefix = ''): RawMessage[] =>
  Array.from({ length: n }, (_, i) => {
    const e = events.applied({ cluster: 'dev-1', component: 'cart', version: `1.0.${i}` });
    return { subject: prefix + e.subject, data: new TextEncoder().encode(JSON.stringify(e)), seq: i + 1 };
  });

describe('IngestWorker', () => {
  it('acks a batch only after the write succeeded, stripping the subject prefix', async () => {
    const writer = new FakeWriter();
    const worker = new IngestWorker({ writer, log, subjectPrefix: 'inst-1' });
    const outcomes = await worker.handleBatch(messages(3, 'inst-1.'));
    assert.deepEqual(outcomes.map((o) => o.kind), ['ack', 'ack', 'ack']);
    assert.equal(writer.batches[0]?.events.length, 3);
  });

  it('naks everything with a growing delay while the database is down, then recovers', async () => {
    const writer = new FakeWriter();
    writer.failWith = new UnavailableError('Postgres unavailable: connect ECONNREFUSED');
    const worker = new IngestWorker({ writer, log, retryInitialDelayMs: 1, retryMaxDelayMs: 8 });
    const first = await worker.handleBatch(messages(2));
    assert.ok(first.every((o) => o.kind === 'nak'));
    await worker.handleBatch(messages(2));
    assert.equal(worker.consecutiveFailures, 2);
    writer.failWith = undefined;
    const after = await worker.handleBatch(messages(2));
    assert.deepEqual(after.map((o) => o.kind), ['ack', 'ack']);
    assert.equal(worker.consecutiveFailures, 0);
  });

  it('terms malformed messages, records them as dead letters, and acks the rest', async () => {
    const writer = new FakeWriter();
    const worker = new IngestWorker({ writer, log });
    const good = messages(2);
    const bad: RawMessage = { subject: 'driftless.evt.agent.dev-1.cart.applied', data: new TextEncoder().encode('{"oops":'), seq: 99 };
    const outcomes = await worker.handleBatch([good[0]!, bad, good[1]!]);
    assert.deepEqual(outcomes.map((o) => o.kind), ['ack', 'term', 'ack']);
    assert.equal(writer.batches[0]?.deadLetters.length, 1);
    assert.match(writer.batches[0]?.deadLetters[0]?.reason ?? '', /not valid JSON/);
  });

  it('isolates an event the database refuses and dead-letters only that one', async () => {
    const writer = new FakeWriter();
    const msgs = messages(3);
    const poisonId = (JSON.parse(new TextDecoder().decode(msgs[1]!.data)) as { id: string }).id;
    writer.refuseIds.add(poisonId);
    const worker = new IngestWorker({ writer, log });
    const outcomes = await worker.handleBatch(msgs);
    assert.deepEqual(outcomes.map((o) => o.kind), ['ack', 'term', 'ack']);
    const written = writer.batches.flatMap((b) => b.events.map((e) => e.id));
    assert.equal(written.length, 2);
    assert.ok(!written.includes(poisonId));
    assert.equal(writer.batches.flatMap((b) => b.deadLetters).find((d) => d.eventId === poisonId)?.reason.startsWith('Postgres refused the event'), true);
  });

  it('retries instead of dead-lettering when no event of a batch can be written (a fault of ours)', async () => {
    const writer = new FakeWriter();
    const msgs = messages(3);
    for (const m of msgs) writer.refuseIds.add((JSON.parse(new TextDecoder().decode(m.data)) as { id: string }).id);
    const worker = new IngestWorker({ writer, log: createLogger({ name: 'ingest-test', level: 'silent' }), retryInitialDelayMs: 1, retryMaxDelayMs: 2 });
    const outcomes = await worker.handleBatch(msgs);
    assert.deepEqual(outcomes.map((o) => o.kind), ['nak', 'nak', 'nak']);
    assert.equal(writer.batches.flatMap((b) => b.deadLetters).length, 0);
  });
});
