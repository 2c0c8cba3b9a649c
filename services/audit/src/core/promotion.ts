/**
 * The promotion state machine as pure decisions. A promotion is requested, waits for its gates,
 * then commits one step at a time: a single commit, or one commit per wave (pinning the wave's
 * clusters) with each wave waiting until it runs the version healthy, then a final commit that
 * edits the stage's version file and drops the wave pins. It ends committed, rejected or halted.
 */
import type { PromotionGates } from '@driftless/contracts';
import { evaluateGates, factsKey, GateName, type Approval, type ComponentFacts, type Pending } from './promotion-gates.js';
import { matchesSelector, parseSelector } from './promotion-selector.js';

export const PromotionStatus = {
  requested: 'requested',
  waiting: 'waiting',
  committing: 'committing',
  committed: 'committed',
  rejected: 'rejected',
  halted: 'halted',
} as const;
export type PromotionStatus = (typeof PromotionStatus)[keyof typeof PromotionStatus];
export const PROMOTION_STATUSES = Object.values(PromotionStatus);
export const OPEN_STATUSES: readonly PromotionStatus[] = [PromotionStatus.requested, PromotionStatus.waiting, PromotionStatus.committing];

export const PromotionKind = { promote: 'promote', rollback: 'rollback' } as const;
export type PromotionKind = (typeof PromotionKind)[keyof typeof PromotionKind];

/** A wave that does not run the version healthy within this long halts the promotion (default). */
export const DEFAULT_WAVE_TIMEOUT_S = 600;
/**
 * A cluster whose health did not change since it applied the version counts as healthy (or still
 * degraded) after this long: an apply that changes no workload never reports a new health.
 */
export const HEALTH_SETTLE_MS = 15_000;

export interface ComponentVersion {
  component: string;
  version: string;
}

export interface PromotionCommit {
  sha: string;
  /** 1-based wave, or null for a single or final commit. */
  wave: number | null;
  clusters: string[] | null;
  at: Date;
}

/** What the state machine needs of a stored promotion. */
export interface PromotionFacts {
  id: string;
  kind: PromotionKind;
  status: PromotionStatus;
  components: readonly ComponentVersion[];
  /** Clusters per wave in order; for a limited promotion without waves, one entry with its clusters. */
  waves: readonly (readonly string[])[];
  waveSize: number | null;
  /** Chosen clusters or a selector: the commits pin clusters and the pins stay. */
  isLimited: boolean;
  waveTimeoutS: number;
  requester: string;
  gates: PromotionGates;
  previousStage: string | null;
  previousStageClusters: readonly { cluster: string; component: string }[];
  commits: readonly PromotionCommit[];
}

/** One commit the promotion writes: its own idempotency id, and the clusters it pins (none: the stage file). */
export interface CommitStep {
  requestId: string;
  wave: number | null;
  clusters: string[] | undefined;
}

export type NextStep =
  | { type: 'none' }
  | { type: 'wait'; pending: Pending[] }
  | { type: 'commit'; step: CommitStep; waves: number | null }
  | { type: 'complete' }
  | { type: 'halt'; reason: string; wave: number; clusters: string[] };

/** The clusters of the stage a promotion moves: all, the named ones, or those matching the selector, in name order. */
export function targetClusters(
  stageClusters: readonly { name: string; labels: Readonly<Record<string, string>> }[],
  limit: { clusters?: readonly string[]; selector?: string },
): string[] {
  const names = new Set(stageClusters.map((c) => c.name));
  let chosen = stageClusters;
  if (limit.clusters !== undefined) {
    const unknown = limit.clusters.filter((c) => !names.has(c));
    if (unknown.length > 0) throw new TargetError(`not a cluster of the stage: ${unknown.join(', ')} (its clusters are ${[...names].sort().join(', ') || 'none'})`);
    const wanted = new Set(limit.clusters);
    chosen = chosen.filter((c) => wanted.has(c.name));
  }
  if (limit.selector !== undefined) {
    const requirements = parseSelector(limit.selector);
    chosen = chosen.filter((c) => matchesSelector(requirements, c.labels));
    if (chosen.length === 0) throw new TargetError(`the label selector "${limit.selector}" matches no cluster of the stage`);
  }
  return chosen.map((c) => c.name).sort();
}

/** The chosen clusters cannot be promoted to (unknown names, a selector matching nothing). */
export class TargetError extends Error {
  override readonly name: string = 'TargetError';
}

/** `size` clusters per wave, in order. */
export function splitWaves(clusters: readonly string[], size: number): string[][] {
  const waves: string[][] = [];
  for (let i = 0; i < clusters.length; i += size) waves.push(clusters.slice(i, i + size));
  return waves;
}

/** Every commit the promotion writes, in order. */
export function commitSteps(p: Pick<PromotionFacts, 'id' | 'waves' | 'waveSize' | 'isLimited'>): CommitStep[] {
  if (p.waveSize === null) {
    const clusters = p.isLimited ? [...(p.waves[0] ?? [])] : undefined;
    return [{ requestId: p.id, wave: null, clusters }];
  }
  const steps: CommitStep[] = p.waves.map((clusters, i) => ({ requestId: `${p.id}.wave-${i + 1}`, wave: i + 1, clusters: [...clusters] }));
  // The pins of a rollout to chosen clusters stay; otherwise the stage file takes over.
  if (!p.isLimited) steps.push({ requestId: `${p.id}.final`, wave: null, clusters: undefined });
  return steps;
}

type WaveHealth = { state: 'healthy' } | { state: 'waiting'; message: string } | { state: 'halted'; reason: string };

/** Whether every cluster of a committed wave runs every promoted component healthy. */
export function waveHealth(p: PromotionFacts, commit: PromotionCommit, facts: ReadonlyMap<string, ComponentFacts>, now: Date): WaveHealth {
  const wave = commit.wave ?? 0;
  const label = `wave ${wave} of ${p.waves.length}`;
  const behind: string[] = [];
  for (const cluster of commit.clusters ?? []) {
    for (const { component, version } of p.components) {
      const f = facts.get(factsKey(cluster, component));
      const problem = f?.problem;
      if (problem && problem.kind === 'apply_failed' && problem.isTerminal && problem.version === version && problem.at >= commit.at) {
        return { state: 'halted', reason: `${label}: ${component} ${version} failed to apply on ${cluster}: ${problem.reason}` };
      }
      if (f?.appliedVersion !== version) {
        behind.push(`${cluster} ${f?.appliedVersion ? `runs ${component} ${f.appliedVersion}` : `has not applied ${component}`}`);
        continue;
      }
      const appliedMs = f.appliedAt?.getTime() ?? 0;
      const isFresh = (f.healthAt?.getTime() ?? 0) >= appliedMs || now.getTime() - appliedMs >= HEALTH_SETTLE_MS;
      if (f.health === 'Degraded' && isFresh) return { state: 'halted', reason: `${label}: ${component} ${version} is Degraded on ${cluster}` };
      if (f.health !== 'Healthy' || !isFresh) behind.push(`${cluster} ${component} is ${f.health ?? 'of unknown health'}`);
    }
  }
  if (behind.length === 0) return { state: 'healthy' };
  if (now.getTime() - commit.at.getTime() > p.waveTimeoutS * 1000) {
    return { state: 'halted', reason: `${label}: not healthy within ${p.waveTimeoutS} s: ${behind.join('; ')}` };
  }
  const what = p.components.map((c) => `${c.component} ${c.version}`).join(', ');
  return { state: 'waiting', message: `${label} (${(commit.clusters ?? []).join(', ')}) must run ${what} applied and Healthy before the next step` };
}

/** What to do next with a promotion, from its record, the ledger's facts, its approvals and the time. */
export function nextStep(p: PromotionFacts, facts: ReadonlyMap<string, ComponentFacts>, approvals: readonly Approval[], now: Date): NextStep {
  if (!OPEN_STATUSES.includes(p.status)) return { type: 'none' };
  const steps = commitSteps(p);
  const waves = p.waveSize === null ? null : p.waves.length;
  const done = p.commits.length;
  if (done === 0) {
    const pending = evaluateGates({
      gates: p.gates,
      kind: p.kind,
      components: p.components,
      previousStage: p.previousStage,
      previousStageClusters: p.previousStageClusters,
      facts,
      approvals,
      requester: p.requester,
      now,
    });
    const first = steps[0];
    if (pending.length > 0 || !first) return { type: 'wait', pending };
    return { type: 'commit', step: first, waves };
  }
  const last = p.commits[done - 1];
  if (last === undefined || last.wave === null) return { type: 'complete' };
  const health = waveHealth(p, last, facts, now);
  if (health.state === 'halted') return { type: 'halt', reason: health.reason, wave: last.wave, clusters: last.clusters ?? [] };
  if (health.state === 'waiting') return { type: 'wait', pending: [{ gate: GateName.wave, message: health.message }] };
  const next = steps[done];
  return next ? { type: 'commit', step: next, waves } : { type: 'complete' };
}

/** Whether two lists of pending gates say the same (so a new waiting event would repeat the last). */
export function isSamePending(a: readonly Pending[], b: readonly Pending[]): boolean {
  return a.length === b.length && a.every((p, i) => p.gate === b[i]?.gate && p.message === b[i]?.message);
}

/**
 * The version a rollback returns to: the newest version the stage ran before its current one.
 * `history` is the stage's desired versions of the component, newest first.
 */
export function rollbackVersion(history: readonly string[]): { current: string; target: string } | undefined {
  const current = history[0];
  if (current === undefined) return undefined;
  const target = history.find((v) => v !== current);
  return target === undefined ? undefined : { current, target };
}

/** The person a commit is authored as: the token's name and email, else `<name>@users.driftless`. */
export function personOf(name: string, email: string | null): { name: string; email: string } {
  if (email !== null && email !== '') return { name, email };
  const local = name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'user';
  return { name, email: `${local}@users.driftless` };
}
