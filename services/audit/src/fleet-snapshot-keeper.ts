/**
 * Keeps a FleetSnapshot of `component_state` current, following the ledger. Every change of the
 * derived state is committed together with a ledger row naming its pair (a registration, which
 * restages the pairs of its cluster, with a row naming the cluster), and the ledger is append-only
 * with a dense `seq`. So a request reads the tip, and if it moved, the pairs named by the rows
 * since the snapshot's own tip are read again — a few rows instead of the whole fleet.
 *
 * The snapshot's tip only moves to a tip read before the rows it re-read: state newer than that
 * tip is harmless, it is read again with the slice that records it. Concurrent requests share one
 * refresh. Too large a fleet, or rows that do not come in the snapshot's order (the queries ask
 * for code-point order on any collation; this is the check that they got it), turn the snapshot
 * off and the routes read Postgres per request as before.
 */
import type { ChainTip } from './core/chain.js';
import { comparePairs, FleetSnapshot, type FleetPair } from './core/fleet-snapshot.js';
import type { AuditQueries, InventoryRow } from './ports.js';

export type FleetStateSource = Pick<AuditQueries, 'inventoryChangesSince' | 'inventoryRowsOf' | 'allInventoryRows'>;

export interface FleetSnapshotLimits {
  /** Pairs kept in memory; a larger fleet turns the snapshot off (0: never use it). */
  maxPairs: number;
  /** Ledger rows behind the tip up to which catching up reads only what changed; beyond, everything is read again. */
  maxDeltaRows: number;
}

/** 100 × 200 pairs hold about 42 MiB of heap (measured), so 50 000 (the largest inventory page) about 105 MiB. */
export const DEFAULT_FLEET_SNAPSHOT_LIMITS: FleetSnapshotLimits = { maxPairs: 50_000, maxDeltaRows: 20_000 };

export type SnapshotOffReason = 'disabled' | 'too-large' | 'collation';

const sameTip = (a: ChainTip, b: ChainTip): boolean => a.seq === b.seq && a.hash === b.hash;

export class FleetSnapshotKeeper<E extends FleetPair> {
  private snapshot: FleetSnapshot<E> | undefined;
  /** The ledger tip the snapshot reflects at least. */
  private known: ChainTip | undefined;
  /** The newest tip a request asked for: the next refresh goes there. */
  private wanted: ChainTip | undefined;
  private refreshing: Promise<void> | undefined;
  private off: SnapshotOffReason | undefined;
  readonly stats = { fullLoads: 0, deltas: 0, pairsReread: 0, clustersReread: 0, sharedWaits: 0 };

  constructor(
    private readonly source: FleetStateSource,
    private readonly toEntry: (row: InventoryRow) => E,
    private readonly limits: FleetSnapshotLimits = DEFAULT_FLEET_SNAPSHOT_LIMITS,
  ) {
    if (limits.maxPairs <= 0) this.off = 'disabled';
  }

  /** Why the snapshot is not used, if it is not. */
  get offReason(): SnapshotOffReason | undefined {
    return this.off;
  }

  /**
   * Brings the snapshot to at least `tip` (read by the caller before calling). Returns false when
   * the snapshot is off; then the caller reads Postgres. After true, read `current` synchronously.
   */
  async catchUp(tip: ChainTip): Promise<boolean> {
    if (this.off !== undefined) return false;
    if (this.known !== undefined && tip.seq < this.known.seq && !(await this.holdsKnown())) {
      // The ledger went back (a restore): what the snapshot holds is of a ledger that is gone.
      this.snapshot = undefined;
      this.known = undefined;
      this.wanted = tip;
    }
    if (this.wanted === undefined || tip.seq > this.wanted.seq || (tip.seq === this.wanted.seq && tip.hash !== this.wanted.hash)) this.wanted = tip;
    let isShared = this.refreshing !== undefined;
    while (this.off === undefined && !this.covers(tip)) {
      if (isShared) this.stats.sharedWaits += 1;
      this.refreshing ??= this.refresh(this.wanted ?? tip).finally(() => (this.refreshing = undefined));
      await this.refreshing;
      isShared = true;
    }
    return this.off === undefined;
  }

  /** The snapshot and the tip it reflects at least; valid until the next await. */
  get current(): { snapshot: FleetSnapshot<E>; tip: ChainTip } | undefined {
    return this.snapshot === undefined || this.known === undefined ? undefined : { snapshot: this.snapshot, tip: this.known };
  }

  /**
   * Whether the ledger still holds the tip the snapshot reflects. Asked only when a request read
   * an older tip: usually it read it just before another request's refresh went further, and the
   * answer is yes; after a restore to an older ledger it is no.
   */
  private async holdsKnown(): Promise<boolean> {
    const known = this.known;
    return known === undefined || (await this.source.inventoryChangesSince(known, known.seq)) !== null;
  }

  private covers(tip: ChainTip): boolean {
    const known = this.known;
    if (known === undefined) return false;
    // An older tip: a request that read it before another one refreshed; what we hold is newer.
    return known.seq > tip.seq || sameTip(known, tip);
  }

  private async refresh(tip: ChainTip): Promise<void> {
    const known = this.known;
    const snapshot = this.snapshot;
    if (known === undefined || snapshot === undefined || tip.seq - known.seq > this.limits.maxDeltaRows) return this.load(tip);
    // Behind what we hold (asked for before another refresh went further): nothing to do.
    if (tip.seq < known.seq) return;
    if (tip.seq === known.seq) return sameTip(known, tip) ? undefined : this.load(tip);
    const changes = await this.source.inventoryChangesSince(known, tip.seq);
    if (changes === null) return this.load(tip);
    const rows = changes.pairs.length + changes.clusters.length === 0 ? [] : await this.source.inventoryRowsOf(changes);
    // Nothing awaits from here on: readers see the old snapshot or the new one, never half of it.
    const seen = new Set<E>();
    for (const row of rows) {
      const entry = this.toEntry(row);
      snapshot.put(entry);
      seen.add(entry);
    }
    for (const pair of changes.pairs) {
      const entry = snapshot.get(pair);
      if (entry !== undefined && !seen.has(entry)) snapshot.remove(pair);
    }
    for (const cluster of changes.clusters) {
      for (const entry of snapshot.ofCluster(cluster)) if (!seen.has(entry)) snapshot.remove(entry);
    }
    this.stats.deltas += 1;
    this.stats.pairsReread += changes.pairs.length;
    this.stats.clustersReread += changes.clusters.length;
    if (snapshot.size > this.limits.maxPairs) return this.turnOff('too-large');
    this.known = tip;
  }

  private async load(tip: ChainTip): Promise<void> {
    const rows = await this.source.allInventoryRows(this.limits.maxPairs + 1);
    if (rows.length > this.limits.maxPairs) return this.turnOff('too-large');
    const snapshot = new FleetSnapshot<E>();
    let previous: InventoryRow | undefined;
    for (const row of rows) {
      // Postgres' order must be ours, or pages would differ from the SQL path's.
      if (previous !== undefined && comparePairs(previous.state, row.state) >= 0) return this.turnOff('collation');
      snapshot.put(this.toEntry(row));
      previous = row;
    }
    this.stats.fullLoads += 1;
    this.snapshot = snapshot;
    this.known = tip;
  }

  private turnOff(reason: SnapshotOffReason): void {
    this.off = reason;
    this.snapshot = undefined;
    this.known = undefined;
  }
}
