/**
 * Serialized inventory responses, valid for the ledger tip they were computed at. Every change
 * to the derived state is committed together with a new ledger row, so a response computed after
 * reading tip T is fresh for as long as T is still the tip; a request reads the tip first and
 * only takes an entry made at that same tip. A fleet-wide document is then serialized once per
 * ledger change instead of once per request. It also carries the limits of the fleet snapshot
 * the documents are built from (see FleetSnapshotKeeper).
 */
import type { ChainTip } from '../core/chain.js';
import { DEFAULT_FLEET_SNAPSHOT_LIMITS, type FleetSnapshotLimits } from '../fleet-snapshot-keeper.js';

export interface CacheLimits {
  /** Total characters kept (default 64 Mi, a few whole-fleet documents). */
  maxChars?: number;
  maxEntries?: number;
  /** The in-memory fleet snapshot's limits; `{ maxPairs: 0 }` reads Postgres per request instead. */
  snapshot?: Partial<FleetSnapshotLimits>;
}

export class InventoryCache {
  private tip: ChainTip | undefined;
  private readonly bodies = new Map<string, string>();
  private chars = 0;
  private readonly maxChars: number;
  private readonly maxEntries: number;
  readonly stats = { hits: 0, misses: 0 };
  readonly snapshotLimits: FleetSnapshotLimits;

  constructor(limits: CacheLimits = {}) {
    this.maxChars = limits.maxChars ?? 64 * 1024 * 1024;
    this.maxEntries = limits.maxEntries ?? 64;
    this.snapshotLimits = { ...DEFAULT_FLEET_SNAPSHOT_LIMITS, ...limits.snapshot };
  }

  get(tip: ChainTip, key: string): string | undefined {
    const body = this.isCurrent(tip) ? this.bodies.get(key) : undefined;
    if (body === undefined) this.stats.misses += 1;
    else this.stats.hits += 1;
    return body;
  }

  set(tip: ChainTip, key: string, body: string): void {
    // A slow request computed at an older tip must not evict what newer ones stored.
    if (this.tip !== undefined && tip.seq < this.tip.seq) return;
    if (!this.isCurrent(tip)) {
      this.bodies.clear();
      this.chars = 0;
      this.tip = tip;
    }
    if (body.length > this.maxChars) return;
    const previous = this.bodies.get(key);
    if (previous !== undefined) {
      this.bodies.delete(key);
      this.chars -= previous.length;
    }
    // Oldest first out (Map keeps insertion order).
    for (const [oldKey, oldBody] of this.bodies) {
      if (this.chars + body.length <= this.maxChars && this.bodies.size < this.maxEntries) break;
      this.bodies.delete(oldKey);
      this.chars -= oldBody.length;
    }
    this.bodies.set(key, body);
    this.chars += body.length;
  }

  private isCurrent(tip: ChainTip): boolean {
    return this.tip !== undefined && this.tip.seq === tip.seq && this.tip.hash === tip.hash;
  }
}
