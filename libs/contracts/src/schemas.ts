/**
 * JSON schemas (TypeBox) of every v1 event payload and of the desired-state record.
 * fastify routes, the audit validator and the publishers all share these.
 */
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';

// TypeBox validates no formats by itself; fastify's ajv knows date-time, so teach TypeBox the same.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => RFC3339.test(value) && !Number.isNaN(Date.parse(value)));

const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });
const Sha = Type.String({ pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' });
const ContentHash = Type.String({ pattern: '^sha256:[0-9a-f]{64}$' });
const Timestamp = Type.String({ format: 'date-time', minLength: 20 });

export const PersonSchema = Type.Object({ name: Type.String(), email: Type.String() });
export type Person = Static<typeof PersonSchema>;

export const CommitSchema = Type.Object({
  sha: Sha,
  author: PersonSchema,
  committer: PersonSchema,
  message: Type.String({ maxLength: 65536 }),
  time: Timestamp,
});
export type Commit = Static<typeof CommitSchema>;

export const ObjectRefSchema = Type.Object({
  apiVersion: Type.String({ minLength: 1 }),
  kind: Type.String({ minLength: 1 }),
  namespace: Type.Optional(Type.String()),
  name: Type.String({ minLength: 1 }),
});
export type ObjectRef = Static<typeof ObjectRefSchema>;

export const HealthSchema = Type.Union([
  Type.Literal('Healthy'),
  Type.Literal('Progressing'),
  Type.Literal('Degraded'),
  Type.Literal('Missing'),
  Type.Literal('Unknown'),
]);

const VersionedHash = Type.Object({ version: Type.String(), hash: ContentHash });

// Repo-watcher → audit.
export const DesiredChangedSchema = Type.Object({
  repo: DnsLabel,
  cluster: DnsLabel,
  component: DnsLabel,
  stage: DnsLabel,
  apps: Type.Array(DnsLabel),
  commit: CommitSchema,
  previous: Type.Union([VersionedHash, Type.Null()]),
  version: Type.String(),
  hash: ContentHash,
  objectCount: Type.Integer({ minimum: 0 }),
});
export const DesiredRemovedSchema = Type.Object({
  repo: DnsLabel,
  cluster: DnsLabel,
  component: DnsLabel,
  commit: CommitSchema,
  previous: VersionedHash,
});
export const RenderFailedSchema = Type.Object({
  repo: DnsLabel,
  commit: CommitSchema,
  cluster: Type.Optional(DnsLabel),
  component: Type.Optional(DnsLabel),
  file: Type.Optional(Type.String()),
  line: Type.Optional(Type.Integer({ minimum: 1 })),
  reason: Type.String({ minLength: 1 }),
});
export const RepoRewrittenSchema = Type.Object({
  repo: DnsLabel,
  branch: Type.String(),
  fromSha: Sha,
  toSha: Sha,
  commit: CommitSchema,
  reason: Type.String(),
});

// Agent → audit.
const AgentBase = { cluster: DnsLabel, component: DnsLabel, version: Type.String(), hash: ContentHash };
export const AppliedSchema = Type.Object({
  ...AgentBase,
  commitSha: Type.Optional(Sha),
  objects: Type.Object({
    applied: Type.Integer({ minimum: 0 }),
    unchanged: Type.Integer({ minimum: 0 }),
    pruned: Type.Integer({ minimum: 0 }),
  }),
  durationMs: Type.Number({ minimum: 0 }),
});
export const ApplyFailedSchema = Type.Object({
  ...AgentBase,
  object: Type.Optional(ObjectRefSchema),
  status: Type.Optional(Type.Integer()),
  reason: Type.String({ minLength: 1 }),
  isTerminal: Type.Boolean(),
  attempt: Type.Integer({ minimum: 1 }),
});
export const DriftDetectedSchema = Type.Object({
  ...AgentBase,
  object: ObjectRefSchema,
  fields: Type.Array(Type.String()),
  manager: Type.String(),
  isCorrectionEnabled: Type.Boolean(),
});
export const DriftCorrectedSchema = Type.Object({
  ...AgentBase,
  object: ObjectRefSchema,
  fields: Type.Array(Type.String()),
});
export const HealthChangedSchema = Type.Object({
  ...AgentBase,
  from: Type.Union([HealthSchema, Type.Null()]),
  to: HealthSchema,
  message: Type.Optional(Type.String()),
});
export const PruneBlockedSchema = Type.Object({
  ...AgentBase,
  wouldDelete: Type.Array(ObjectRefSchema),
  totalObjects: Type.Integer({ minimum: 0 }),
  reason: Type.String({ minLength: 1 }),
});

// Cluster lifecycle.
export const ClusterRegisteredSchema = Type.Object({
  cluster: DnsLabel,
  stage: DnsLabel,
  labels: Type.Record(Type.String(), Type.String()),
  actor: Type.String(),
});
export const ClusterRevokedSchema = Type.Object({ cluster: DnsLabel, actor: Type.String(), reason: Type.Optional(Type.String()) });
export const HeartbeatSchema = Type.Object({
  cluster: DnsLabel,
  agentVersion: Type.String(),
  components: Type.Integer({ minimum: 0 }),
  uptimeMs: Type.Integer({ minimum: 0 }),
});

// Promotions (audit → audit ledger; the repo-watcher writes the commit).
const PromotionBase = {
  promotionId: Type.String({ minLength: 1 }),
  toStage: DnsLabel,
  components: Type.Array(Type.Object({ component: DnsLabel, version: Type.String() }), { minItems: 1 }),
  /** Who asked for it. */
  actor: Type.String(),
  /** A rollback is a promotion of an earlier version; absent means `promote`. */
  kind: Type.Optional(Type.Union([Type.Literal('promote'), Type.Literal('rollback')])),
  repo: Type.Optional(DnsLabel),
};
export const PromotionGateName = Type.Union([Type.Literal('soak'), Type.Literal('approvals'), Type.Literal('window'), Type.Literal('wave')]);
export const PromotionRequestedSchema = Type.Object({ ...PromotionBase, reason: Type.Optional(Type.String()) });
/** Gates not yet passed; recorded when a promotion starts waiting and when what it waits for changes. */
export const PromotionWaitingSchema = Type.Object({
  ...PromotionBase,
  pending: Type.Array(Type.Object({ gate: PromotionGateName, message: Type.String({ minLength: 1 }) }), { minItems: 1 }),
});
export const PromotionApprovedSchema = Type.Object({ ...PromotionBase, approver: Type.String(), comment: Type.Optional(Type.String()) });
export const PromotionCommittedSchema = Type.Object({
  ...PromotionBase,
  commitSha: Sha,
  /** For a wave rollout: which wave (1-based) of how many, and the clusters it moved. */
  wave: Type.Optional(Type.Integer({ minimum: 1 })),
  waves: Type.Optional(Type.Integer({ minimum: 1 })),
  clusters: Type.Optional(Type.Array(DnsLabel)),
});
export const PromotionRejectedSchema = Type.Object({
  ...PromotionBase,
  reason: Type.String({ minLength: 1 }),
  /** Who rejected it; absent when a gate or the watcher refused it. */
  rejectedBy: Type.Optional(Type.String()),
});
/** A wave rollout stopped because a wave did not become healthy. */
export const PromotionHaltedSchema = Type.Object({
  ...PromotionBase,
  reason: Type.String({ minLength: 1 }),
  wave: Type.Optional(Type.Integer({ minimum: 1 })),
  clusters: Type.Optional(Type.Array(DnsLabel)),
});

// Change policy (repo-watcher → audit; approvals audit → repo-watcher).
export const ChangeRuleSchema = Type.Union([Type.Literal('author'), Type.Literal('signature'), Type.Literal('path'), Type.Literal('brake')]);
/** A commit the watcher did not publish for some stages because it breaks their policy or trips the brake. */
export const ChangeHeldSchema = Type.Object({
  repo: DnsLabel,
  commit: CommitSchema,
  stages: Type.Array(DnsLabel, { minItems: 1 }),
  reasons: Type.Array(Type.Object({ rule: ChangeRuleSchema, stage: DnsLabel, message: Type.String({ minLength: 1 }) }), { minItems: 1 }),
  /** False when no approval can release it (an unsigned commit on a stage that requires signatures). */
  isApprovable: Type.Boolean(),
  clusters: Type.Object({ changed: Type.Integer({ minimum: 0 }), removed: Type.Integer({ minimum: 0 }) }),
});
export const ChangeApprovedSchema = Type.Object({ repo: DnsLabel, commitSha: Sha, approver: Type.String({ minLength: 1 }), comment: Type.Optional(Type.String()) });
/** The watcher published a held commit's stages after its approval. */
export const ChangeReleasedSchema = Type.Object({ repo: DnsLabel, commitSha: Sha, stages: Type.Array(DnsLabel), approvers: Type.Array(Type.String()) });

/** The desired state of one component on one cluster: the value under `desired/<cluster>.<component>`. */
export const DesiredStateSchema = Type.Object({
  repo: DnsLabel,
  cluster: DnsLabel,
  component: DnsLabel,
  stage: DnsLabel,
  apps: Type.Array(DnsLabel),
  version: Type.String(),
  hash: ContentHash,
  commit: CommitSchema,
  /** Manifests inline, or the object-store name holding them when too large to inline. */
  manifests: Type.Union([
    Type.Object({ inline: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
    Type.Object({ objectStore: Type.String(), name: ContentHash, objectCount: Type.Integer({ minimum: 0 }) }),
  ]),
  options: Type.Object({
    isDriftCorrectionEnabled: Type.Boolean({ default: true }),
    /** Share of a component's objects one change may delete before the prune brake stops it (0..1). */
    maxPruneShare: Type.Number({ minimum: 0, maximum: 1, default: 0.5 }),
    isNamespacePruneAllowed: Type.Boolean({ default: false }),
  }),
  /**
   * W3C trace context of the commit that produced this state, so the agent's reconcile joins the
   * commit's trace (KV writes carry no message headers of our choosing).
   */
  traceparent: Type.Optional(Type.String()),
  tracestate: Type.Optional(Type.String()),
});
export type DesiredState = Static<typeof DesiredStateSchema>;
