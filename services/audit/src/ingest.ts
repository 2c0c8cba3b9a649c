/**
 * The ingest worker's decisions for one batch of JetStream messages: validate, write everything
 * in one transaction, and only then ack. Postgres down → nak the whole batch with a growing
 * delay and pause before the next attempt (nothing acked, so nothing lost); a malformed message
 * → dead-letter table and `term` (never a crash); an event Postgres itself refuses → found by
 * writing the batch one event at a time, then dead-lettered alone.
 */
import { createHash } from 'node:crypto';
import { isRetryable } from '@driftless/contracts';
import { backoffDelayMs, type Outcome } from '@driftless/nats';
import type { Logger } from '@driftless/telemetry';
import { trace, type Meter } from '@opentelemetry/api';
import { contextFromTraceParent } from '@driftless/telemetry';
import type { DriftlessEvent } from '@driftless/contracts';
import { sortBatch, type RawMessage } from './core/intake.js';
import type { DeadLetter, LedgerWriter, WriteResult } from './ports.js';

export interface IngestOptions {
  writer: LedgerWriter;
  log: Logger;
  /** The installation's subject prefix on the wire (empty in production), stripped before checks. */
  subjectPrefix?: string;
  /** Nak delay and pause after a failed write: initial, doubling up to max. */
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  meter?: Meter;
  signal?: AbortSignal;
}

export interface BatchHooks {
  /** Extends the messages' ack deadline while we wait. */
  working?(): void;
}

const ack: Outcome = { kind: 'ack' };

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function dedupKey(seq: number, payload: Uint8Array): string {
  return `seq:${seq}:${createHash('sha256').update(payload).digest('hex').slice(0, 16)}`;
}

export class IngestWorker {
  /** Consecutive failed writes; > 0 means the database is (probably) still unavailable. */
  private failures = 0;
  private readonly prefix: string;
  private readonly counters;
  lastResult: WriteResult | undefined;

  constructor(private readonly options: IngestOptions) {
    this.prefix = options.subjectPrefix ? `${options.subjectPrefix}.` : '';
    const meter = options.meter;
    this.counters = meter && {
      recorded: meter.createCounter('audit_events_recorded', { description: 'Events appended to the ledger' }),
      duplicates: meter.createCounter('audit_events_duplicate', { description: 'Redelivered or repeated events skipped' }),
      deadLettered: meter.createCounter('audit_events_dead_lettered', { description: 'Malformed events moved to the dead-letter table' }),
      failedBatches: meter.createCounter('audit_batches_failed', { description: 'Batches nak-ed because the write failed' }),
      batchMs: meter.createHistogram('audit_batch_duration_ms', { description: 'Time to validate and commit one batch', unit: 'ms' }),
    };
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  private delayMs(): number {
    return backoffDelayMs(this.failures, { initialDelayMs: this.options.retryInitialDelayMs ?? 500, maxDelayMs: this.options.retryMaxDelayMs ?? 5_000 });
  }

  /** One outcome per message, in order. Never throws. */
  async handleBatch(msgs: readonly RawMessage[], hooks: BatchHooks = {}): Promise<Outcome[]> {
    const started = performance.now();
    if (this.failures > 0) {
      // The last write failed: wait before trying again instead of spinning on a dead database.
      hooks.working?.();
      await sleep(this.delayMs(), this.options.signal);
      hooks.working?.();
    }
    // Fields one by one: a JsMsg's `data` is a getter, which spreading would drop.
    const logical = msgs.map((m) => ({ seq: m.seq, data: m.data, headers: m.headers, subject: m.subject.startsWith(this.prefix) ? m.subject.slice(this.prefix.length) : m.subject }));
    const intake = sortBatch(logical);
    const events = intake.flatMap((i) => (i.kind === 'event' ? [i.event] : []));
    const deadLetters: DeadLetter[] = intake.flatMap((i) => {
      if (i.kind !== 'dead') return [];
      const msg = msgs[i.index] as RawMessage;
      return [{ dedupKey: dedupKey(msg.seq, msg.data), eventId: i.eventId, subject: msg.subject, streamSeq: msg.seq, reason: i.reason, payload: msg.data }];
    });
    const outcomes: Outcome[] = intake.map((i) => (i.kind === 'dead' ? { kind: 'term', reason: i.reason } : ack));

    try {
      this.record(await this.options.writer.write({ events, deadLetters }));
      this.traceRecorded(events, started);
      this.failures = 0;
      this.counters?.batchMs.record(performance.now() - started);
      return outcomes;
    } catch (err) {
      if (isRetryable(err)) return this.retryLater(msgs.length, err);
    }
    return this.isolate(msgs, intake, deadLetters, outcomes);
  }

  /**
   * One span per recorded event, in the trace the event travelled with, so a commit's trace ends
   * at the ledger row it produced. Events without trace context start no trace.
   */
  private traceRecorded(events: readonly DriftlessEvent[], startedMs: number): void {
    const tracer = trace.getTracer('driftless-audit');
    const startTime = Date.now() - (performance.now() - startedMs);
    for (const event of events) {
      if (event.traceparent === undefined) continue;
      const parent = contextFromTraceParent({ traceparent: event.traceparent, ...(event.tracestate === undefined ? {} : { tracestate: event.tracestate }) });
      tracer.startSpan('audit.record', { startTime, attributes: { 'driftless.event.type': event.type, 'driftless.event.id': event.id } }, parent).end();
    }
  }

  private retryLater(count: number, err: unknown): Outcome[] {
    this.failures += 1;
    const delayMs = this.delayMs();
    this.counters?.failedBatches.add(1);
    this.options.log.warn({ reason: (err as Error).message, failures: this.failures, delayMs, size: count }, 'writing a batch failed; nothing acked, retrying later');
    return Array.from({ length: count }, (): Outcome => ({ kind: 'nak', delayMs }));
  }

  /** Writes the batch's events one by one so a single event Postgres refuses cannot block the rest. */
  private async isolate(msgs: readonly RawMessage[], intake: ReturnType<typeof sortBatch>, deadLetters: DeadLetter[], outcomes: Outcome[]): Promise<Outcome[]> {
    const dead = [...deadLetters];
    const candidates = intake.filter((i) => i.kind === 'event');
    let written = 0;
    for (const item of candidates) {
      try {
        this.record(await this.options.writer.write({ events: [item.event], deadLetters: [] }));
        written += 1;
      } catch (err) {
        if (isRetryable(err)) return this.retryLater(msgs.length, err);
        // Several valid events, none writable: the fault is ours (schema, permissions), not theirs.
        // Keep them in the stream rather than burying the whole stream in dead letters.
        if (written === 0 && candidates.length > 1 && item === candidates.at(-1)) {
          this.options.log.error({ reason: (err as Error).message, size: candidates.length }, 'no event of the batch could be written; retrying instead of dead-lettering');
          return this.retryLater(msgs.length, err);
        }
        const msg = msgs[item.index] as RawMessage;
        const reason = `Postgres refused the event: ${(err as Error).message}`;
        dead.push({ dedupKey: dedupKey(msg.seq, msg.data), eventId: item.event.id, subject: msg.subject, streamSeq: msg.seq, reason, payload: msg.data });
        outcomes[item.index] = { kind: 'term', reason };
      }
    }
    try {
      this.record(await this.options.writer.write({ events: [], deadLetters: dead }));
      this.failures = 0;
      return outcomes;
    } catch (err) {
      return this.retryLater(msgs.length, err);
    }
  }

  private record(result: WriteResult): void {
    this.lastResult = result;
    this.counters?.recorded.add(result.recorded);
    this.counters?.duplicates.add(result.duplicates);
    this.counters?.deadLettered.add(result.deadLettered);
  }
}
