/**
 * Current state of one component on one cluster, folded from its ledger rows. Each aspect
 * (what should run, what runs, health, drift, last problem) keeps the newest report by
 * (time, seq), so folding in any order — live ingest with late arrivals, or a full rebuild
 * sorted by time — ends in the same state. The ledger stays the only source of truth.
 */
import type { Health } from '@driftless/contracts';
import { TransitionKind } from './kinds.js';
import type { LedgerRow } from './ledger.js';

/** Orders reports: by time, then by position in the ledger. */
export interface Stamp {
  at: Date;
  seq: number;
}

export function isNewer(a: Stamp, b: Stamp | null | undefined): boolean {
  if (!b) return true;
  const dt = a.at.getTime() - b.at.getTime();
  return dt !== 0 ? dt > 0 : a.seq > b.seq;
}

export const DriftStatus = { inSync: 'InSync', drifted: 'Drifted' } as const;
export type DriftStatus = (typeof DriftStatus)[keyof typeof DriftStatus];

export type ProblemKind = typeof TransitionKind.applyFailed | typeof TransitionKind.pruneBlocked | typeof TransitionKind.renderFailed;

export interface ComponentState {
  cluster: string;
  component: string;
  /** Where the environment repository places it: from the newest desired change. */
  placement: (Stamp & { stage: string; apps: string[]; repo: string }) | null;
  desired: (Stamp & { version: string | null; hash: string | null; commitSha: string; isRemoved: boolean }) | null;
  applied: (Stamp & { version: string; hash: string; commitSha: string | null }) | null;
  health: (Stamp & { status: Health }) | null;
  drift: (Stamp & { status: DriftStatus; fields: string[]; manager: string | null }) | null;
  /** The newest failure that no later successful apply has superseded. */
  problem: (Stamp & { kind: ProblemKind; reason: string }) | null;
  lastSeq: number;
}

export function emptyState(cluster: string, component: string): ComponentState {
  return { cluster, component, placement: null, desired: null, applied: null, health: null, drift: null, problem: null, lastSeq: 0 };
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Applies one ledger row about this (cluster, component); rows of other kinds leave it unchanged. */
export function foldState(state: ComponentState, row: LedgerRow): ComponentState {
  const stamp: Stamp = { at: row.occurredAt, seq: row.seq };
  const next: ComponentState = { ...state, lastSeq: Math.max(state.lastSeq, row.seq) };
  switch (row.kind) {
    case TransitionKind.desiredChanged:
      if (isNewer(stamp, state.placement)) {
        next.placement = { ...stamp, stage: row.stage ?? '', apps: row.apps ?? [], repo: row.repo ?? '' };
      }
      if (isNewer(stamp, state.desired)) {
        next.desired = { ...stamp, version: row.toVersion, hash: row.toHash, commitSha: row.commitSha ?? '', isRemoved: false };
      }
      return next;
    case TransitionKind.desiredRemoved:
      if (isNewer(stamp, state.desired)) next.desired = { ...stamp, version: null, hash: null, commitSha: row.commitSha ?? '', isRemoved: true };
      return next;
    case TransitionKind.applied:
      if (isNewer(stamp, state.applied)) {
        next.applied = { ...stamp, version: row.toVersion ?? '', hash: row.toHash ?? '', commitSha: row.commitSha };
      }
      // A successful apply newer than the last failure supersedes it.
      if (state.problem && isNewer(stamp, state.problem)) next.problem = null;
      return next;
    case TransitionKind.applyFailed:
    case TransitionKind.pruneBlocked:
    case TransitionKind.renderFailed:
      if (isNewer(stamp, state.problem) && isNewer(stamp, state.applied)) {
        next.problem = { ...stamp, kind: row.kind, reason: str(row.detail['reason']) };
      }
      return next;
    case TransitionKind.healthChanged:
      if (isNewer(stamp, state.health)) next.health = { ...stamp, status: row.detail['to'] as Health };
      return next;
    case TransitionKind.driftDetected:
      if (isNewer(stamp, state.drift)) {
        const fields = Array.isArray(row.detail['fields']) ? (row.detail['fields'] as unknown[]).map(str) : [];
        next.drift = { ...stamp, status: DriftStatus.drifted, fields, manager: row.actor };
      }
      return next;
    case TransitionKind.driftCorrected:
      if (isNewer(stamp, state.drift)) next.drift = { ...stamp, status: DriftStatus.inSync, fields: [], manager: null };
      return next;
    case TransitionKind.repoRewritten:
    case TransitionKind.clusterRegistered:
    case TransitionKind.clusterRevoked:
    case TransitionKind.promotionRequested:
    case TransitionKind.promotionApproved:
    case TransitionKind.promotionCommitted:
    case TransitionKind.promotionRejected:
    case TransitionKind.promotionWaiting:
    case TransitionKind.promotionHalted:
    case TransitionKind.changeHeld:
    case TransitionKind.changeApproved:
    case TransitionKind.changeReleased:
      return state;
  }
}

/** Whether a row is about one component on one cluster, i.e. feeds `foldState`. */
export function isStateRow(row: Pick<LedgerRow, 'cluster' | 'component' | 'kind'>): row is typeof row & { cluster: string; component: string } {
  return row.cluster !== null && row.component !== null && STATE_KINDS.has(row.kind);
}

const STATE_KINDS = new Set<string>([
  TransitionKind.desiredChanged,
  TransitionKind.desiredRemoved,
  TransitionKind.applied,
  TransitionKind.applyFailed,
  TransitionKind.pruneBlocked,
  TransitionKind.renderFailed,
  TransitionKind.healthChanged,
  TransitionKind.driftDetected,
  TransitionKind.driftCorrected,
]);

export function stateKey(cluster: string, component: string): string {
  return `${cluster}/${component}`;
}

/** Folds rows into the given states (by key), creating states for new pairs; returns the touched ones. */
export function foldAll(states: Map<string, ComponentState>, rows: readonly LedgerRow[]): Map<string, ComponentState> {
  const touched = new Map<string, ComponentState>();
  for (const row of rows) {
    if (!isStateRow(row)) continue;
    const key = stateKey(row.cluster, row.component);
    const current = touched.get(key) ?? states.get(key) ?? emptyState(row.cluster, row.component);
    touched.set(key, foldState(current, row));
  }
  return touched;
}

export const SyncStatus = {
  synced: 'Synced',
  outOfSync: 'OutOfSync',
  failed: 'Failed',
  removed: 'Removed',
  unknown: 'Unknown',
} as const;
export type SyncStatus = (typeof SyncStatus)[keyof typeof SyncStatus];

/** What sync depends on, so a slim projection of the state (the fleet matrix) can judge it too. */
export interface SyncFacts {
  isRemoved: boolean;
  hasProblem: boolean;
  hasDesired: boolean;
  /** What runs has the content hash of what should run. */
  isAppliedDesired: boolean;
}

export function syncOf(facts: SyncFacts): SyncStatus {
  if (facts.isRemoved) return SyncStatus.removed;
  if (facts.hasProblem) return SyncStatus.failed;
  if (!facts.hasDesired) return SyncStatus.unknown;
  return facts.isAppliedDesired ? SyncStatus.synced : SyncStatus.outOfSync;
}

/** Whether what runs is what should run, judged by content hash (versions can repeat across edits). */
export function syncStatusOf(state: ComponentState): SyncStatus {
  return syncOf({
    isRemoved: state.desired?.isRemoved === true,
    hasProblem: state.problem !== null,
    hasDesired: state.desired !== null,
    isAppliedDesired: state.desired !== null && state.applied?.hash === state.desired.hash,
  });
}
