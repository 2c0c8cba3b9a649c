/**
 * Keeps (or waits for) the lease on one repository so two watchers never both publish it: renewed
 * well within its TTL, and believed held only while the last renewal is recent enough that the
 * lease cannot have expired on the server meanwhile.
 */
import type { Logger } from '@driftless/telemetry';
import type { LeaseStore } from './ports.js';

// Believe a renewal for this share of the TTL, leaving the rest as a margin for clock and latency.
const TRUST_SHARE = 0.6;

export class LeaseKeeper {
  private heldUntilMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private wasHeld = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly repo: string,
    readonly holder: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this watcher may publish for the repository right now. */
  isHeld(): boolean {
    return this.now() < this.heldUntilMs;
  }

  /**
   * Takes or renews the lease; returns whether it is held, and whether it was just (re)gained,
   * in which case someone else may have published meanwhile and the caller must reload its state.
   */
  async renew(): Promise<{ isHeld: boolean; isNewlyAcquired: boolean }> {
    const startedMs = this.now();
    let isHeld: boolean;
    try {
      isHeld = await this.store.acquireOrRenew(this.repo, this.holder);
    } catch (err) {
      this.log.warn({ err, repo: this.repo }, 'lease renewal failed');
      isHeld = false;
    }
    this.heldUntilMs = isHeld ? startedMs + this.store.ttlMs * TRUST_SHARE : 0;
    const isNewlyAcquired = isHeld && !this.wasHeld;
    if (isHeld !== this.wasHeld) this.log.info({ repo: this.repo, holder: this.holder, isHeld }, isHeld ? 'lease acquired' : 'lease lost');
    this.wasHeld = isHeld;
    return { isHeld, isNewlyAcquired };
  }

  /** Renews in the background every third of the TTL; `onAcquired` runs when the lease is gained. */
  start(onAcquired: () => void): void {
    const tick = async () => {
      const { isNewlyAcquired } = await this.renew();
      if (isNewlyAcquired) onAcquired();
    };
    void tick();
    this.timer = setInterval(() => void tick(), Math.max(100, Math.floor(this.store.ttlMs / 3)));
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.wasHeld) {
      this.heldUntilMs = 0;
      this.wasHeld = false;
      await this.store.release(this.repo, this.holder).catch((err: unknown) => this.log.warn({ err, repo: this.repo }, 'lease release failed'));
    }
  }
}
