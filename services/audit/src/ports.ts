/**
 * The narrow interfaces the ingest worker and the HTTP API need. Postgres and NATS adapters
 * implement them; tests of the worker's failure handling use in-memory fakes.
 */
import type { DriftlessEvent } from '@driftless/contracts';
import type { ChainBreak, ChainTip } from './core/chain.js';
import type { VersionAt } from './core/diff.js';
import type { TransitionKind } from './core/kinds.js';
import type { LedgerRow } from './core/ledger.js';
import type { Role } from './core/roles.js';
import type { StageVersions } from './core/skew.js';
import type { ComponentState, Stamp, SyncFacts } from './core/state.js';

export interface DeadLetter {
  /** Identifies the message, so a redelivered dead letter is stored once. */
  dedupKey: string;
  eventId: string | null;
  subject: string;
  streamSeq: number;
  reason: string;
  payload: Uint8Array;
}

export interface IngestBatch {
  /** Valid events with distinct ids, in stream order. */
  events: readonly DriftlessEvent[];
  deadLetters: readonly DeadLetter[];
}

export interface WriteResult {
  /** Ledger rows appended. */
  recorded: number;
  /** Events already in the ledger (redeliveries), left as they were. */
  duplicates: number;
  heartbeats: number;
  deadLettered: number;
  tip: ChainTip;
}

/** Writes one batch in one transaction: all of it, or (on error) none of it. */
export interface LedgerWriter {
  write(batch: IngestBatch): Promise<WriteResult>;
}

export interface Page<T, C> {
  items: T[];
  /** The key to continue after, or null on the last page. */
  next: C | null;
}

export interface TransitionQuery {
  cluster?: string;
  component?: string;
  app?: string;
  stage?: string;
  actor?: string;
  kinds?: readonly TransitionKind[];
  commitSha?: string;
  /** The steps of one promotion (requested, waiting, approved, …, committed or halted). */
  promotionId?: string;
  since?: Date;
  until?: Date;
  limit: number;
  after?: Stamp;
}

export interface InventoryQuery {
  cluster?: string;
  component?: string;
  stage?: string;
  limit: number;
  after?: { cluster: string; component: string };
}

/** A component's state on a cluster, with the stage it counts for (its placement's, else its cluster's). */
export interface InventoryRow {
  state: ComponentState;
  stage: string | null;
}

/** One cell of the fleet matrix: the few facts a fleet-wide view shows, without times or hashes. */
export interface InventoryCell extends SyncFacts {
  cluster: string;
  component: string;
  stage: string | null;
  desiredVersion: string | null;
  appliedVersion: string | null;
  health: string | null;
  isDrifted: boolean;
}

/** Which pairs a slice of the ledger may have changed: the fleet snapshot re-reads exactly these. */
export interface InventoryChanges {
  /** Pairs named by a row of the slice. */
  pairs: { cluster: string; component: string }[];
  /** Clusters named by a row without a component (a registration can restage every pair of its cluster). */
  clusters: string[];
}

export interface ClusterSummary {
  name: string;
  stage: string | null;
  labels: Record<string, string>;
  registeredAt: Date | null;
  revokedAt: Date | null;
  lastHeartbeatAt: Date | null;
  agentVersion: string | null;
  componentCount: number;
  byHealth: Record<string, number>;
  driftedCount: number;
  failingCount: number;
}

export interface ClusterQuery {
  stage?: string;
  limit: number;
  after?: string;
}

export interface CommitRecord {
  sha: string;
  repo: string;
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
  message: string;
  committedAt: Date;
}

export interface CommitActivity {
  commit: CommitRecord | null;
  /** Every ledger row that names the commit, oldest first. */
  rows: LedgerRow[];
  /** Agent reports about the (cluster, component) pairs the commit changed, oldest first. */
  reports: LedgerRow[];
  /** What each of those pairs should run now (key `cluster/component`). */
  currentDesiredHash: Map<string, string | null>;
}

export interface DeadLetterRecord {
  id: number;
  eventId: string | null;
  subject: string;
  streamSeq: number | null;
  reason: string;
  receivedAt: Date;
  payloadBytes: number;
  /** The payload as text (UTF-8, invalid bytes replaced), cut to a preview. */
  payloadPreview: string;
}

export interface VerifyResult {
  isIntact: boolean;
  checkedRows: number;
  firstSeq: number | null;
  lastSeq: number | null;
  tipHash: string | null;
  firstBreak: ChainBreak | null;
}

export type DiffBasis = 'desired' | 'applied';

export interface AuditQueries {
  transitions(query: TransitionQuery): Promise<Page<LedgerRow, Stamp>>;
  inventory(query: InventoryQuery): Promise<Page<InventoryRow, { cluster: string; component: string }> & { stageVersions: StageVersions[] }>;
  /** The same rows as `inventory`, reduced to the fleet matrix's cells. */
  inventoryCells(query: InventoryQuery): Promise<Page<InventoryCell, { cluster: string; component: string }> & { stageVersions: StageVersions[] }>;
  /** The ledger's newest row: every change of the derived state is committed with a new one. */
  ledgerTip(): Promise<ChainTip>;
  /**
   * The pairs and clusters named by the ledger rows after `known` up to `upToSeq`, or null when the
   * ledger no longer holds `known` (another database, a restore): then only a full read is safe.
   */
  inventoryChangesSince(known: ChainTip, upToSeq: number): Promise<InventoryChanges | null>;
  /** The current rows of the given pairs and of every pair of the given clusters. */
  inventoryRowsOf(changes: InventoryChanges): Promise<InventoryRow[]>;
  /** Up to `limit` rows of the whole fleet, in the inventory's order (code point, whatever the database's collation). */
  allInventoryRows(limit: number): Promise<InventoryRow[]>;
  /** Every state of one component, on every cluster. */
  statesOfComponent(component: string): Promise<InventoryRow[]>;
  /** The position of the newest row naming a commit, or null if the ledger never saw it. */
  pointOfCommit(sha: string): Promise<Stamp | null>;
  /** Component → version on a cluster as of a point (inclusive). */
  snapshotAt(cluster: string, point: Stamp, basis: DiffBasis): Promise<Map<string, VersionAt>>;
  commitActivity(sha: string): Promise<CommitActivity>;
  clusters(query: ClusterQuery): Promise<Page<ClusterSummary, string>>;
  cluster(name: string): Promise<ClusterSummary | null>;
  deadLetters(query: { limit: number; afterId?: number }): Promise<Page<DeadLetterRecord, number>>;
  /** Walks the chain from `fromSeq` (default the start), at most `limit` rows, in bounded memory. */
  verify(options: { fromSeq?: number; limit?: number }): Promise<VerifyResult>;
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
}

export interface TokenStore {
  /** The active token whose sha256 is `tokenHash`, if any. */
  findByHash(tokenHash: string): Promise<ApiToken | undefined>;
}

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** The ledger in `seq` order, for the live stream's tail. */
export interface TransitionFeed {
  /** The newest row's seq, 0 for an empty ledger. */
  tipSeq(): Promise<number>;
  /** Up to `limit` rows with seq > `afterSeq`, oldest first. */
  after(afterSeq: number, limit: number): Promise<LedgerRow[]>;
}
