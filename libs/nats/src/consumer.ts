/**
 * What the single-message and the batch consume loops share: creating or updating the durable
 * pull consumer, applying an outcome to a message, and the nak delay after a thrown error.
 */
import { InvalidInputError } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import { AckPolicy, DeliverPolicy, type Consumer, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { backoffDelayMs } from './backoff.js';
import { toDomainError } from './errors.js';
import type { Outcome } from './outcome.js';

export const StartFrom = { all: 'all', new: 'new' } as const;
export type StartFrom = (typeof StartFrom)[keyof typeof StartFrom];

/** Options common to `consume` and `consumeBatches`. */
export interface DurableOptions {
  js: JetStreamClient;
  stream: string;
  /** Durable consumer name; its position survives restarts and is shared by replicas. */
  durable: string;
  /** One subject filter (nats-server 2.9 has no multiple filters). */
  filterSubject?: string;
  /** Messages delivered but not yet acknowledged, across all replicas (default 1000). */
  maxAckPending?: number;
  /** How long the server waits for an ack before redelivering (default 30 s); call `working()` to extend. */
  ackWaitMs?: number;
  /** Deliveries before the server gives up on a message (default unlimited: no event is ever dropped). */
  maxDeliver?: number;
  /** Where a newly created durable starts (default all: the whole stream). */
  startFrom?: StartFrom;
  /** First nak delay after a thrown error (default 1 s), doubling per delivery up to `retryMaxDelayMs`. */
  retryInitialDelayMs?: number;
  /** Cap of the nak delay after a thrown error (default 60 s). */
  retryMaxDelayMs?: number;
  signal: AbortSignal;
  log: Logger;
}

export const DURABLE_DEFAULTS = {
  maxAckPending: 1000,
  ackWaitMs: 30_000,
  maxDeliver: -1,
  retryInitialDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
} as const;

const DURABLE_NAME = /^[A-Za-z0-9_-]{1,200}$/;

/** Creates the durable pull consumer or updates its settings (nats-server updates a durable in place), then binds to it. */
export async function openDurable(options: DurableOptions): Promise<Consumer> {
  if (!DURABLE_NAME.test(options.durable)) {
    throw new InvalidInputError(`durable consumer name "${options.durable}" must be letters, digits, '-' or '_'`);
  }
  const what = `creating durable consumer ${options.durable} on stream ${options.stream}`;
  try {
    const jsm = await options.js.jetstreamManager();
    await jsm.consumers.add(options.stream, {
      durable_name: options.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: options.startFrom === StartFrom.new ? DeliverPolicy.New : DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs ?? DURABLE_DEFAULTS.ackWaitMs),
      max_ack_pending: options.maxAckPending ?? DURABLE_DEFAULTS.maxAckPending,
      max_deliver: options.maxDeliver ?? DURABLE_DEFAULTS.maxDeliver,
      ...(options.filterSubject === undefined ? {} : { filter_subject: options.filterSubject }),
    });
    return await options.js.consumers.get(options.stream, options.durable);
  } catch (err) {
    throw toDomainError(err, what);
  }
}

/** Nak delay after a handler threw on delivery number `deliveryCount`. */
export function retryDelayMs(deliveryCount: number, options: Pick<DurableOptions, 'retryInitialDelayMs' | 'retryMaxDelayMs'>): number {
  return backoffDelayMs(deliveryCount, {
    initialDelayMs: options.retryInitialDelayMs ?? DURABLE_DEFAULTS.retryInitialDelayMs,
    maxDelayMs: options.retryMaxDelayMs ?? DURABLE_DEFAULTS.retryMaxDelayMs,
  });
}

/** Where a message is, for log lines. */
export function messageFields(msg: JsMsg): Record<string, unknown> {
  return { subject: msg.subject, streamSeq: msg.seq, deliveryCount: msg.info.deliveryCount };
}

/** Acks, naks or terms `msg`. A failed ack is only logged: the server redelivers and handlers are idempotent. */
export function applyOutcome(msg: JsMsg, outcome: Outcome, log: Logger): void {
  try {
    switch (outcome.kind) {
      case 'ack':
        msg.ack();
        return;
      case 'nak':
        if (outcome.delayMs > 0) msg.nak(outcome.delayMs);
        else msg.nak();
        return;
      case 'term':
        // nats-server 2.9 does not understand "+TERM <reason>" and redelivers the message,
        // so the reason goes to the log, never to the server.
        log.warn({ ...messageFields(msg), reason: outcome.reason }, 'message terminated');
        msg.term();
        return;
    }
  } catch (err) {
    log.warn({ ...messageFields(msg), outcome: outcome.kind, reason: (err as Error).message }, 'could not acknowledge message');
  }
}

/** Refuses an outcome that is not one, e.g. from a handler bug or a bad cast. */
export function checkOutcome(value: unknown): Outcome {
  const v = value as Partial<Outcome> | null | undefined;
  if (v?.kind === 'ack') return { kind: 'ack' };
  if (v?.kind === 'nak' && typeof v.delayMs === 'number' && Number.isFinite(v.delayMs) && v.delayMs >= 0) return { kind: 'nak', delayMs: Math.round(v.delayMs) };
  if (v?.kind === 'term' && typeof v.reason === 'string') return { kind: 'term', reason: v.reason };
  throw new TypeError(`handler returned ${JSON.stringify(value)}, which is not an outcome ({ kind: 'ack' | 'nak' | 'term' })`);
}
