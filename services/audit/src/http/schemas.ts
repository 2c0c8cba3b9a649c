/**
 * Request and response schemas of the audit API (TypeBox, so validation, serialization and the
 * OpenAPI document share one definition). A response schema lists every field a client may see:
 * fastify drops anything else, which is what keeps a stray column (or a token hash) from leaking.
 */
import { HealthSchema } from '@driftless/contracts';
import { Type, type Static, type TSchema, type TObject, type TProperties } from '@sinclair/typebox';
import { TRANSITION_KINDS } from '../core/kinds.js';

/** `T | null` as a JSON-Schema type list (`["string","null"]`): valid OpenAPI 3.1, and fast to serialize. */
export function Nullable<T extends TSchema>(schema: T): TSchema & { static: Static<T> | null } {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string') return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
  return Type.Unsafe<Static<T> | null>({ anyOf: [schema, { type: 'null' }] });
}

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const Name = Type.String({ pattern: DNS_LABEL, maxLength: 63, description: 'A DNS label, e.g. prod-eu' });
export const Sha = Type.String({ pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$', description: 'A full commit SHA (40 or 64 hex digits)' });
export const Time = Type.String({ format: 'date-time' });
export const Cursor = Type.String({ maxLength: 1024, description: 'The nextCursor of the previous page' });

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A stable URN naming the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    problems: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);
export type Problem = Static<typeof ProblemSchema>;

const problemRef = Type.Ref('Problem');

/** The success schemas of a route plus the problem documents every authenticated route may return. */
export function responses<R extends Record<number, TSchema>>(ok: R, options: { isPublic?: boolean } = {}) {
  const auth = options.isPublic ? {} : { 401: problemRef, 403: problemRef };
  return { ...ok, 400: problemRef, ...auth, 404: problemRef, 500: problemRef, 503: problemRef };
}

export const TransitionKindSchema = Type.Union(TRANSITION_KINDS.map((k) => Type.Literal(k)));

export const TransitionSchema = Type.Object(
  {
    seq: Type.Integer({ description: 'Position in the ledger (1, 2, 3, … without gaps)' }),
    eventId: Type.String(),
    kind: TransitionKindSchema,
    occurredAt: Time,
    recordedAt: Time,
    cluster: Nullable(Type.String()),
    component: Nullable(Type.String()),
    stage: Nullable(Type.String()),
    repo: Nullable(Type.String()),
    apps: Nullable(Type.Array(Type.String())),
    fromVersion: Nullable(Type.String()),
    toVersion: Nullable(Type.String()),
    fromHash: Nullable(Type.String()),
    toHash: Nullable(Type.String()),
    commitSha: Nullable(Type.String()),
    actor: Nullable(Type.String({ description: 'Commit author email, drift field manager, or promotion actor' })),
    traceId: Nullable(Type.String()),
    source: Type.String(),
    subject: Type.String(),
    detail: Type.Object({}, { additionalProperties: true, description: 'The event payload as received' }),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { $id: 'Transition' },
);

export const TransitionsQuerySchema = Type.Object({
  cluster: Type.Optional(Name),
  component: Type.Optional(Name),
  app: Type.Optional(Name),
  stage: Type.Optional(Name),
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 320 })),
  kind: Type.Optional(Type.Array(TransitionKindSchema, { description: 'Repeat to select several kinds' })),
  promotion: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The steps of one promotion, by its id' })),
  since: Type.Optional(Time),
  until: Type.Optional(Time),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Cursor),
});

export const TransitionPageSchema = Type.Object({ items: Type.Array(Type.Ref('Transition')), nextCursor: Nullable(Type.String()) });

const Stamped = <P extends TProperties>(properties: P): TObject<P & { changedAt: typeof Time }> => Type.Object({ ...properties, changedAt: Time });

export const SkewSchema = Type.Object({
  isDesiredSkewed: Type.Boolean(),
  isAppliedSkewed: Type.Boolean(),
  desiredVersions: Type.Array(Type.String()),
  appliedVersions: Type.Array(Type.String()),
});

export const SyncSchema = Type.Union((['Synced', 'OutOfSync', 'Failed', 'Removed', 'Unknown'] as const).map((s) => Type.Literal(s)));

export const InventoryItemSchema = Type.Object(
  {
    cluster: Type.String(),
    component: Type.String(),
    stage: Nullable(Type.String()),
    apps: Type.Array(Type.String()),
    desired: Nullable(Stamped({ version: Nullable(Type.String()), revision: Type.String({ description: 'Commit SHA' }), hash: Nullable(Type.String()), isRemoved: Type.Boolean() })),
    applied: Nullable(Stamped({ version: Type.String(), revision: Nullable(Type.String()), hash: Type.String() })),
    health: Nullable(Stamped({ status: HealthSchema })),
    drift: Nullable(Stamped({ status: Type.Union([Type.Literal('InSync'), Type.Literal('Drifted')]), fields: Type.Array(Type.String()), manager: Nullable(Type.String()) })),
    problem: Nullable(Stamped({ kind: Type.String(), reason: Type.String() })),
    sync: SyncSchema,
    skew: SkewSchema,
  },
  { $id: 'InventoryItem' },
);

export const InventoryQuerySchema = Type.Object({
  cluster: Type.Optional(Name),
  component: Type.Optional(Name),
  stage: Type.Optional(Name),
  isSkewed: Type.Optional(Type.Boolean({ description: 'Only rows whose stage runs or wants several versions of the component' })),
  limit: Type.Integer({ minimum: 1, maximum: 50_000, default: 1000 }),
  cursor: Type.Optional(Cursor),
});

export const InventoryPageSchema = Type.Object({ items: Type.Array(Type.Ref('InventoryItem')), nextCursor: Nullable(Type.String()) });

/** The columns of a fleet-matrix row, in order. */
export const MATRIX_COLUMNS = ['cluster', 'component', 'stage', 'desiredVersion', 'appliedVersion', 'health', 'sync', 'isDrifted', 'isSkewed', 'hasProblem'] as const;

export const InventoryMatrixQuerySchema = Type.Omit(InventoryQuerySchema, ['limit']);

export const InventoryMatrixSchema = Type.Object({
  clusters: Type.Array(Type.String(), { description: 'The clusters of the rows, sorted; a row names one by its index' }),
  components: Type.Array(Type.String(), { description: 'The components of the rows, sorted; a row names one by its index' }),
  columns: Type.Array(Type.String(), { description: `Always ${MATRIX_COLUMNS.join(', ')}` }),
  rows: Type.Array(Type.Array(Nullable(Type.Union([Type.Integer(), Type.String(), Type.Boolean()]))), {
    description:
      'One per (cluster, component), ordered by cluster then component: [cluster index, component index, stage, desired version, applied version, health, sync, is drifted, is skewed (desired or applied), has an unresolved problem]',
  }),
  nextCursor: Nullable(Type.String({ description: 'Set when the fleet has more than 50 000 rows: pass it back as cursor' })),
});

export const PlacementSchema = Type.Object({
  cluster: Type.String(),
  stage: Nullable(Type.String()),
  desiredVersion: Nullable(Type.String()),
  appliedVersion: Nullable(Type.String()),
  health: Nullable(HealthSchema),
  sync: SyncSchema,
});

export const BlastRadiusSchema = Type.Object({
  component: Type.String(),
  clusterCount: Type.Integer(),
  stages: Type.Array(Type.String()),
  versions: Type.Array(Type.String(), { description: 'Distinct versions running (applied) anywhere' }),
  apps: Type.Array(Type.Object({ app: Type.String(), placements: Type.Array(PlacementSchema) })),
  placements: Type.Array(PlacementSchema, { description: 'Every cluster the component is on, with or without an app' }),
});

export const DiffQuerySchema = Type.Object({
  cluster: Name,
  from: Type.String({ minLength: 1, maxLength: 64, description: 'A commit SHA or an RFC 3339 time' }),
  to: Type.String({ minLength: 1, maxLength: 64, description: 'A commit SHA or an RFC 3339 time' }),
  basis: Type.Union([Type.Literal('desired'), Type.Literal('applied')], { default: 'desired' }),
});

const VersionAtSchema = Type.Object({ version: Nullable(Type.String()), hash: Nullable(Type.String()), commitSha: Nullable(Type.String()), isRemoved: Type.Boolean() });
const PointSchema = Type.Object({ ref: Type.String(), at: Time, seq: Type.Integer() });

export const DiffSchema = Type.Object({
  cluster: Type.String(),
  basis: Type.String(),
  from: PointSchema,
  to: PointSchema,
  changes: Type.Array(
    Type.Object({
      component: Type.String(),
      change: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
      from: Nullable(VersionAtSchema),
      to: Nullable(VersionAtSchema),
    }),
  ),
});

export const CommitSchema = Type.Object({
  sha: Type.String(),
  commit: Nullable(
    Type.Object({
      repo: Type.String(),
      authorName: Type.String(),
      authorEmail: Type.String(),
      committerName: Type.String(),
      committerEmail: Type.String(),
      message: Type.String(),
      committedAt: Time,
    }),
  ),
  transitions: Type.Array(Type.Ref('Transition'), { description: 'Every ledger row naming the commit, oldest first' }),
  targets: Type.Array(
    Type.Object({
      cluster: Type.String(),
      component: Type.String(),
      stage: Nullable(Type.String()),
      version: Nullable(Type.String()),
      status: Type.Union((['pending', 'applied', 'failed', 'superseded', 'removed'] as const).map((s) => Type.Literal(s))),
      health: Nullable(HealthSchema),
      appliedAt: Nullable(Time),
      reason: Nullable(Type.String()),
    }),
  ),
  counts: Type.Object({ pending: Type.Integer(), applied: Type.Integer(), failed: Type.Integer(), superseded: Type.Integer(), removed: Type.Integer() }),
});

export const ClusterSchema = Type.Object(
  {
    name: Type.String(),
    stage: Nullable(Type.String()),
    labels: Type.Record(Type.String(), Type.String()),
    registeredAt: Nullable(Time),
    revokedAt: Nullable(Time),
    lastHeartbeatAt: Nullable(Time),
    agentVersion: Nullable(Type.String()),
    componentCount: Type.Integer(),
    byHealth: Type.Object({ Healthy: Type.Integer(), Progressing: Type.Integer(), Degraded: Type.Integer(), Missing: Type.Integer(), Unknown: Type.Integer() }),
    driftedCount: Type.Integer(),
    failingCount: Type.Integer(),
  },
  { $id: 'Cluster' },
);

export const ClustersQuerySchema = Type.Object({
  stage: Type.Optional(Name),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Cursor),
});

export const ClusterPageSchema = Type.Object({ items: Type.Array(Type.Ref('Cluster')), nextCursor: Nullable(Type.String()) });

export const VerifyQuerySchema = Type.Object({
  fromSeq: Type.Optional(Type.Integer({ minimum: 1, description: 'Verify from this row on, trusting the row before it' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Check at most this many rows (continue from lastSeq + 1)' })),
});

export const VerifySchema = Type.Object({
  isIntact: Type.Boolean(),
  checkedRows: Type.Integer(),
  firstSeq: Nullable(Type.Integer()),
  lastSeq: Nullable(Type.Integer()),
  tipHash: Nullable(Type.String()),
  firstBreak: Nullable(
    Type.Object({
      seq: Type.Integer(),
      eventId: Type.String(),
      reason: Type.Union([Type.Literal('gap'), Type.Literal('prev_hash_mismatch'), Type.Literal('content_mismatch')]),
      message: Type.String(),
      expectedHash: Type.String(),
      storedHash: Type.String(),
    }),
  ),
});

export const DeadLettersQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Cursor),
});

export const DeadLetterPageSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      eventId: Nullable(Type.String()),
      subject: Type.String(),
      streamSeq: Nullable(Type.Integer()),
      reason: Type.String(),
      receivedAt: Time,
      payloadBytes: Type.Integer(),
      payloadPreview: Type.String(),
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

export const HealthzSchema = Type.Object({ status: Type.Literal('ok') });
export const ReadyzSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('not ready')]),
  checks: Type.Array(Type.Object({ name: Type.String(), isReady: Type.Boolean(), detail: Type.Optional(Type.String()) })),
});

export const WhoAmISchema = Type.Object({
  name: Type.String({ description: "The token's name" }),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
});
