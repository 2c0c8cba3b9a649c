/**
 * Event → ledger entry: which columns of the `transitions` ledger an event fills (cluster,
 * component, versions, commit, actor, …). The full payload is kept as `detail`, so nothing an
 * event said is lost even when it has no column of its own.
 */
import type { DriftlessEvent } from '@driftless/contracts';
import { KIND_OF_EVENT, type TransitionKind } from './kinds.js';

/** One ledger row's content: everything but its position (`seq`) and chain hashes. */
export interface LedgerEntry {
  eventId: string;
  kind: TransitionKind;
  /** When it happened, by the publisher's clock (the event `time`), to the millisecond. */
  occurredAt: Date;
  cluster: string | null;
  component: string | null;
  stage: string | null;
  repo: string | null;
  apps: string[] | null;
  fromVersion: string | null;
  toVersion: string | null;
  fromHash: string | null;
  toHash: string | null;
  commitSha: string | null;
  /** Who caused it: the commit author's email, the field manager of a drift, the operator of a promotion. */
  actor: string | null;
  traceId: string | null;
  source: string;
  subject: string;
  /** The event's `data`, verbatim. */
  detail: Record<string, unknown>;
}

/** A ledger row as stored: content plus its place in the chain. */
export interface LedgerRow extends LedgerEntry {
  seq: number;
  recordedAt: Date;
  prevHash: string;
  hash: string;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The trace id of a W3C `traceparent`, or null if there is none or it is malformed / all zero. */
export function traceIdOf(traceparent: string | undefined): string | null {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim().toLowerCase());
  const id = match?.[1];
  return id === undefined || /^0+$/.test(id) ? null : id;
}

type Columns = Omit<LedgerEntry, 'eventId' | 'kind' | 'occurredAt' | 'traceId' | 'source' | 'subject' | 'detail' | 'stage'> & { stage?: string | null };

const EMPTY: Columns = {
  cluster: null,
  component: null,
  repo: null,
  apps: null,
  fromVersion: null,
  toVersion: null,
  fromHash: null,
  toHash: null,
  commitSha: null,
  actor: null,
};

function columnsOf(event: DriftlessEvent): Columns {
  switch (event.type) {
    case 'driftless.desired.changed.v1': {
      const d = event.data;
      return {
        ...EMPTY,
        cluster: d.cluster,
        component: d.component,
        stage: d.stage,
        repo: d.repo,
        apps: [...d.apps],
        fromVersion: d.previous?.version ?? null,
        fromHash: d.previous?.hash ?? null,
        toVersion: d.version,
        toHash: d.hash,
        commitSha: d.commit.sha,
        actor: d.commit.author.email,
      };
    }
    case 'driftless.desired.removed.v1': {
      const d = event.data;
      return {
        ...EMPTY,
        cluster: d.cluster,
        component: d.component,
        repo: d.repo,
        fromVersion: d.previous.version,
        fromHash: d.previous.hash,
        commitSha: d.commit.sha,
        actor: d.commit.author.email,
      };
    }
    case 'driftless.render.failed.v1': {
      const d = event.data;
      return { ...EMPTY, cluster: d.cluster ?? null, component: d.component ?? null, repo: d.repo, commitSha: d.commit.sha, actor: d.commit.author.email };
    }
    case 'driftless.repo.rewritten.v1': {
      const d = event.data;
      return { ...EMPTY, repo: d.repo, commitSha: d.toSha, actor: d.commit.author.email };
    }
    case 'driftless.agent.applied.v1':
    case 'driftless.agent.apply_failed.v1':
    case 'driftless.agent.drift_corrected.v1':
    case 'driftless.agent.health_changed.v1':
    case 'driftless.agent.prune_blocked.v1': {
      const d = event.data;
      const commitSha = event.type === 'driftless.agent.applied.v1' ? (event.data.commitSha ?? null) : null;
      return { ...EMPTY, cluster: d.cluster, component: d.component, toVersion: d.version, toHash: d.hash, commitSha };
    }
    case 'driftless.agent.drift_detected.v1': {
      const d = event.data;
      return { ...EMPTY, cluster: d.cluster, component: d.component, toVersion: d.version, toHash: d.hash, actor: d.manager };
    }
    case 'driftless.cluster.registered.v1':
      return { ...EMPTY, cluster: event.data.cluster, stage: event.data.stage, actor: event.data.actor };
    case 'driftless.cluster.revoked.v1':
      return { ...EMPTY, cluster: event.data.cluster, actor: event.data.actor };
    case 'driftless.cluster.heartbeat.v1':
      return { ...EMPTY, cluster: event.data.cluster };
    case 'driftless.promotion.requested.v1':
    case 'driftless.promotion.rejected.v1':
    case 'driftless.promotion.approved.v1':
    case 'driftless.promotion.committed.v1':
    case 'driftless.promotion.waiting.v1':
    case 'driftless.promotion.halted.v1': {
      const d = event.data;
      // A promotion may move several components; the column holds one only when it is unambiguous.
      const only = d.components.length === 1 ? (d.components[0]?.component ?? null) : null;
      const actor =
        event.type === 'driftless.promotion.approved.v1'
          ? event.data.approver
          : event.type === 'driftless.promotion.rejected.v1'
            ? (event.data.rejectedBy ?? d.actor)
            : d.actor;
      const commitSha = event.type === 'driftless.promotion.committed.v1' ? event.data.commitSha : null;
      return { ...EMPTY, component: only, stage: d.toStage, repo: d.repo ?? null, toVersion: only === null ? null : (d.components[0]?.version ?? null), commitSha, actor };
    }
    case 'driftless.change.held.v1': {
      const d = event.data;
      const stage = d.stages.length === 1 ? (d.stages[0] ?? null) : null;
      return { ...EMPTY, repo: d.repo, stage, commitSha: d.commit.sha, actor: d.commit.author.email };
    }
    case 'driftless.change.approved.v1':
      return { ...EMPTY, repo: event.data.repo, commitSha: event.data.commitSha, actor: event.data.approver };
    case 'driftless.change.released.v1': {
      const d = event.data;
      return { ...EMPTY, repo: d.repo, stage: d.stages.length === 1 ? (d.stages[0] ?? null) : null, commitSha: d.commitSha, actor: d.approvers[0] ?? null };
    }
  }
}

/**
 * The ledger entry for an event, or null for events that are not transitions (heartbeats).
 * `stageOf` supplies the stage of a cluster for events that do not carry one (agent reports),
 * so every row of a cluster can be filtered by stage.
 */
export function toLedgerEntry(event: DriftlessEvent, stageOf: (cluster: string) => string | undefined): LedgerEntry | null {
  const kind = KIND_OF_EVENT[event.type];
  if (kind === null) return null;
  const columns = columnsOf(event);
  const stage = columns.stage ?? (columns.cluster === null ? undefined : stageOf(columns.cluster)) ?? null;
  return {
    ...columns,
    stage,
    eventId: event.id,
    kind,
    occurredAt: new Date(Date.parse(event.time)),
    traceId: traceIdOf(event.traceparent),
    source: event.source,
    subject: event.subject,
    detail: event.data,
  };
}
