/**
 * The change policy's per-repository state, kept in the checkpoint so it is saved in the same KV
 * write as what was published: per stage the last released commit, the held commits with their
 * approvals, and what the head would publish for blocked stages. Pure transitions only.
 */
import type { PublishedEntry } from './checkpoint.js';

export const ChangeRule = { author: 'author', signature: 'signature', path: 'path', brake: 'brake' } as const;
export type ChangeRule = (typeof ChangeRule)[keyof typeof ChangeRule];

export interface HoldReason {
  rule: ChangeRule;
  stage: string;
  message: string;
}

/** One stage a commit is held on. */
export interface StageHold {
  stage: string;
  /** False when approvals cannot release it (a missing or invalid required signature). */
  isApprovable: boolean;
  /** Distinct approvers needed: max(1, the stage's gates.approvals). */
  requiredApprovals: number;
}

export interface HeldCommit {
  sha: string;
  heldAt: string;
  /** Stages still held; a stage leaves the list once released. */
  stages: StageHold[];
  reasons: HoldReason[];
  approvers: string[];
}

export interface PolicyState {
  /**
   * Per stage, the commit whose content for that stage is published. Its policy.yaml is the
   * policy in force for the stage: a commit is never checked against its own policy.
   */
  released: Record<string, string>;
  /** The last commit at which no stage was blocked: the released commit of stages not in `released`. */
  baseSha: string | undefined;
  /** Held commits, oldest first. */
  held: HeldCommit[];
  /** The stage of every cluster seen, so a removed pair can be attributed to its stage. */
  clusterStages: Record<string, string>;
  /**
   * For pairs of blocked stages, what the head renders (null: the head no longer has the pair) while
   * the published entry stays at the released commit. Empty when nothing is blocked.
   */
  unpublished: Record<string, PublishedEntry | null>;
}

export function emptyPolicyState(baseSha?: string): PolicyState {
  return { released: {}, baseSha, held: [], clusterStages: {}, unpublished: {} };
}

/** Stages that may not publish: held by at least one commit. */
export function blockedStages(state: PolicyState): Set<string> {
  const blocked = new Set<string>();
  for (const held of state.held) for (const hold of held.stages) blocked.add(hold.stage);
  return blocked;
}

/** The commit whose policy governs `stage`; undefined before anything was ever released. */
export function releasedShaOf(state: PolicyState, stage: string): string | undefined {
  return state.released[stage] ?? state.baseSha;
}

/** What the head renders for every pair: the published entries with the blocked stages' pending changes. */
export function headEntries(published: Readonly<Record<string, PublishedEntry>>, state: PolicyState): Record<string, PublishedEntry> {
  const entries: Record<string, PublishedEntry> = { ...published };
  for (const [key, entry] of Object.entries(state.unpublished)) {
    if (entry === null) delete entries[key];
    else entries[key] = entry;
  }
  return entries;
}

export type ApprovalResult =
  | { kind: 'not-held' }
  | { kind: 'not-approvable'; reasons: HoldReason[] }
  | { kind: 'already-approved'; approvers: string[] }
  | { kind: 'recorded'; state: PolicyState; approvers: string[]; releasedStages: string[]; waitingStages: string[] };

/**
 * Records `approver`'s approval of a held commit. Stages whose hold is approvable and now has
 * enough distinct approvers are released from this commit's hold (they publish only once no
 * other held commit blocks them). A commit with no held stage left is forgotten.
 */
export function recordApproval(state: PolicyState, sha: string, approver: string): ApprovalResult {
  const index = state.held.findIndex((h) => h.sha === sha);
  const held = state.held[index];
  if (held === undefined) return { kind: 'not-held' };
  const approvable = held.stages.filter((s) => s.isApprovable);
  if (approvable.length === 0) return { kind: 'not-approvable', reasons: held.reasons };
  if (held.approvers.includes(approver)) return { kind: 'already-approved', approvers: held.approvers };
  const approvers = [...held.approvers, approver];
  const releasedStages = approvable.filter((s) => approvers.length >= s.requiredApprovals).map((s) => s.stage);
  const remaining = held.stages.filter((s) => !releasedStages.includes(s.stage));
  const next = { ...held, approvers, stages: remaining };
  const heldList = remaining.length === 0 ? state.held.filter((_, i) => i !== index) : state.held.map((h, i) => (i === index ? next : h));
  return {
    kind: 'recorded',
    state: { ...state, held: heldList },
    approvers,
    releasedStages,
    waitingStages: remaining.filter((s) => s.isApprovable).map((s) => s.stage),
  };
}

/** Forgets held commits that are no longer in the branch's history (a force-push dropped them). */
export function dropHeld(state: PolicyState, isKept: (sha: string) => boolean): { state: PolicyState; dropped: string[] } {
  const dropped = state.held.filter((h) => !isKept(h.sha)).map((h) => h.sha);
  if (dropped.length === 0) return { state, dropped };
  return { state: { ...state, held: state.held.filter((h) => isKept(h.sha)) }, dropped };
}

/** Releases every hold on `stages` (their content at the head equals what is published: the held change is gone). */
export function clearStages(state: PolicyState, stages: ReadonlySet<string>): PolicyState {
  const held = state.held
    .map((h) => ({ ...h, stages: h.stages.filter((s) => !stages.has(s.stage)) }))
    .filter((h) => h.stages.length > 0);
  return { ...state, held };
}
