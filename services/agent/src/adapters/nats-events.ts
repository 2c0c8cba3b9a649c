/**
 * The event sink over JetStream: an in-memory outbox drained in order, retried with capped,
 * jittered backoff while NATS is away (a re-publish is deduplicated by the event's id), bounded
 * so an outage of days cannot exhaust memory (the oldest events go first).
 */
import { ForbiddenError, InvalidInputError, type DriftlessEvent } from '@driftless/contracts';
import { backoffDelayMs } from '@driftless/kube';
import { publishEvent } from '@driftless/nats';
import type { Logger } from '@driftless/telemetry';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { EventSink } from '../ports.js';

export interface NatsEventSinkOptions {
  js: JetStreamClient;
  subjectPrefix: string;
  log: Logger;
  maxPending?: number;
  maxBackoffMs: number;
  publishTimeoutMs?: number;
}

export class NatsEventSink implements EventSink {
  private readonly queue: DriftlessEvent[] = [];
  private isPumping = false;
  private dropped = 0;
  private readonly stopping = new AbortController();
  private readonly drainedWaiters: (() => void)[] = [];
  published = 0;

  constructor(private readonly o: NatsEventSinkOptions) {}

  publish(event: DriftlessEvent): void {
    if (this.queue.length >= (this.o.maxPending ?? 10_000)) {
      this.queue.shift();
      this.dropped += 1;
      if (this.dropped === 1 || this.dropped % 1000 === 0) this.o.log.warn({ dropped: this.dropped }, 'event outbox full; dropping the oldest events');
    }
    this.queue.push(event);
    void this.pump();
  }

  publishVolatile(event: DriftlessEvent): void {
    // A backlog means NATS is in trouble; a stale heartbeat would only add to it.
    if (this.queue.length > 0) return;
    publishEvent(this.o.js, event, { subjectPrefix: this.o.subjectPrefix, timeoutMs: this.o.publishTimeoutMs ?? 5_000 }).then(
      () => {
        this.published += 1;
      },
      (err: unknown) => this.o.log.debug({ err: (err as Error).message, type: event.type }, 'volatile event not published'),
    );
  }

  pending(): number {
    return this.queue.length;
  }

  /** Resolves when the outbox is empty or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    if (this.queue.length === 0) return;
    await Promise.race([new Promise<void>((resolve) => this.drainedWaiters.push(resolve)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  stop(): void {
    this.stopping.abort();
  }

  private async pump(): Promise<void> {
    if (this.isPumping) return;
    this.isPumping = true;
    let attempt = 0;
    try {
      while (this.queue.length > 0 && !this.stopping.signal.aborted) {
        const event = this.queue[0] as DriftlessEvent;
        try {
          await publishEvent(this.o.js, event, { subjectPrefix: this.o.subjectPrefix, timeoutMs: this.o.publishTimeoutMs ?? 5_000 });
          this.queue.shift();
          this.published += 1;
          attempt = 0;
        } catch (err) {
          if (err instanceof ForbiddenError || err instanceof InvalidInputError) {
            // Never publishable (permissions, size): retrying would block everything behind it.
            this.o.log.error({ err: err.message, type: event.type, id: event.id }, 'event refused; dropping it');
            this.queue.shift();
            continue;
          }
          attempt += 1;
          const delayMs = backoffDelayMs(attempt, { baseDelayMs: 250, maxDelayMs: this.o.maxBackoffMs });
          if (attempt === 1 || attempt % 10 === 0) this.o.log.warn({ err: (err as Error).message, pending: this.queue.length, attempt, delayMs }, 'cannot publish events, retrying');
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, delayMs);
            this.stopping.signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            }, { once: true });
          });
        }
      }
    } finally {
      this.isPumping = false;
      if (this.queue.length === 0) for (const resolve of this.drainedWaiters.splice(0)) resolve();
    }
  }
}
