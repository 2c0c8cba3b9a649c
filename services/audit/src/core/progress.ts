/**
 * How far a commit got: for every (cluster, component) it changed, whether the change was
 * applied, failed, was overtaken by a later commit, or is still on its way.
 */
import type { Health } from '@driftless/contracts';
import { TransitionKind } from './kinds.js';
import type { LedgerRow } from './ledger.js';
import { isNewer, stateKey } from './state.js';

export const TargetStatus = {
  pending: 'pending',
  applied: 'applied',
  failed: 'failed',
  superseded: 'superseded',
  removed: 'removed',
} as const;
export type TargetStatus = (typeof TargetStatus)[keyof typeof TargetStatus];

export interface TargetProgress {
  cluster: string;
  component: string;
  stage: string | null;
  version: string | null;
  hash: string | null;
  status: TargetStatus;
  health: Health | null;
  appliedAt: Date | null;
  reason: string | null;
}

export interface CommitProgress {
  targets: TargetProgress[];
  counts: Record<TargetStatus, number>;
}

/**
 * `changes`: the commit's desired-changed/removed rows. `reports`: agent rows about the same
 * (cluster, component) pairs. `currentDesiredHash`: what each pair should run now, to tell a
 * change still on its way from one a later commit replaced.
 */
export function commitProgress(
  changes: readonly LedgerRow[],
  reports: readonly LedgerRow[],
  currentDesiredHash: ReadonlyMap<string, string | null>,
): CommitProgress {
  const targets: TargetProgress[] = [];
  for (const change of changes) {
    if (change.cluster === null || change.component === null) continue;
    const key = stateKey(change.cluster, change.component);
    const base = {
      cluster: change.cluster,
      component: change.component,
      stage: change.stage,
      version: change.toVersion,
      hash: change.toHash,
      health: null as Health | null,
      appliedAt: null as Date | null,
      reason: null as string | null,
    };
    if (change.kind === TransitionKind.desiredRemoved) {
      targets.push({ ...base, status: TargetStatus.removed });
      continue;
    }
    const mine = reports
      .filter((r) => r.cluster === change.cluster && r.component === change.component && r.toHash === change.toHash)
      .filter((r) => isNewer({ at: r.occurredAt, seq: r.seq }, { at: change.occurredAt, seq: change.seq }) || r.seq > change.seq);
    const applied = mine.filter((r) => r.kind === TransitionKind.applied);
    const failures = mine.filter((r) => r.kind === TransitionKind.applyFailed || r.kind === TransitionKind.pruneBlocked);
    const health = mine.filter((r) => r.kind === TransitionKind.healthChanged).at(-1);
    const lastApplied = applied.at(-1);
    const lastFailure = failures.at(-1);
    const progress = { ...base, health: (health?.detail['to'] as Health | undefined) ?? null };
    if (lastApplied && (!lastFailure || lastApplied.seq > lastFailure.seq)) {
      targets.push({ ...progress, status: TargetStatus.applied, appliedAt: lastApplied.occurredAt });
    } else if (lastFailure) {
      targets.push({ ...progress, status: TargetStatus.failed, reason: typeof lastFailure.detail['reason'] === 'string' ? lastFailure.detail['reason'] : null });
    } else if (currentDesiredHash.has(key) && currentDesiredHash.get(key) !== change.toHash) {
      targets.push({ ...progress, status: TargetStatus.superseded });
    } else {
      targets.push({ ...progress, status: TargetStatus.pending });
    }
  }
  targets.sort((a, b) => (a.cluster === b.cluster ? a.component.localeCompare(b.component) : a.cluster.localeCompare(b.cluster)));
  const counts = { pending: 0, applied: 0, failed: 0, superseded: 0, removed: 0 };
  for (const t of targets) counts[t.status] += 1;
  return { targets, counts };
}
