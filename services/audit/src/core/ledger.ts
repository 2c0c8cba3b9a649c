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

type Columns = Pick<LedgerEntry, 'cluster' | 'component' | 'stage' | 'repo' | 'apps' | 'fromVersion' | 'toVersion' | 'fromHash' | 'toHash' | 'commitSha' | 'actor'>;

/**
 * Sets the columns an event fills on `entry`, whose columns start out null. Assigning into one
 * object of a fixed shape, rather than spreading defaults, matters: ingest does this per event.
 */
function fillColumns(entry: Columns, event: DriftlessEvent): void {
  const e = entry;
  switch (event.type) {
    case 'driftless.desired.changed.v1': {
      const d = event.data;
      e.cluster = d.cluster;
      e.component = d.component;
      e.stage = d.stage;
      e.repo = d.repo;
      e.apps = [...d.apps];
      e.fromVersion = d.previous?.version ?? null;
      e.fromHash = d.previous?.hash ?? null;
      e.toVersion = d.version;
      e.toHash = d.hash;
      e.commitSha = d.commit.sha;
      e.actor = d.commit.author.email;
      return;
    }
    case 'driftless.desired.removed.v1': {
      const d = event.data;
      e.cluster = d.cluster;
      e.component = d.component;
      e.repo = d.repo;
      e.fromVersion = d.previous.version;
      e.fromHash = d.previous.hash;
      e.commitSha = d.commit.sha;
      e.actor = d.commit.author.email;
      return;
    }
    case 'driftless.render.failed.v1': {
      const d = event.data;
      e.cluster = d.cluster ?? null;
      e.component = d.component ?? null;
      e.repo = d.repo;
      e.commitSha = d.commit.sha;
      e.actor = d.commit.author.email;
      return;
    }
    case 'driftless.repo.rewritten.v1': {
      const d = event.data;
      e.repo = d.repo;
      e.commitSha = d.toSha;
      e.actor = d.commit.author.email;
      return;
    }
    case 'driftless.agent.applied.v1':
    case 'driftless.agent.apply_failed.v1':
    case 'driftless.agent.drift_corrected.v1':
    case 'driftless.agent.health_changed.v1':
    case 'driftless.agent.prune_blocked.v1': {
      const d = event.data;
      e.cluster = d.cluster;
      e.component = d.component;
      e.toVersion = d.version;
      e.toHash = d.hash;
      e.commitSha = event.type === 'driftless.agent.applied.v1' ? (event.data.commitSha ?? null) : null;
      return;
    }
    case 'driftless.agent.drift_detected.v1': {
      const d = event.data;
      e.cluster = d.cluster;
      e.component = d.component;
      e.toVersion = d.version;
      e.toHash = d.hash;
      e.actor = d.manager;
      return;
    }
    case 'driftless.cluster.registered.v1':
      e.cluster = event.data.cluster;
      e.stage = event.data.stage;
      e.actor = event.data.actor;
      return;
    case 'driftless.cluster.revoked.v1':
      e.cluster = event.data.cluster;
      e.actor = event.data.actor;
      return;
    case 'driftless.cluster.heartbeat.v1':
      e.cluster = event.data.cluster;
      return;
    case 'driftless.promotion.requested.v1':
    case 'driftless.promotion.rejected.v1':
    case 'driftless.promotion.approved.v1':
    case 'driftless.promotion.committed.v1':
    case 'driftless.promotion.waiting.v1':
    case 'driftless.promotion.halted.v1': {
      const d = event.data;
      // A promotion may move several components; the column holds one only when it is unambiguous.
      const only = d.components.length === 1 ? (d.components[0]?.component ?? null) : null;
      e.component = only;
      e.stage = d.toStage;
      e.repo = d.repo ?? null;
      e.toVersion = only === null ? null : (d.components[0]?.version ?? null);
      e.commitSha = event.type === 'driftless.promotion.committed.v1' ? event.data.commitSha : null;
      e.actor =
        event.type === 'driftless.promotion.approved.v1'
          ? event.data.approver
          : event.type === 'driftless.promotion.rejected.v1'
            ? (event.data.rejectedBy ?? d.actor)
            : d.actor;
      return;
    }
    case 'driftless.change.held.v1': {
      const d = event.data;
      e.repo = d.repo;
      e.stage = d.stages.length === 1 ? (d.stages[0] ?? null) : null;
      e.commitSha = d.commit.sha;
      e.actor = d.commit.author.email;
      return;
    }
    case 'driftless.change.approved.v1':
      e.repo = event.data.repo;
      e.commitSha = event.data.commitSha;
      e.actor = event.data.approver;
      return;
    case 'driftless.change.released.v1': {
      const d = event.data;
      e.repo = d.repo;
      e.stage = d.stages.length === 1 ? (d.stages[0] ?? null) : null;
      e.commitSha = d.commitSha;
      e.actor = d.approvers[0] ?? null;
      return;
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
  // Every field in one literal, in one order: all entries share a shape.
  const entry: LedgerEntry = {
    eventId: event.id,
    kind,
    occurredAt: new Date(Date.parse(event.time)),
    cluster: null,
    component: null,
    stage: null,
    repo: null,
    apps: null,
    fromVersion: null,
    toVersion: null,
    fromHash: null,
    toHash: null,
    commitSha: null,
    actor: null,
    traceId: traceIdOf(event.traceparent),
    source: event.source,
    subject: event.subject,
    detail: event.data,
  };
  fillColumns(entry, event);
  if (entry.stage === null && entry.cluster !== null) entry.stage = stageOf(entry.cluster) ?? null;
  return entry;
}
