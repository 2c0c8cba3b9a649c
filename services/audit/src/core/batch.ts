/**
 * Plans the writes of one ingest batch without touching the database: which events become
 * ledger rows (chained after the current tip), which are redeliveries, and what the dimension
 * tables (clusters, components, apps, commits) and heartbeats learn from them.
 */
import type { Commit, DriftlessEvent } from '@driftless/contracts';
import { chainEntries, type ChainTip } from './chain.js';
import { toLedgerEntry, type LedgerEntry, type LedgerRow } from './ledger.js';

export interface Heartbeat {
  cluster: string;
  at: Date;
  agentVersion: string;
}

export interface Registration {
  cluster: string;
  stage: string;
  labels: Record<string, string>;
  at: Date;
}

export interface BatchPlan {
  rows: LedgerRow[];
  duplicates: number;
  /** The newest heartbeat per cluster in this batch. */
  heartbeats: Heartbeat[];
  registrations: Registration[];
  revocations: { cluster: string; at: Date }[];
  /** Every cluster named, with a stage when an event told it. */
  clusters: Map<string, string | null>;
  components: Set<string>;
  apps: Set<string>;
  commits: Map<string, Commit & { repo: string }>;
}

export interface PlanContext {
  isRecorded(eventId: string): boolean;
  /** Stages already known for clusters (from earlier registrations or desired changes). */
  knownStages: ReadonlyMap<string, string>;
  tip: ChainTip;
  recordedAt: Date;
}

function commitOf(event: DriftlessEvent): (Commit & { repo: string }) | undefined {
  switch (event.type) {
    case 'driftless.desired.changed.v1':
    case 'driftless.desired.removed.v1':
    case 'driftless.render.failed.v1':
    case 'driftless.repo.rewritten.v1':
      return { ...event.data.commit, repo: event.data.repo };
    default:
      return undefined;
  }
}

export function planBatch(events: readonly DriftlessEvent[], ctx: PlanContext): BatchPlan {
  const stages = new Map(ctx.knownStages);
  const entries: LedgerEntry[] = [];
  const heartbeats = new Map<string, Heartbeat>();
  const plan: Omit<BatchPlan, 'rows' | 'heartbeats'> = {
    duplicates: 0,
    registrations: [],
    revocations: [],
    clusters: new Map(),
    components: new Set(),
    apps: new Set(),
    commits: new Map(),
  };
  const nameCluster = (name: string, stage: string | null) => {
    if (stage !== null) stages.set(name, stage);
    const known = plan.clusters.get(name);
    plan.clusters.set(name, stage ?? known ?? null);
  };

  const seen = new Set<string>();
  for (const event of events) {
    if (ctx.isRecorded(event.id) || seen.has(event.id)) {
      plan.duplicates += 1;
      continue;
    }
    seen.add(event.id);
    const at = new Date(Date.parse(event.time));
    switch (event.type) {
      case 'driftless.cluster.heartbeat.v1': {
        const { cluster, agentVersion } = event.data;
        nameCluster(cluster, null);
        const current = heartbeats.get(cluster);
        if (!current || current.at < at) heartbeats.set(cluster, { cluster, at, agentVersion });
        continue;
      }
      case 'driftless.cluster.registered.v1':
        nameCluster(event.data.cluster, event.data.stage);
        plan.registrations.push({ cluster: event.data.cluster, stage: event.data.stage, labels: event.data.labels, at });
        break;
      case 'driftless.cluster.revoked.v1':
        plan.revocations.push({ cluster: event.data.cluster, at });
        break;
      case 'driftless.desired.changed.v1':
        nameCluster(event.data.cluster, event.data.stage);
        for (const app of event.data.apps) plan.apps.add(app);
        break;
      default:
        break;
    }
    const commit = commitOf(event);
    if (commit && !plan.commits.has(commit.sha)) plan.commits.set(commit.sha, commit);
    const entry = toLedgerEntry(event, (cluster) => stages.get(cluster));
    if (entry === null) continue;
    if (entry.cluster !== null) nameCluster(entry.cluster, null);
    if (entry.component !== null) plan.components.add(entry.component);
    entries.push(entry);
  }
  return { ...plan, rows: chainEntries(ctx.tip, entries, ctx.recordedAt), heartbeats: [...heartbeats.values()] };
}
