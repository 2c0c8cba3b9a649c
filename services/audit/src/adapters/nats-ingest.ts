/**
 * The durable JetStream consumer feeding the ingest worker: every Driftless event subject, in
 * batches, acked only once the worker's transaction committed. Several audit replicas share the
 * durable, so each event is handled by one of them; the ledger lock keeps their writes linear.
 */
import { consumeBatches, eventStreamSubject } from '@driftless/nats';
import type { Logger } from '@driftless/telemetry';
import type { ConsumeBatchesOptions } from '@driftless/nats';
import type { IngestWorker } from '../ingest.js';

export interface NatsIngestOptions {
  js: ConsumeBatchesOptions['js'];
  stream: string;
  durable: string;
  subjectPrefix: string;
  maxBatch: number;
  maxWaitMs: number;
  worker: IngestWorker;
  signal: AbortSignal;
  log: Logger;
  /** Messages in flight across all replicas; at least two batches so the next can be pulled while one commits. */
  maxAckPending?: number;
}

/** Runs until `signal` aborts; resolves once the batch in hand is settled. */
export function runNatsIngest(options: NatsIngestOptions): Promise<void> {
  return consumeBatches({
    js: options.js,
    stream: options.stream,
    durable: options.durable,
    filterSubject: eventStreamSubject({ subjectPrefix: options.subjectPrefix }),
    maxBatch: options.maxBatch,
    maxWaitMs: options.maxWaitMs,
    // The writer plans the next batch while Postgres stores the current one, and keeps their order.
    maxBatchesInFlight: 2,
    maxAckPending: options.maxAckPending ?? Math.max(1000, options.maxBatch * 4),
    // Never drop an event: a message is redelivered until it is recorded or dead-lettered.
    maxDeliver: -1,
    signal: options.signal,
    log: options.log,
    handleBatch: (msgs, ctx) => options.worker.handleBatch(msgs, { working: () => ctx.working() }),
  });
}
