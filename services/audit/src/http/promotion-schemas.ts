/**
 * Request and response schemas of promotions (`/v1/promotions`) and held changes (`/v1/changes`).
 * The plan and the gates are the contracts' own schemas, as the repo-watcher computed them.
 */
import { PromotionGatesSchema, PromotionPlanSchema } from '@driftless/contracts';
import { Type } from '@sinclair/typebox';
import { PROMOTION_STATUSES } from '../core/promotion.js';
import { RoleSchema } from './registration-schemas.js';
import { Cursor, Name, Nullable, Sha, Time } from './schemas.js';

const Version = Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$', description: 'A component version, e.g. 1.4.2' });
const Kind = Type.Union([Type.Literal('promote'), Type.Literal('rollback')]);
export const PromotionStatusSchema = Type.Union(PROMOTION_STATUSES.map((s) => Type.Literal(s)));

export const PromotionBodySchema = Type.Object(
  {
    component: Type.Optional(Name),
    version: Type.Optional(Version),
    components: Type.Optional(
      Type.Array(Type.Object({ component: Name, version: Type.Optional(Version) }, { additionalProperties: false }), {
        minItems: 1,
        maxItems: 100,
        description: 'Several components promoted together as one release (instead of component/version)',
      }),
    ),
    toStage: Name,
    kind: Type.Optional(Kind),
    repo: Type.Optional(Name),
    clusters: Type.Optional(Type.Array(Name, { minItems: 1, maxItems: 1000, description: 'Only these clusters of the stage (pinned in versions/clusters/)' })),
    selector: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description: 'Only clusters of the stage whose labels match, e.g. region=eu,tier!=canary' })),
    wave: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Move this many clusters at a time, each wave waiting until the previous one is healthy' })),
    waveTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 86_400, description: 'A wave not healthy within this long halts the promotion (default 600)' })),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    dryRun: Type.Optional(Type.Boolean({ description: 'Return the plan only; nothing is recorded' })),
  },
  { additionalProperties: false },
);

const ComponentVersion = Type.Object({ component: Type.String(), version: Type.String() });
const Pending = Type.Object({ gate: Type.String(), message: Type.String() });

const promotionProperties = {
  id: Type.String(),
  kind: Kind,
  repo: Type.String(),
  stage: Type.String(),
  components: Type.Array(ComponentVersion),
  clusters: Nullable(Type.Array(Type.String())),
  selector: Nullable(Type.String()),
  wave: Nullable(Type.Integer({ description: 'Clusters per wave' })),
  waveTimeoutSeconds: Type.Integer(),
  requester: Type.String({ description: 'The caller that asked, as the audit log names callers (token:<name>)' }),
  author: Type.Object({ name: Type.String(), email: Type.String() }, { description: 'Whom the commits are authored as' }),
  reason: Nullable(Type.String()),
  status: PromotionStatusSchema,
  statusReason: Nullable(Type.String({ description: 'Why it was rejected or halted' })),
  decidedBy: Nullable(Type.String({ description: 'Who rejected it' })),
  pending: Type.Array(Pending, { description: 'What it waits for now' }),
  gates: PromotionGatesSchema,
  approvalsNeeded: Type.Integer(),
  approvals: Type.Array(Type.Object({ approver: Type.String(), role: RoleSchema, comment: Nullable(Type.String()), approvedAt: Time })),
  waves: Type.Array(Type.Object({ wave: Type.Integer(), clusters: Type.Array(Type.String()), commitSha: Nullable(Type.String()), committedAt: Nullable(Time) })),
  commits: Type.Array(Type.Object({ sha: Type.String(), wave: Nullable(Type.Integer()), clusters: Nullable(Type.Array(Type.String())), committedAt: Time })),
  watcherError: Nullable(Type.String({ description: 'The last failure of asking the repo-watcher, while it is retried' })),
  createdAt: Time,
  updatedAt: Time,
};

export const PromotionSchema = Type.Object({ ...promotionProperties, plan: PromotionPlanSchema }, { $id: 'Promotion' });
export const PromotionSummarySchema = Type.Object(promotionProperties);

export const PlanOnlySchema = Type.Object({
  dryRun: Type.Literal(true),
  repo: Type.String(),
  plan: PromotionPlanSchema,
  targets: Type.Array(Type.String(), { description: 'The clusters it would move' }),
  waves: Type.Array(Type.Array(Type.String())),
});

export const PromotionsQuerySchema = Type.Object({
  status: Type.Optional(PromotionStatusSchema),
  component: Type.Optional(Name),
  stage: Type.Optional(Name),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  cursor: Type.Optional(Cursor),
});

export const PromotionPageSchema = Type.Object({ items: Type.Array(PromotionSummarySchema), nextCursor: Nullable(Type.String()) });

export const ApproveBodySchema = Type.Object({ comment: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })) }, { additionalProperties: false });
export const RejectBodySchema = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000 }) }, { additionalProperties: false });

const PersonSchema = Type.Object({ name: Type.String(), email: Type.String() });
export const HeldChangeSchema = Type.Object(
  {
    repo: Type.String(),
    commit: Type.Object({ sha: Type.String(), author: PersonSchema, committer: PersonSchema, message: Type.String(), time: Time }),
    stages: Type.Array(Type.String(), { description: 'Stages whose desired state the watcher did not publish' }),
    reasons: Type.Array(Type.Object({ rule: Type.String(), stage: Type.String(), message: Type.String() })),
    isApprovable: Type.Boolean({ description: 'False when no approval can release it (e.g. an unsigned commit where signatures are required)' }),
    clusters: Type.Object({ changed: Type.Integer(), removed: Type.Integer() }),
    heldAt: Time,
    approvers: Type.Array(Type.String()),
    releasedAt: Nullable(Time),
  },
  { $id: 'HeldChange' },
);

export const ChangesQuerySchema = Type.Object({
  repo: Type.Optional(Name),
  all: Type.Boolean({ default: false, description: 'Include released commits' }),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

export const ChangeParamsSchema = Type.Object({ sha: Sha });
export const ApprovedChangeSchema = Type.Object({ change: Type.Ref('HeldChange'), approver: Type.String() });
