/**
 * Every NATS subject, stream, bucket and key Driftless uses, built here and nowhere else.
 * Builders validate their name arguments, so a hostile name can never widen a subscription.
 */
import { assertDnsLabel } from './names.js';

export const EVENTS_STREAM = 'DRIFTLESS_EVENTS';
export const EVENT_SUBJECT_PREFIX = 'driftless.evt';
export const COMMAND_SUBJECT_PREFIX = 'driftless.cmd';
export const DESIRED_BUCKET = 'desired';
export const MANIFESTS_OBJECT_STORE = 'manifests';
export const LEASES_BUCKET = 'leases';
export const WATCHER_STATE_BUCKET = 'watcher-state';

/** Subject tokens of the per-component steps an agent reports. */
export const AgentStep = {
  applied: 'applied',
  applyFailed: 'apply-failed',
  driftDetected: 'drift-detected',
  driftCorrected: 'drift-corrected',
  healthChanged: 'health-changed',
  pruneBlocked: 'prune-blocked',
} as const;
export type AgentStep = (typeof AgentStep)[keyof typeof AgentStep];

export const DesiredStep = { changed: 'changed', removed: 'removed' } as const;
export type DesiredStep = (typeof DesiredStep)[keyof typeof DesiredStep];

export const ClusterStep = { registered: 'registered', revoked: 'revoked', heartbeat: 'heartbeat' } as const;
export type ClusterStep = (typeof ClusterStep)[keyof typeof ClusterStep];

export const PromotionStep = {
  requested: 'requested',
  approved: 'approved',
  committed: 'committed',
  rejected: 'rejected',
  waiting: 'waiting',
  halted: 'halted',
} as const;
export type PromotionStep = (typeof PromotionStep)[keyof typeof PromotionStep];

export const ChangeStep = { held: 'held', approved: 'approved', released: 'released' } as const;
export type ChangeStep = (typeof ChangeStep)[keyof typeof ChangeStep];

export const RepoStep = { renderFailed: 'render-failed', rewritten: 'rewritten' } as const;
export type RepoStep = (typeof RepoStep)[keyof typeof RepoStep];

export const subjects = {
  /** Everything the audit service consumes. */
  allEvents: () => `${EVENT_SUBJECT_PREFIX}.>`,
  desired: (cluster: string, component: string, step: DesiredStep) =>
    `${EVENT_SUBJECT_PREFIX}.desired.${assertDnsLabel('cluster', cluster)}.${assertDnsLabel('component', component)}.${step}`,
  repo: (repo: string, step: RepoStep) => `${EVENT_SUBJECT_PREFIX}.repo.${assertDnsLabel('repository', repo)}.${step}`,
  agent: (cluster: string, component: string, step: AgentStep) =>
    `${EVENT_SUBJECT_PREFIX}.agent.${assertDnsLabel('cluster', cluster)}.${assertDnsLabel('component', component)}.${step}`,
  /** What one agent may publish: only its own cluster's component steps. */
  agentEventsOf: (cluster: string) => `${EVENT_SUBJECT_PREFIX}.agent.${assertDnsLabel('cluster', cluster)}.>`,
  cluster: (cluster: string, step: ClusterStep) => `${EVENT_SUBJECT_PREFIX}.cluster.${assertDnsLabel('cluster', cluster)}.${step}`,
  promotion: (component: string, step: PromotionStep) =>
    `${EVENT_SUBJECT_PREFIX}.promotion.${assertDnsLabel('component', component)}.${step}`,
  /** Change-policy steps of one commit of one repository. */
  change: (repo: string, step: ChangeStep) => `${EVENT_SUBJECT_PREFIX}.change.${assertDnsLabel('repository', repo)}.${step}`,
  /** Approvals of held changes, which the watcher of the repository consumes. */
  changeApprovals: (repo: string) => `${EVENT_SUBJECT_PREFIX}.change.${assertDnsLabel('repository', repo)}.approved`,
  refreshCommand: (repo: string) => `${COMMAND_SUBJECT_PREFIX}.refresh.${assertDnsLabel('repository', repo)}`,
  /** Request/reply to the watcher holding the repository's lease: plan or commit a promotion (PromoteRequest → PromoteReply). */
  promoteCommand: (repo: string) => `${COMMAND_SUBJECT_PREFIX}.promote.${assertDnsLabel('repository', repo)}`,
} as const;

export const kvKeys = {
  /** Desired state of one component on one cluster, in the `desired` bucket. */
  desired: (cluster: string, component: string) => `${assertDnsLabel('cluster', cluster)}.${assertDnsLabel('component', component)}`,
  /** The filter an agent watches: all of its own cluster's components. */
  desiredOf: (cluster: string) => `${assertDnsLabel('cluster', cluster)}.>`,
  lease: (repo: string) => `repo.${assertDnsLabel('repository', repo)}`,
  lastPublished: (repo: string) => `repo.${assertDnsLabel('repository', repo)}`,
} as const;

/** Splits a `desired` key back into its parts, or returns undefined if it is not one. */
export function parseDesiredKey(key: string): { cluster: string; component: string } | undefined {
  const parts = key.split('.');
  if (parts.length !== 2) return undefined;
  const [cluster, component] = parts as [string, string];
  return /^[a-z0-9-]+$/.test(cluster) && /^[a-z0-9-]+$/.test(component) ? { cluster, component } : undefined;
}
