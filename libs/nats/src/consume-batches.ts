/**
 * The batch consume loop for high-throughput sinks (the audit writer): pulls up to `maxBatch`
 * messages or whatever arrived within `maxWaitMs`, hands them over together, and acks only
 * after the handler returned (e.g. after its database transaction committed). A thrown error
 * naks the whole batch with backoff. With `maxBatchesInFlight` 2 the next batch is pulled and
 * handed over while the previous one is still being handled, so a sink can prepare it meanwhile
 * (the handler must then keep their order itself).
 *
 * Pulls always ask for a full batch and return when it is full or `maxWaitMs` passed: sizing a
 * pull to the consumer's `num_pending` looks cheaper but misses redeliveries (they are counted
 * as ack-pending, not pending), which after an outage slowed the catch-up to a crawl.
 */
import { InvalidInputError, isRetryable } from '@driftless/contracts';
import { withSpan, type Logger } from '@driftless/telemetry';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { backoffDelayMs, sleep } from './backoff.js';
import { isConnectionClosed, toDomainError } from './errors.js';
import { pull } from './consume.js';
import { applyOutcome, checkOutcome, openDurable, retryDelayMs, type DurableOptions } from './consumer.js';
import { Outcome } from './outcome.js';

export interface BatchContext {
  signal: AbortSignal;
  /** Resets the ack timer of every message in the batch. */
  working(): void;
  log: Logger;
}

export interface ConsumeBatchesOptions extends DurableOptions {
  /** Most messages handed over at once. */
  maxBatch: number;
  /** How long to wait for a batch to fill (at least 1 s; nats.js refuses shorter pulls). */
  maxWaitMs: number;
  /** Batches handed over and not yet settled (default 1: one at a time). */
  maxBatchesInFlight?: number;
  /** Returns one outcome per message, in order; throwing naks them all. */
  handleBatch(msgs: readonly JsMsg[], ctx: BatchContext): Promise<readonly Outcome[]> | readonly Outcome[];
}

const tracer = trace.getTracer('@driftless/nats');

/** Consumes in batches until `signal` aborts; resolves once the batch in hand is settled. */
export async function consumeBatches(options: ConsumeBatchesOptions): Promise<void> {
  const { maxBatch, signal } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new InvalidInputError(`consumeBatches maxBatch must be a whole number of at least 1, got ${maxBatch}`);
  }
  const maxInFlight = options.maxBatchesInFlight ?? 1;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new InvalidInputError(`consumeBatches maxBatchesInFlight must be a whole number of at least 1, got ${maxInFlight}`);
  }
  const log = options.log.child({ stream: options.stream, durable: options.durable });
  const inFlight: Promise<void>[] = [];
  let consumer: Consumer | undefined;
  let failures = 0;

  while (!signal.aborted) {
    const batch: JsMsg[] = [];
    try {
      consumer ??= await openDurable(options);
      await pull(consumer, maxBatch, options.maxWaitMs, signal, (msg) => batch.push(msg));
      failures = 0;
    } catch (err) {
      // Bad credentials, a missing stream, a bad name or a closed connection will not fix
      // themselves: fail loudly instead of retrying forever.
      if ((!isRetryable(err) || isConnectionClosed(err)) && batch.length === 0) {
        await Promise.allSettled(inFlight);
        throw toDomainError(err, `consuming ${options.stream}/${options.durable}`);
      }
      if (!signal.aborted) {
        failures++;
        consumer = undefined;
        const delayMs = backoffDelayMs(failures, { initialDelayMs: 250, maxDelayMs: 10_000 });
        log.warn({ reason: (err as Error).message, failures, delayMs, received: batch.length }, 'pulling a batch failed, retrying');
        // Messages that did arrive are still handled below; the pause comes after them.
        if (batch.length === 0) await sleep(delayMs, signal);
      }
    }
    if (batch.length > 0) {
      inFlight.push(handleBatch(batch, options, log));
      if (inFlight.length >= maxInFlight) await inFlight.shift();
    }
  }
  await Promise.all(inFlight);
  log.info('batch consumer stopped');
}

async function handleBatch(batch: JsMsg[], options: ConsumeBatchesOptions, log: Logger): Promise<void> {
  let outcomes: Outcome[];
  try {
    outcomes = await withSpan(
      tracer,
      `process batch ${options.stream}`,
      { 'messaging.system': 'nats', 'messaging.batch.message_count': batch.length, 'messaging.consumer.group.name': options.durable },
      async () => {
        const result = await options.handleBatch(batch, { signal: options.signal, working: () => batch.forEach((m) => m.working()), log });
        if (!Array.isArray(result) || result.length !== batch.length) {
          throw new TypeError(`handleBatch returned ${Array.isArray(result) ? result.length : typeof result} outcomes for ${batch.length} messages`);
        }
        return result.map(checkOutcome);
      },
      ROOT_CONTEXT,
    );
  } catch (err) {
    outcomes = batch.map((msg) => Outcome.nak(retryDelayMs(msg.info.deliveryCount, options)));
    log.warn({ reason: (err as Error).message, size: batch.length, firstSeq: batch[0]?.seq }, 'batch handler failed, retrying the batch later');
  }
  batch.forEach((msg, i) => applyOutcome(msg, outcomes[i] ?? Outcome.nak(), log));
}
