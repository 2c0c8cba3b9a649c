/**
 * The fleet's current state in memory: one entry per (cluster, component), kept in the
 * inventory's order (cluster, then component), and per (stage, component) how many clusters want
 * and run each version, so skew is known without asking the database. Pure: an adapter feeds it
 * rows read from `component_state`, the inventory routes select pages from it.
 */
import { NO_SKEW, skewKey, skewOf, type Skew } from './skew.js';

/** What the snapshot needs of an entry: its place in the order and what counts towards skew. */
export interface FleetPair {
  cluster: string;
  component: string;
  stage: string | null;
  desiredVersion: string | null;
  appliedVersion: string | null;
  isRemoved: boolean;
}

export interface PairKey {
  cluster: string;
  component: string;
}

/** The same filters and keyset page as the inventory's SQL (`after` is exclusive). */
export interface FleetSelection {
  cluster?: string | undefined;
  component?: string | undefined;
  stage?: string | undefined;
  after?: PairKey | undefined;
  limit: number;
}

/**
 * The inventory's order: by code unit, which for names (DNS labels) is code-point order — what
 * the inventory's SQL asks Postgres for on any collation (`collate "C"` where needed).
 */
export function comparePairs(a: PairKey, b: PairKey): number {
  if (a.cluster !== b.cluster) return a.cluster < b.cluster ? -1 : 1;
  if (a.component !== b.component) return a.component < b.component ? -1 : 1;
  return 0;
}

const keyOf = (p: PairKey): string => `${p.cluster}\u0000${p.component}`;

/** How many clusters of one stage want / run each version of one component (what `stage_versions` holds). */
export class VersionGroup {
  private readonly desired = new Map<string, number>();
  private readonly applied = new Map<string, number>();
  private skewMemo: Skew | undefined;
  /** The skew as the API serializes it, kept by the caller; cleared whenever the versions change. */
  text: string | undefined;

  /** Whether the stage's clusters want or run several versions (what the matrix shows). */
  get isSkewed(): boolean {
    return this.desired.size > 1 || this.applied.size > 1;
  }

  get skew(): Skew {
    this.skewMemo ??= skewOf({ stage: '', component: '', desiredVersions: [...this.desired.keys()], appliedVersions: [...this.applied.keys()] });
    return this.skewMemo;
  }

  /** Counts a pair in (sign 1) or out (sign -1), by the rule of the `stage_versions` triggers. */
  count(pair: FleetPair, sign: 1 | -1): void {
    if (pair.isRemoved) return;
    const changedDesired = pair.desiredVersion !== null && bump(this.desired, pair.desiredVersion, sign);
    const changedApplied = pair.appliedVersion !== null && bump(this.applied, pair.appliedVersion, sign);
    if (changedDesired || changedApplied) {
      this.skewMemo = undefined;
      this.text = undefined;
    }
  }
}

/** Adds `sign` to a version's count; true when the set of versions changed. */
function bump(counts: Map<string, number>, version: string, sign: 1 | -1): boolean {
  const next = (counts.get(version) ?? 0) + sign;
  if (next <= 0) return counts.delete(version);
  counts.set(version, next);
  return next === 1 && sign === 1;
}

export class FleetSnapshot<T extends FleetPair> {
  private readonly entries = new Map<string, T>();
  /** Entries in the inventory's order; rebuilt lazily after a pair appears or disappears. */
  private ordered: T[] | undefined = [];
  /** Groups are never dropped (there are at most stages × components), so an entry's group stays its group. */
  private readonly groups = new Map<string, VersionGroup>();
  /** Each entry's group, found without building its key: documents ask once per row. */
  private readonly groupByEntry = new Map<T, VersionGroup>();
  /** Revisions, so a reader can keep what it built from a part of the snapshot until that part changes. */
  private readonly clusterRevisions = new Map<string, number>();
  private revisions = { membership: 0, skewFlags: 0 };

  get size(): number {
    return this.entries.size;
  }

  get(key: PairKey): T | undefined {
    return this.entries.get(keyOf(key));
  }

  /** Adds or replaces the entry of its pair. */
  put(entry: T): void {
    const key = keyOf(entry);
    const previous = this.entries.get(key);
    if (previous !== undefined) this.uncount(previous);
    this.entries.set(key, entry);
    const group = this.groupFor(entry);
    if (group !== undefined) {
      this.countIn(group, entry, 1);
      this.groupByEntry.set(entry, group);
    }
    this.clusterRevisions.set(entry.cluster, this.revisionOf(entry.cluster) + 1);
    if (previous === undefined) this.membershipChanged();
    else if (this.ordered !== undefined) this.ordered[this.indexOf(entry)] = entry;
  }

  remove(key: PairKey): void {
    const previous = this.entries.get(keyOf(key));
    if (previous === undefined) return;
    this.uncount(previous);
    this.entries.delete(keyOf(key));
    this.clusterRevisions.set(key.cluster, this.revisionOf(key.cluster) + 1);
    this.membershipChanged();
  }

  /** Changes whenever a pair of the cluster is put or removed. */
  revisionOf(cluster: string): number {
    return this.clusterRevisions.get(cluster) ?? 0;
  }

  /** Changes whenever a pair appears or disappears. */
  get membershipRevision(): number {
    return this.revisions.membership;
  }

  /** Changes whenever some (stage, component) group starts or stops being skewed. */
  get skewFlagsRevision(): number {
    return this.revisions.skewFlags;
  }

  /** Every entry of one cluster, in order. */
  ofCluster(cluster: string): T[] {
    return this.select({ cluster, limit: Number.MAX_SAFE_INTEGER }).items;
  }

  /** The skew of the entry's (stage, component) group; its group, to keep a serialized form in. */
  groupOf(entry: T): VersionGroup | undefined {
    return this.groupByEntry.get(entry);
  }

  skewOf(entry: T): Skew {
    return this.groupOf(entry)?.skew ?? NO_SKEW;
  }

  /** One page, exactly as `where filters and (cluster, component) > after order by cluster, component limit` reads it. */
  select(selection: FleetSelection): { items: T[]; next: PairKey | null } {
    const ordered = this.inOrder();
    const { cluster, component, stage, after, limit } = selection;
    let from = 0;
    if (cluster !== undefined) from = lowerBound(ordered, { cluster, component: '' });
    if (after !== undefined) from = Math.max(from, upperBound(ordered, after));
    const items: T[] = [];
    let hasMore = false;
    for (let i = from; i < ordered.length; i++) {
      const entry = ordered[i] as T;
      if (cluster !== undefined && entry.cluster !== cluster) break;
      if (component !== undefined && entry.component !== component) continue;
      if (stage !== undefined && entry.stage !== stage) continue;
      if (items.length === limit) {
        hasMore = true;
        break;
      }
      items.push(entry);
    }
    const last = items.at(-1);
    return { items, next: hasMore && last !== undefined ? { cluster: last.cluster, component: last.component } : null };
  }

  private inOrder(): T[] {
    this.ordered ??= [...this.entries.values()].sort(comparePairs);
    return this.ordered;
  }

  private indexOf(key: PairKey): number {
    return lowerBound(this.inOrder(), key);
  }

  private groupFor(entry: FleetPair): VersionGroup | undefined {
    if (entry.stage === null) return undefined;
    const key = skewKey(entry.stage, entry.component);
    let group = this.groups.get(key);
    if (group === undefined) this.groups.set(key, (group = new VersionGroup()));
    return group;
  }

  private uncount(entry: T): void {
    // An empty group reads as no skew, as a group without versions does in Postgres.
    const group = this.groupByEntry.get(entry);
    if (group !== undefined) this.countIn(group, entry, -1);
    this.groupByEntry.delete(entry);
  }

  private countIn(group: VersionGroup, entry: T, sign: 1 | -1): void {
    const wasSkewed = group.isSkewed;
    group.count(entry, sign);
    if (group.isSkewed !== wasSkewed) this.revisions.skewFlags += 1;
  }

  private membershipChanged(): void {
    this.ordered = undefined;
    this.revisions.membership += 1;
  }
}

/** First index whose entry is not before `key`. */
function lowerBound(ordered: readonly PairKey[], key: PairKey): number {
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePairs(ordered[mid] as PairKey, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose entry is after `key`. */
function upperBound(ordered: readonly PairKey[], key: PairKey): number {
  let lo = 0;
  let hi = ordered.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePairs(ordered[mid] as PairKey, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
