/**
 * Mapping between Postgres rows and the core's types. `bigint` columns arrive as strings from
 * the driver and become numbers here (ledger positions stay far below 2^53).
 */
import type { Health } from '@driftless/contracts';
import type { TransitionKind } from '../core/kinds.js';
import type { LedgerRow } from '../core/ledger.js';
import type { ComponentState, DriftStatus, ProblemKind } from '../core/state.js';

export type DbRow = Record<string, unknown>;

const n = (v: unknown): number => Number(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : JSON.stringify(v));
const s = (v: unknown): string | null => (v === null || v === undefined ? null : text(v));
const d = (v: unknown): Date | null => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(text(v)));

export const LEDGER_COLUMNS = [
  'seq',
  'event_id',
  'kind',
  'occurred_at',
  'recorded_at',
  'cluster',
  'component',
  'stage',
  'repo',
  'apps',
  'from_version',
  'to_version',
  'from_hash',
  'to_hash',
  'commit_sha',
  'actor',
  'trace_id',
  'source',
  'subject',
  'detail',
  'prev_hash',
  'hash',
] as const;

export function toLedgerRow(r: DbRow): LedgerRow {
  return {
    seq: n(r['seq']),
    eventId: text(r['event_id']),
    kind: r['kind'] as TransitionKind,
    occurredAt: d(r['occurred_at']) ?? new Date(0),
    recordedAt: d(r['recorded_at']) ?? new Date(0),
    cluster: s(r['cluster']),
    component: s(r['component']),
    stage: s(r['stage']),
    repo: s(r['repo']),
    apps: (r['apps'] as string[] | null) ?? null,
    fromVersion: s(r['from_version']),
    toVersion: s(r['to_version']),
    fromHash: s(r['from_hash']),
    toHash: s(r['to_hash']),
    commitSha: s(r['commit_sha']),
    actor: s(r['actor']),
    traceId: s(r['trace_id']),
    source: text(r['source']),
    subject: text(r['subject']),
    detail: r['detail'] as Record<string, unknown>,
    prevHash: text(r['prev_hash']),
    hash: text(r['hash']),
  };
}

/** A ledger row as a JSON record for `json_to_recordset`. */
export function ledgerRecord(row: LedgerRow): DbRow {
  return {
    seq: row.seq,
    event_id: row.eventId,
    kind: row.kind,
    occurred_at: row.occurredAt.toISOString(),
    recorded_at: row.recordedAt.toISOString(),
    cluster: row.cluster,
    component: row.component,
    stage: row.stage,
    repo: row.repo,
    apps: row.apps,
    from_version: row.fromVersion,
    to_version: row.toVersion,
    from_hash: row.fromHash,
    to_hash: row.toHash,
    commit_sha: row.commitSha,
    actor: row.actor,
    trace_id: row.traceId,
    source: row.source,
    subject: row.subject,
    detail: row.detail,
    prev_hash: row.prevHash,
    hash: row.hash,
  };
}

export const LEDGER_RECORD_TYPES = `seq bigint, event_id text, kind text, occurred_at timestamptz, recorded_at timestamptz,
  cluster text, component text, stage text, repo text, apps text[], from_version text, to_version text, from_hash text,
  to_hash text, commit_sha text, actor text, trace_id text, source text, subject text, detail jsonb, prev_hash text, hash text`;

// Hot path (an inventory page can hold tens of thousands of rows): plain object literals, no spreads.
export function toComponentState(r: DbRow): ComponentState {
  const placementAt = d(r['placement_at']);
  const desiredAt = d(r['desired_at']);
  const appliedAt = d(r['applied_at']);
  const healthAt = d(r['health_at']);
  const driftAt = d(r['drift_at']);
  const problemAt = d(r['problem_at']);
  return {
    cluster: r['cluster'] as string,
    component: r['component'] as string,
    placement:
      placementAt === null
        ? null
        : { at: placementAt, seq: n(r['placement_seq']), stage: s(r['stage']) ?? '', apps: (r['apps'] as string[] | null) ?? [], repo: s(r['repo']) ?? '' },
    desired:
      desiredAt === null
        ? null
        : {
            at: desiredAt,
            seq: n(r['desired_seq']),
            version: s(r['desired_version']),
            hash: s(r['desired_hash']),
            commitSha: s(r['desired_commit']) ?? '',
            isRemoved: r['is_removed'] === true,
          },
    applied:
      appliedAt === null
        ? null
        : { at: appliedAt, seq: n(r['applied_seq']), version: s(r['applied_version']) ?? '', hash: s(r['applied_hash']) ?? '', commitSha: s(r['applied_commit']) },
    health: healthAt === null ? null : { at: healthAt, seq: n(r['health_seq']), status: r['health'] as Health },
    drift:
      driftAt === null
        ? null
        : {
            at: driftAt,
            seq: n(r['drift_seq']),
            status: r['drift'] as DriftStatus,
            fields: (r['drift_fields'] as string[] | null) ?? [],
            manager: s(r['drift_manager']),
          },
    problem: problemAt === null ? null : { at: problemAt, seq: n(r['problem_seq']), kind: r['problem_kind'] as ProblemKind, reason: s(r['problem_reason']) ?? '' },
    lastSeq: n(r['last_seq']),
  };
}

const iso = (v: Date | undefined): string | null => (v === undefined ? null : v.toISOString());

/** A state as a JSON record for `json_to_recordset`; `stage` is the placement's, else the cluster's. */
export function stateRecord(state: ComponentState, clusterStage: string | null): DbRow {
  return {
    cluster: state.cluster,
    component: state.component,
    stage: state.placement?.stage ?? clusterStage,
    apps: state.placement?.apps ?? [],
    repo: state.placement?.repo ?? null,
    placement_at: iso(state.placement?.at),
    placement_seq: state.placement?.seq ?? null,
    desired_version: state.desired?.version ?? null,
    desired_hash: state.desired?.hash ?? null,
    desired_commit: state.desired?.commitSha ?? null,
    is_removed: state.desired?.isRemoved ?? false,
    desired_at: iso(state.desired?.at),
    desired_seq: state.desired?.seq ?? null,
    applied_version: state.applied?.version ?? null,
    applied_hash: state.applied?.hash ?? null,
    applied_commit: state.applied?.commitSha ?? null,
    applied_at: iso(state.applied?.at),
    applied_seq: state.applied?.seq ?? null,
    health: state.health?.status ?? null,
    health_at: iso(state.health?.at),
    health_seq: state.health?.seq ?? null,
    drift: state.drift?.status ?? null,
    drift_fields: state.drift?.fields ?? [],
    drift_manager: state.drift?.manager ?? null,
    drift_at: iso(state.drift?.at),
    drift_seq: state.drift?.seq ?? null,
    problem_kind: state.problem?.kind ?? null,
    problem_reason: state.problem?.reason ?? null,
    problem_at: iso(state.problem?.at),
    problem_seq: state.problem?.seq ?? null,
    last_seq: state.lastSeq,
  };
}

export const STATE_COLUMNS = [
  'cluster',
  'component',
  'stage',
  'apps',
  'repo',
  'placement_at',
  'placement_seq',
  'desired_version',
  'desired_hash',
  'desired_commit',
  'is_removed',
  'desired_at',
  'desired_seq',
  'applied_version',
  'applied_hash',
  'applied_commit',
  'applied_at',
  'applied_seq',
  'health',
  'health_at',
  'health_seq',
  'drift',
  'drift_fields',
  'drift_manager',
  'drift_at',
  'drift_seq',
  'problem_kind',
  'problem_reason',
  'problem_at',
  'problem_seq',
  'last_seq',
] as const;

export const STATE_RECORD_TYPES = `cluster text, component text, stage text, apps text[], repo text, placement_at timestamptz,
  placement_seq bigint, desired_version text, desired_hash text, desired_commit text, is_removed boolean, desired_at timestamptz,
  desired_seq bigint, applied_version text, applied_hash text, applied_commit text, applied_at timestamptz, applied_seq bigint,
  health text, health_at timestamptz, health_seq bigint, drift text, drift_fields text[], drift_manager text, drift_at timestamptz,
  drift_seq bigint, problem_kind text, problem_reason text, problem_at timestamptz, problem_seq bigint, last_seq bigint`;
