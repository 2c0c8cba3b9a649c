/**
 * Promotions: request one (operator; `dryRun` returns the plan only), list and read them with
 * their gates, approvals, waves and commits, approve (never by the requester) and reject.
 */
import { ForbiddenError, InvalidInputError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { Approval } from '../../core/promotion-gates.js';
import { PromotionStatus } from '../../core/promotion.js';
import { Role } from '../../core/roles.js';
import type { PromotionRecord } from '../../promotion-ports.js';
import type { PromotionCaller, PromotionInput, Promotions } from '../../promotions.js';
import { ApproveBodySchema, PlanOnlySchema, PromotionBodySchema, PromotionPageSchema, PromotionsQuerySchema, RejectBodySchema } from '../promotion-schemas.js';
import { responses } from '../schemas.js';

const Id = Type.String({ pattern: '^pr_[0-9a-f]{1,64}$', description: 'A promotion id, e.g. pr_3f2c9a1e0b7d' });

function summary(p: PromotionRecord, approvals: readonly Approval[]) {
  return {
    id: p.id,
    kind: p.kind,
    repo: p.repo,
    stage: p.stage,
    components: p.components,
    clusters: p.clusters,
    selector: p.selector,
    wave: p.waveSize,
    waveTimeoutSeconds: p.waveTimeoutS,
    requester: p.requester,
    author: p.requesterPerson,
    reason: p.reason,
    status: p.status,
    statusReason: p.statusReason,
    decidedBy: p.decidedBy,
    pending: p.pending,
    gates: p.plan.gates,
    approvalsNeeded: p.plan.gates.approvals,
    approvals: approvals.map((a) => ({ approver: a.approver, role: a.role, comment: a.comment, approvedAt: a.at.toISOString() })),
    waves:
      p.waveSize === null
        ? []
        : p.waves.map((clusters, i) => {
            const commit = p.commits.find((c) => c.wave === i + 1);
            return { wave: i + 1, clusters, commitSha: commit?.sha ?? null, committedAt: commit?.at.toISOString() ?? null };
          }),
    commits: p.commits.map((c) => ({ sha: c.sha, wave: c.wave, clusters: c.clusters, committedAt: c.at.toISOString() })),
    watcherError: p.watcherError,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export const presentPromotion = (p: PromotionRecord, approvals: readonly Approval[]) => ({ ...summary(p, approvals), plan: p.plan });

export function callerOf(request: FastifyRequest): PromotionCaller {
  const principal = request.principal;
  if (!principal) throw new ForbiddenError('this route needs an API token');
  return { id: principal.id, name: principal.name, role: principal.role };
}

export function promotionRoutes(promotions: Promotions): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/v1/promotions',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Promote (or roll back) components to a stage',
          description:
            'Asks the repo-watcher what the promotion would change (apps, clusters, objects, prunes) and, unless dryRun, records it: it waits for the stage gates (soak, approvals, time windows), then the repo-watcher commits it, authored as the caller. Without a version, the version running on the previous stage; a rollback without one returns to the version the stage ran before. Every step is recorded in the audit log.',
          tags: ['promotions'],
          body: PromotionBodySchema,
          response: responses({ 200: PlanOnlySchema, 201: Type.Ref('Promotion'), 409: Type.Ref('Problem') }),
        },
      },
      async (request, reply) => {
        const b = request.body;
        if ((b.component === undefined) === (b.components === undefined)) {
          throw new InvalidInputError('name what to promote with either "component" (and optionally "version") or "components", not both and not neither');
        }
        if (b.components !== undefined && b.version !== undefined) throw new InvalidInputError('"version" goes with "component"; with "components" give each its own version');
        if (b.clusters !== undefined && b.selector !== undefined) throw new InvalidInputError('choose clusters by "clusters" or by "selector", not both');
        const duplicates = (b.components ?? []).map((c) => c.component).filter((c, i, all) => all.indexOf(c) !== i);
        if (duplicates.length > 0) throw new InvalidInputError(`each component may appear once; repeated: ${[...new Set(duplicates)].join(', ')}`);
        const input: PromotionInput = {
          components: b.components ?? [{ component: b.component ?? '', ...(b.version === undefined ? {} : { version: b.version }) }],
          toStage: b.toStage,
          kind: b.kind ?? 'promote',
          ...(b.repo === undefined ? {} : { repo: b.repo }),
          ...(b.clusters === undefined ? {} : { clusters: b.clusters }),
          ...(b.selector === undefined ? {} : { selector: b.selector }),
          ...(b.wave === undefined ? {} : { wave: b.wave }),
          ...(b.waveTimeoutSeconds === undefined ? {} : { waveTimeoutSeconds: b.waveTimeoutSeconds }),
          ...(b.reason === undefined ? {} : { reason: b.reason }),
        };
        const caller = callerOf(request);
        if (b.dryRun === true) {
          const planned = await promotions.plan(input, caller);
          return reply.code(200).send({ dryRun: true as const, ...planned });
        }
        const created = await promotions.request(input, caller);
        return reply.code(201).send(presentPromotion(created, []));
      },
    );

    app.get(
      '/v1/promotions',
      {
        schema: {
          summary: 'Promotions, newest first',
          tags: ['promotions'],
          querystring: PromotionsQuerySchema,
          response: responses({ 200: PromotionPageSchema }),
        },
      },
      async (request) => {
        const q = request.query;
        const after = q.cursor === undefined ? undefined : decodeCursor('promotions', q.cursor, ['string', 'string'] as const);
        const page = await promotions.list({
          ...(q.status === undefined ? {} : { status: q.status }),
          ...(q.component === undefined ? {} : { component: q.component }),
          ...(q.stage === undefined ? {} : { stage: q.stage }),
          ...(after === undefined ? {} : { after: { createdAt: new Date(after[0]), id: after[1] } }),
          limit: q.limit,
        });
        const approvals = await promotions.approvalsOf(page.items.map((p) => p.id));
        const items = page.items.map((p) => summary(p, approvals.get(p.id) ?? []));
        return { items, nextCursor: page.next === null ? null : encodeCursor('promotions', [page.next.createdAt.toISOString(), page.next.id]) };
      },
    );

    app.get(
      '/v1/promotions/:id',
      {
        schema: {
          summary: 'One promotion with its plan, gates, what it waits for, approvals, waves and commits',
          tags: ['promotions'],
          params: Type.Object({ id: Id }),
          response: responses({ 200: Type.Ref('Promotion') }),
        },
      },
      async (request) => {
        const p = await promotions.get(request.params.id);
        return presentPromotion(p, await promotions.approvals(p.id));
      },
    );

    app.post(
      '/v1/promotions/:id/approve',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Approve a waiting promotion',
          description: `Counts toward the stage's approvals gate. 403 for the requester's own promotion; 409 when it is not waiting (${PromotionStatus.requested} or ${PromotionStatus.waiting}) or the caller approved it already.`,
          tags: ['promotions'],
          params: Type.Object({ id: Id }),
          body: Type.Optional(ApproveBodySchema),
          response: responses({ 200: Type.Ref('Promotion'), 409: Type.Ref('Problem') }),
        },
      },
      async (request) => {
        const p = await promotions.approve(request.params.id, callerOf(request), request.body?.comment ?? null);
        return presentPromotion(p, await promotions.approvals(p.id));
      },
    );

    app.post(
      '/v1/promotions/:id/reject',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Reject a promotion that has not finished; a wave rollout stops where it is (its pins stay)',
          tags: ['promotions'],
          params: Type.Object({ id: Id }),
          body: RejectBodySchema,
          response: responses({ 200: Type.Ref('Promotion'), 409: Type.Ref('Problem') }),
        },
      },
      async (request) => {
        const p = await promotions.reject(request.params.id, callerOf(request), request.body.reason);
        return presentPromotion(p, await promotions.approvals(p.id));
      },
    );
    done();
  };
}
