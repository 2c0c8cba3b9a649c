/**
 * The consume loop for durable consumers: pulls only as many messages as there are free handler
 * slots (so nothing waits in a client buffer while its ack timer runs), runs each handler in a
 * span joined to the publisher's trace, and turns the handler's verdict into ack, nak or term.
 * A thrown error is a nak with a delay growing with the delivery count; a TerminalError is a term.
 * On abort it stops pulling, lets in-flight handlers finish, and resolves.
 */
import { InvalidInputError, isRetryable, TerminalError } from '@driftless/contracts';
import { extractTraceContext, withSpan, type Logger } from '@driftless/telemetry';
import { trace, type Context } from '@opentelemetry/api';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { backoffDelayMs, sleep } from './backoff.js';
import { isConnectionClosed, toDomainError } from './errors.js';
import { applyOutcome, checkOutcome, messageFields, openDurable, retryDelayMs, type DurableOptions } from './consumer.js';
import { Outcome } from './outcome.js';

export interface HandlerContext {
  /** Aborts when the loop is stopping; a long handler may finish early and return a nak. */
  signal: AbortSignal;
  /** Tells the server the handler is still busy, resetting the ack timer. */
  working(): void;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** The publisher's trace context (the handler already runs inside a child span of it). */
  traceContext: Context;
  log: Logger;
}

export interface ConsumeOptions extends DurableOptions {
  /** Handlers running at once in this process. */
  concurrency: number;
  /** How long one pull waits for messages before asking again (default 5 s, at least 1 s). */
  pullExpiresMs?: number;
  handle(msg: JsMsg, ctx: HandlerContext): Promise<Outcome> | Outcome;
}

const tracer = trace.getTracer('@driftless/nats');

/** Consumes until `signal` aborts; resolves once in-flight handlers are done. */
export async function consume(options: ConsumeOptions): Promise<void> {
  const { concurrency, signal } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidInputError(`consume concurrency must be a whole number of at least 1, got ${concurrency}`);
  }
  const log = options.log.child({ stream: options.stream, durable: options.durable });
  const inFlight = new Set<Promise<void>>();
  let consumer: Consumer | undefined;
  let failures = 0;

  while (!signal.aborted) {
    try {
      consumer ??= await openDurable(options);
      const free = concurrency - inFlight.size;
      if (free === 0) {
        await Promise.race(inFlight);
        continue;
      }
      await pull(consumer, free, options.pullExpiresMs, signal, (msg) => {
        const task = handleOne(msg, options, log).finally(() => inFlight.delete(task));
        inFlight.add(task);
      });
      failures = 0;
    } catch (err) {
      if (signal.aborted) break;
      // Bad credentials, a missing stream, a bad name or a closed connection will not fix
      // themselves: fail loudly instead of retrying forever.
      if (!isRetryable(err) || isConnectionClosed(err)) {
        await Promise.allSettled([...inFlight]);
        throw toDomainError(err, `consuming ${options.stream}/${options.durable}`);
      }
      failures++;
      // The consumer may have been deleted or the server restarted: bind (or re-create) it again.
      consumer = undefined;
      const delayMs = backoffDelayMs(failures, { initialDelayMs: 250, maxDelayMs: 10_000 });
      log.warn({ reason: (err as Error).message, failures, delayMs }, 'pulling messages failed, retrying');
      await sleep(delayMs, signal);
    }
  }
  await Promise.allSettled([...inFlight]);
  log.info('consumer stopped');
}

/**
 * One pull request for up to `max` messages; `onMessage` is called as each arrives. Aborting
 * closes the pull; a message the server sent before it heard of that is redelivered after the
 * ack wait.
 */
export async function pull(consumer: Consumer, max: number, expiresMs: number | undefined, signal: AbortSignal, onMessage: (msg: JsMsg) => void): Promise<void> {
  const messages = await consumer.fetch({ max_messages: max, expires: Math.max(1_000, expiresMs ?? 5_000) });
  const stop = () => void messages.close();
  signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const msg of messages) {
      // Arrived after the stop: hand it straight back so another replica gets it now, not after the ack wait.
      if (signal.aborted) msg.nak();
      else onMessage(msg);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
}

async function handleOne(msg: JsMsg, options: ConsumeOptions, log: Logger): Promise<void> {
  const deliveryCount = msg.info.deliveryCount;
  const msgLog = log.child(messageFields(msg));
  const traceContext = extractTraceContext(msg.headers);
  let outcome: Outcome;
  try {
    outcome = await withSpan(
      tracer,
      `process ${options.stream}`,
      { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'messaging.consumer.group.name': options.durable, 'driftless.delivery_count': deliveryCount },
      async (span) => {
        const result = checkOutcome(
          await options.handle(msg, { signal: options.signal, working: () => msg.working(), deliveryCount, traceContext, log: msgLog }),
        );
        span.setAttribute('driftless.outcome', result.kind);
        return result;
      },
      traceContext,
    );
  } catch (err) {
    outcome = outcomeForError(err, deliveryCount, options);
    msgLog.warn({ reason: (err as Error).message, outcome: outcome.kind, ...(outcome.kind === 'nak' ? { delayMs: outcome.delayMs } : {}) }, 'handler failed');
  }
  applyOutcome(msg, outcome, msgLog);
}

/** A thrown TerminalError will never succeed: term. Anything else: retry later, backing off. */
export function outcomeForError(err: unknown, deliveryCount: number, options: Pick<DurableOptions, 'retryInitialDelayMs' | 'retryMaxDelayMs'>): Outcome {
  if (err instanceof TerminalError) return Outcome.term(err.message);
  return Outcome.nak(retryDelayMs(deliveryCount, options));
}
