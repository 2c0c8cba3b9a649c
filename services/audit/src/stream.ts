/**
 * The live ledger for Server-Sent Events: one poller per process tails `transitions` by `seq`
 * (the primary key, so each poll is one index range scan) and fans the new rows out to every
 * subscriber. It reads what is committed, so it sees rows written by any process or replica.
 *
 * A subscriber that resumes (`Last-Event-ID`) first catches up from the ledger while the rows
 * arriving live are held back, then gets the held rows it has not seen: no gap, no duplicate.
 * Polling runs only while someone is subscribed.
 */
import { UnavailableError } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import type { LedgerRow } from './core/ledger.js';
import type { TransitionFeed } from './ports.js';

export interface TransitionHubOptions {
  feed: TransitionFeed;
  log?: Logger;
  /** Pause between polls when the last one found nothing new. */
  pollIntervalMs?: number;
  /** Most live streams this process serves at once; one more is refused with 503. */
  maxSubscribers?: number;
  /** Rows read per query. */
  batchSize?: number;
  /** A resume further behind than this many rows gets a reset instead of a replay. */
  maxReplayRows?: number;
}

export interface StreamListener {
  /** New rows for this subscriber, oldest first. */
  rows(rows: readonly LedgerRow[]): void;
  /** The subscriber asked to resume from further back than the hub replays: reload, then follow. */
  reset(reason: string): void;
  /** The hub is shutting down. */
  close(): void;
}

export interface Subscription {
  /** Stop receiving; idempotent. */
  unsubscribe(): void;
}

/** Too many live streams on this process. */
export class TooManyStreamsError extends UnavailableError {
  override readonly name: string = 'TooManyStreamsError';
}

interface Subscriber {
  listener: StreamListener;
  /** The newest seq this subscriber has been given. */
  cursor: number;
  /** Rows that arrived live while the subscriber was still catching up. */
  held: LedgerRow[] | null;
}

export class TransitionHub {
  private readonly feed: TransitionFeed;
  private readonly log: Logger | undefined;
  private readonly pollIntervalMs: number;
  readonly maxSubscribers: number;
  private readonly batchSize: number;
  private readonly maxReplayRows: number;
  private readonly subscribers = new Set<Subscriber>();
  /** The newest seq the poller has read; undefined until it first learns the tip. */
  private position: number | undefined;
  private polling: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private isClosed = false;

  constructor(options: TransitionHubOptions) {
    this.feed = options.feed;
    this.log = options.log;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.maxSubscribers = options.maxSubscribers ?? 200;
    this.batchSize = options.batchSize ?? 500;
    this.maxReplayRows = options.maxReplayRows ?? 10_000;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Follow the ledger from now on, or from after `lastSeq` when given (a reconnecting client's
   * `Last-Event-ID`). Throws TooManyStreamsError when the process is at its limit.
   */
  async subscribe(listener: StreamListener, lastSeq?: number): Promise<Subscription> {
    if (this.isClosed) throw new UnavailableError('the live stream is shutting down');
    if (this.subscribers.size >= this.maxSubscribers) {
      throw new TooManyStreamsError(`this audit process already serves ${this.maxSubscribers} live streams (its limit); try again later or another replica`);
    }
    this.position ??= await this.feed.tipSeq();
    const tip = this.position;
    const isResuming = lastSeq !== undefined && lastSeq < tip;
    const subscriber: Subscriber = { listener, cursor: isResuming ? lastSeq : tip, held: isResuming ? [] : null };
    this.subscribers.add(subscriber);
    this.ensurePolling();
    const subscription = {
      unsubscribe: () => {
        this.subscribers.delete(subscriber);
        // Nobody listens: the next subscriber starts from the tip of then, not from a stale position.
        if (this.subscribers.size === 0) this.position = undefined;
      },
    };
    if (isResuming) await this.catchUp(subscriber, tip);
    return subscription;
  }

  /** Ends every stream (on shutdown) and stops polling. */
  async close(): Promise<void> {
    this.isClosed = true;
    for (const s of this.subscribers) s.listener.close();
    this.subscribers.clear();
    this.wake?.();
    await this.polling;
  }

  private async catchUp(subscriber: Subscriber, tipAtSubscribe: number): Promise<void> {
    if (tipAtSubscribe - subscriber.cursor > this.maxReplayRows) {
      subscriber.cursor = tipAtSubscribe;
      subscriber.listener.reset(`the stream resumes at most ${this.maxReplayRows} rows back; reload and follow from seq ${tipAtSubscribe}`);
    } else {
      for (;;) {
        const rows = await this.feed.after(subscriber.cursor, this.batchSize);
        if (!this.subscribers.has(subscriber)) return;
        this.deliver(subscriber, rows);
        if (rows.length < this.batchSize) break;
      }
    }
    const held = subscriber.held ?? [];
    subscriber.held = null;
    this.deliver(subscriber, held);
  }

  private deliver(subscriber: Subscriber, rows: readonly LedgerRow[]): void {
    const fresh = rows.filter((r) => r.seq > subscriber.cursor);
    const last = fresh.at(-1);
    if (!last) return;
    subscriber.cursor = last.seq;
    subscriber.listener.rows(fresh);
  }

  private ensurePolling(): void {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
      // A subscriber may have arrived while the loop was deciding to stop.
      if (this.subscribers.size > 0 && !this.isClosed) this.ensurePolling();
    });
  }

  private async poll(): Promise<void> {
    let failures = 0;
    while (this.subscribers.size > 0 && !this.isClosed) {
      let rows: LedgerRow[] = [];
      try {
        rows = await this.feed.after(this.position ?? 0, this.batchSize);
        failures = 0;
      } catch (err) {
        failures++;
        // The database may be restarting: keep the streams open and try again, more slowly.
        this.log?.warn({ reason: (err as Error).message, failures }, 'could not read new ledger rows for the live stream');
      }
      const last = rows.at(-1);
      if (last) {
        this.position = last.seq;
        for (const s of this.subscribers) {
          if (s.held) s.held.push(...rows);
          else this.deliver(s, rows);
        }
      }
      if (rows.length < this.batchSize) await this.sleep(this.pollIntervalMs * Math.min(2 ** failures, 20));
    }
    // Nobody listens: forget the position so the next subscriber starts from the tip of then.
    if (this.subscribers.size === 0) this.position = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
