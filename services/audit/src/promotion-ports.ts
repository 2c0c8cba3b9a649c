/**
 * The narrow interfaces promotions and held changes need: a Postgres store for promotions,
 * approvals and the ledger facts the gates read, the repo-watcher's promote command over NATS,
 * and a lease so one replica drives promotions. The service, the engine and the routes see only these.
 */
import type { Commit, PromoteReply, PromoteRequest, PromotionPlan } from '@driftless/contracts';
import type { Approval, ComponentFacts, Pending } from './core/promotion-gates.js';
import type { ComponentVersion, PromotionCommit, PromotionKind, PromotionStatus } from './core/promotion.js';
import type { Role } from './core/roles.js';
import type { Page } from './ports.js';

export interface PromotionRecord {
  id: string;
  kind: PromotionKind;
  repo: string;
  stage: string;
  components: ComponentVersion[];
  clusters: string[] | null;
  selector: string | null;
  waveSize: number | null;
  waveTimeoutS: number;
  waves: string[][];
  /** The requester as the ledger names callers (`token:<name>`), and as the commit's author. */
  requester: string;
  requesterPerson: { name: string; email: string };
  reason: string | null;
  status: PromotionStatus;
  plan: PromotionPlan;
  pending: Pending[];
  commits: PromotionCommit[];
  statusReason: string | null;
  decidedBy: string | null;
  watcherError: string | null;
  watcherRefusals: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPromotion = Omit<PromotionRecord, 'status' | 'pending' | 'commits' | 'statusReason' | 'decidedBy' | 'watcherError' | 'watcherRefusals' | 'updatedAt'>;

/** Fields a step changes; absent fields stay. */
export type PromotionChange = Partial<Pick<PromotionRecord, 'status' | 'pending' | 'commits' | 'statusReason' | 'decidedBy' | 'watcherError' | 'watcherRefusals'>>;

export interface PromotionQuery {
  status?: PromotionStatus;
  component?: string;
  stage?: string;
  limit: number;
  after?: { createdAt: Date; id: string };
}

export interface PromotionStore {
  create(promotion: NewPromotion): Promise<PromotionRecord>;
  get(id: string): Promise<PromotionRecord | undefined>;
  list(query: PromotionQuery): Promise<Page<PromotionRecord, { createdAt: Date; id: string }>>;
  /** Promotions not yet committed, rejected or halted, oldest first. */
  open(): Promise<PromotionRecord[]>;
  /**
   * Applies `change` only if the promotion's status is one of `from` (so the engine and an API call
   * never both win); undefined if it was not.
   */
  transition(id: string, from: readonly PromotionStatus[], change: PromotionChange): Promise<PromotionRecord | undefined>;
  approvals(id: string): Promise<Approval[]>;
  /** The approvals of several promotions at once (for listings), by promotion id. */
  approvalsOf(ids: readonly string[]): Promise<Map<string, Approval[]>>;
  /** Records an approval while the status is one of `from`; 'duplicate' if this approver approved already. */
  addApproval(id: string, from: readonly PromotionStatus[], approval: Approval): Promise<'added' | 'duplicate' | 'closed'>;
}

/** What the gates and waves read from the ledger's derived state. */
export interface LedgerFacts {
  componentFacts(pairs: readonly { cluster: string; component: string }[]): Promise<Map<string, ComponentFacts>>;
  /** The stage's desired versions of a component, newest first (one per change). */
  stageHistory(stage: string, component: string): Promise<string[]>;
  /** Repositories that place the component anywhere. */
  reposOf(component: string): Promise<string[]>;
}

export interface TokenPeople {
  /** The email recorded for an API token, if any. */
  emailOf(tokenId: string): Promise<string | null>;
}

/** The repo-watcher's promote command. Throws WatcherUnavailableError when no watcher answers in time. */
export interface PromoteCommander {
  send(request: PromoteRequest): Promise<PromoteReply>;
}

/** One replica at a time drives promotions. */
export interface EngineLease {
  /** True while this replica holds the lease (acquiring it if free). */
  hold(): Promise<boolean>;
  release(): Promise<void>;
}

export interface HeldChange {
  repo: string;
  commit: Commit;
  stages: string[];
  reasons: { rule: string; stage: string; message: string }[];
  isApprovable: boolean;
  clusters: { changed: number; removed: number };
  heldAt: Date;
  approvers: string[];
  releasedAt: Date | null;
}

export interface HeldChanges {
  /** Held commits, newest first; without `isReleasedIncluded`, only those not yet released. */
  list(query: { repo?: string; isReleasedIncluded: boolean; limit: number }): Promise<HeldChange[]>;
  get(sha: string): Promise<HeldChange | undefined>;
}

export type { Role };
