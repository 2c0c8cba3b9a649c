/**
 * Request/reply commands (not events): what the audit service asks of the repo-watcher, the only
 * holder of Git write credentials. `driftless.cmd.promote.<repo>` plans or commits a promotion.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { EventValidationError } from './events.js';
import { ObjectRefSchema, PersonSchema } from './schemas.js';

const DnsLabel = Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 });
const Sha = Type.String({ pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' });
/** A component version as the environment repository allows it (docs/environment-repo.md). */
const Version = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$' });

export const WeekdaySchema = Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d)));

/** When promotions into a stage may be committed: on these days, between `start` and `end` (HH:MM) in `timezone` (IANA). */
export const TimeWindowSchema = Type.Object({
  days: Type.Array(WeekdaySchema, { minItems: 1 }),
  start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }),
  end: Type.String({ pattern: '^([01][0-9]|2[0-4]):[0-5][0-9]$' }),
  timezone: Type.String({ minLength: 1 }),
});
export type TimeWindow = Static<typeof TimeWindowSchema>;

/** The gates of one stage as its policy declares them (defaults: no soak, no approvals, any time). */
export const PromotionGatesSchema = Type.Object({
  /** How long the version must have been applied and healthy on every cluster of the previous stage. */
  soakSeconds: Type.Integer({ minimum: 0 }),
  /** Approvals by distinct people with the operator role, never the requester. */
  approvals: Type.Integer({ minimum: 0 }),
  /** Empty means any time. */
  windows: Type.Array(TimeWindowSchema),
  /** Rollbacks skip the gates. */
  isRollbackExempt: Type.Boolean(),
});
export type PromotionGates = Static<typeof PromotionGatesSchema>;

export const PromoteRequestSchema = Type.Object({
  /** `plan` changes nothing and says what `commit` would do; `commit` writes and pushes one commit. */
  op: Type.Union([Type.Literal('plan'), Type.Literal('commit')]),
  promotionId: Type.String({ minLength: 1, maxLength: 128 }),
  kind: Type.Union([Type.Literal('promote'), Type.Literal('rollback')]),
  repo: DnsLabel,
  stage: DnsLabel,
  /** Without a version, the component's version at the previous stage. */
  components: Type.Array(Type.Object({ component: DnsLabel, version: Type.Optional(Version) }), { minItems: 1, maxItems: 100 }),
  /**
   * Only these clusters of the stage (a wave, or `--clusters`): the commit pins the versions in
   * `versions/clusters/<cluster>.yaml`. Without it, the commit edits `versions/<stage>.yaml` and drops
   * pins of the promoted components that equal the promoted version (those a wave wrote).
   */
  clusters: Type.Optional(Type.Array(DnsLabel, { minItems: 1 })),
  /** For a wave rollout: which wave (1-based) of how many this commit is, for its message. */
  wave: Type.Optional(Type.Integer({ minimum: 1 })),
  waves: Type.Optional(Type.Integer({ minimum: 1 })),
  /** The commit is authored as this person and committed as Driftless. */
  requester: PersonSchema,
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type PromoteRequest = Static<typeof PromoteRequestSchema>;

/** What a promotion would change, computed by rendering the stage with the edited version files. */
export const PromotionPlanSchema = Type.Object({
  repo: DnsLabel,
  /** The branch head the plan was computed at. */
  baseSha: Sha,
  stage: DnsLabel,
  previousStage: Type.Union([DnsLabel, Type.Null()]),
  components: Type.Array(
    Type.Object({
      component: DnsLabel,
      version: Type.String(),
      /** The component's version in the stage's version file now. */
      currentVersion: Type.Union([Type.String(), Type.Null()]),
      previousStageVersion: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  /** Every cluster of the stage, with its labels (for selectors and waves). */
  clusters: Type.Array(Type.Object({ name: DnsLabel, labels: Type.Record(Type.String(), Type.String()) })),
  /** Every cluster of the previous stage that runs each promoted component (the soak gate's clusters). */
  previousStageClusters: Type.Array(Type.Object({ cluster: DnsLabel, component: DnsLabel })),
  /** Each (cluster, component) whose desired state would change. */
  changes: Type.Array(
    Type.Object({
      cluster: DnsLabel,
      component: DnsLabel,
      apps: Type.Array(DnsLabel),
      fromVersion: Type.Union([Type.String(), Type.Null()]),
      toVersion: Type.String(),
      /** Objects in the new desired state. */
      objects: Type.Integer({ minimum: 0 }),
      /** Objects in the current desired state that the new one no longer has: the agent will prune them. */
      prunes: Type.Array(ObjectRefSchema),
    }),
  ),
  /** (cluster, component) pairs of the stage that would not change, and why (a pin, an app override). */
  unchanged: Type.Array(Type.Object({ cluster: DnsLabel, component: DnsLabel, reason: Type.String() })),
  gates: PromotionGatesSchema,
});
export type PromotionPlan = Static<typeof PromotionPlanSchema>;

export const PromoteErrorCode = Type.Union([
  Type.Literal('invalid'),
  Type.Literal('not_found'),
  Type.Literal('conflict'),
  Type.Literal('unavailable'),
  Type.Literal('internal'),
]);

export const PromoteReplySchema = Type.Union([
  Type.Object({ ok: Type.Literal(true), plan: PromotionPlanSchema, commitSha: Type.Optional(Sha) }),
  Type.Object({ ok: Type.Literal(false), code: PromoteErrorCode, message: Type.String({ minLength: 1 }) }),
]);
export type PromoteReply = Static<typeof PromoteReplySchema>;

const requestCheck = TypeCompiler.Compile(PromoteRequestSchema);
const replyCheck = TypeCompiler.Compile(PromoteReplySchema);

function decodeWith<T>(check: { Check(v: unknown): boolean; Errors(v: unknown): Iterable<{ path: string; message: string }> }, what: string, bytes: Uint8Array | string): T {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (err) {
    throw new EventValidationError(`${what} is not valid JSON (${(err as Error).message})`, []);
  }
  if (!check.Check(value)) {
    throw new EventValidationError(`invalid ${what}`, [...check.Errors(value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`));
  }
  return value as T;
}

export const decodePromoteRequest = (bytes: Uint8Array | string): PromoteRequest => decodeWith(requestCheck, 'promote request', bytes);
export const decodePromoteReply = (bytes: Uint8Array | string): PromoteReply => decodeWith(replyCheck, 'promote reply', bytes);
