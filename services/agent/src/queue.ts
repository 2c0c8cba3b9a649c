/**
 * A keyed work queue in the manner of client-go's: a key is queued at most once, a key being
 * worked on is never worked on twice at the same time (a new request marks it dirty and it runs
 * once more afterwards, so duplicate notifications collapse), and at most `concurrency` keys run
 * at once. A handler may ask to run again later (backoff, a rollout still progressing).
 */

export interface WorkResult {
  /** Run this key again after this delay (unless something queues it sooner). */
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  concurrency: number;
  handle: (key: string) => Promise<WorkResult | undefined>;
  /** A handler that throws is a bug; the queue survives it and reports it here. */
  onError: (key: string, err: unknown) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  private readonly idleWaiters: (() => void)[] = [];
  private isStopped = false;

  constructor(private readonly options: WorkQueueOptions) {}

  /** Queues `key` now; a no-op if it is already queued, and a re-run if it is running. */
  add(key: string): void {
    if (this.isStopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Queues `key` after `delayMs`; an earlier pending schedule wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.isStopped) return;
    const dueAt = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.dueAt <= dueAt) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.set(key, { timer, dueAt });
  }

  /** Keys queued or running. */
  get size(): number {
    return this.queued.size + this.running.size;
  }

  /** Resolves when nothing is queued or running (scheduled retries do not count). */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking work, drops what is queued and scheduled, and waits for running keys to finish. */
  async stop(): Promise<void> {
    this.isStopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    await this.idle();
  }

  private pump(): void {
    while (this.running.size < this.options.concurrency && this.queue.length > 0) {
      const key = this.queue.shift();
      if (key === undefined) break;
      this.queued.delete(key);
      this.running.add(key);
      void this.run(key);
    }
    if (this.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async run(key: string): Promise<void> {
    try {
      const result = await this.options.handle(key);
      if (result?.requeueAfterMs !== undefined && !this.isStopped) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.options.onError(key, err);
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
      this.pump();
    }
  }
}
