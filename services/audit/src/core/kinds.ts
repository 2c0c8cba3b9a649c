/**
 * The steps the ledger records, one per event type except heartbeats (which only refresh a
 * cluster's liveness and would otherwise flood the history with millions of non-transitions).
 */
import type { EventType } from '@driftless/contracts';

export const TransitionKind = {
  desiredChanged: 'desired_changed',
  desiredRemoved: 'desired_removed',
  renderFailed: 'render_failed',
  repoRewritten: 'repo_rewritten',
  applied: 'applied',
  applyFailed: 'apply_failed',
  driftDetected: 'drift_detected',
  driftCorrected: 'drift_corrected',
  healthChanged: 'health_changed',
  pruneBlocked: 'prune_blocked',
  clusterRegistered: 'cluster_registered',
  clusterRevoked: 'cluster_revoked',
  promotionRequested: 'promotion_requested',
  promotionApproved: 'promotion_approved',
  promotionCommitted: 'promotion_committed',
  promotionRejected: 'promotion_rejected',
  promotionWaiting: 'promotion_waiting',
  promotionHalted: 'promotion_halted',
  changeHeld: 'change_held',
  changeApproved: 'change_approved',
  changeReleased: 'change_released',
} as const;
export type TransitionKind = (typeof TransitionKind)[keyof typeof TransitionKind];
export const TRANSITION_KINDS = Object.values(TransitionKind);

/** Which ledger kind each event type becomes; `null` for events that are not transitions. */
export const KIND_OF_EVENT = {
  'driftless.desired.changed.v1': TransitionKind.desiredChanged,
  'driftless.desired.removed.v1': TransitionKind.desiredRemoved,
  'driftless.render.failed.v1': TransitionKind.renderFailed,
  'driftless.repo.rewritten.v1': TransitionKind.repoRewritten,
  'driftless.agent.applied.v1': TransitionKind.applied,
  'driftless.agent.apply_failed.v1': TransitionKind.applyFailed,
  'driftless.agent.drift_detected.v1': TransitionKind.driftDetected,
  'driftless.agent.drift_corrected.v1': TransitionKind.driftCorrected,
  'driftless.agent.health_changed.v1': TransitionKind.healthChanged,
  'driftless.agent.prune_blocked.v1': TransitionKind.pruneBlocked,
  'driftless.cluster.registered.v1': TransitionKind.clusterRegistered,
  'driftless.cluster.revoked.v1': TransitionKind.clusterRevoked,
  'driftless.cluster.heartbeat.v1': null,
  'driftless.promotion.requested.v1': TransitionKind.promotionRequested,
  'driftless.promotion.approved.v1': TransitionKind.promotionApproved,
  'driftless.promotion.committed.v1': TransitionKind.promotionCommitted,
  'driftless.promotion.rejected.v1': TransitionKind.promotionRejected,
  'driftless.promotion.waiting.v1': TransitionKind.promotionWaiting,
  'driftless.promotion.halted.v1': TransitionKind.promotionHalted,
  'driftless.change.held.v1': TransitionKind.changeHeld,
  'driftless.change.approved.v1': TransitionKind.changeApproved,
  'driftless.change.released.v1': TransitionKind.changeReleased,
} as const satisfies Record<EventType, TransitionKind | null>;

/** Kinds that set what should run (used by diff and commit progress). */
export const DESIRED_KINDS: readonly TransitionKind[] = [TransitionKind.desiredChanged, TransitionKind.desiredRemoved];
/** Kinds an agent reports about one component on its cluster. */
export const AGENT_KINDS: readonly TransitionKind[] = [
  TransitionKind.applied,
  TransitionKind.applyFailed,
  TransitionKind.driftDetected,
  TransitionKind.driftCorrected,
  TransitionKind.healthChanged,
  TransitionKind.pruneBlocked,
];

/** The steps of a promotion: the only rows that carry a `promotionId` in their detail. */
export const PROMOTION_KINDS: readonly TransitionKind[] = [
  TransitionKind.promotionRequested,
  TransitionKind.promotionWaiting,
  TransitionKind.promotionApproved,
  TransitionKind.promotionRejected,
  TransitionKind.promotionCommitted,
  TransitionKind.promotionHalted,
];
