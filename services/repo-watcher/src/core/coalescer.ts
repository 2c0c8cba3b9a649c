/**
 * One sync in flight per repository, however many triggers arrive: a burst of webhooks and poll
 * ticks collapses into one run, and a trigger arriving during a run schedules exactly one more,
 * so a push is never missed and never fetched twice for one burst.
 */

export interface CoalescerOptions {
  /** Runs the work for one key; errors are reported through `onError`, never thrown. */
  run(key: string): Promise<void>;
  /** Waits before a scheduled run starts, so triggers arriving meanwhile join it (a debounce). */
  settle(key: string): Promise<void>;
  onError(key: string, err: unknown): void;
}

type KeyState = { phase: 'scheduled' } | { phase: 'running'; isRerunNeeded: boolean };

export class Coalescer {
  private readonly states = new Map<string, KeyState>();
  private readonly idle = new Map<string, Array<() => void>>();

  constructor(private readonly options: CoalescerOptions) {}

  /** Asks for a run of `key`; returns immediately. */
  request(key: string): void {
    const state = this.states.get(key);
    if (state?.phase === 'scheduled') return;
    if (state?.phase === 'running') {
      state.isRerunNeeded = true;
      return;
    }
    this.schedule(key);
  }

  /** Resolves once no run of `key` is scheduled or running. */
  whenIdle(key: string): Promise<void> {
    if (!this.states.has(key)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idle.get(key) ?? [];
      waiters.push(resolve);
      this.idle.set(key, waiters);
    });
  }

  private schedule(key: string): void {
    this.states.set(key, { phase: 'scheduled' });
    void this.cycle(key);
  }

  private async cycle(key: string): Promise<void> {
    try {
      await this.options.settle(key);
    } catch (err) {
      this.options.onError(key, err);
    }
    const running: KeyState = { phase: 'running', isRerunNeeded: false };
    this.states.set(key, running);
    try {
      await this.options.run(key);
    } catch (err) {
      this.options.onError(key, err);
    }
    if (running.isRerunNeeded) {
      this.schedule(key);
      return;
    }
    this.states.delete(key);
    const waiters = this.idle.get(key) ?? [];
    this.idle.delete(key);
    for (const resolve of waiters) resolve();
  }
}
