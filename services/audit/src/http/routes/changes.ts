/**
 * Held changes: commits the repo-watcher did not publish for some stages because they break the
 * change policy or trip the blast-radius brake, and their approval (operator, never the author).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Role } from '../../core/roles.js';
import type { ChangeApprovals } from '../../promotion-changes.js';
import type { HeldChange } from '../../promotion-ports.js';
import { ApprovedChangeSchema, ApproveBodySchema, ChangeParamsSchema, ChangesQuerySchema } from '../promotion-schemas.js';
import { responses } from '../schemas.js';
import { callerOf } from './promotions.js';

export const presentHeldChange = (h: HeldChange) => ({
  repo: h.repo,
  commit: h.commit,
  stages: h.stages,
  reasons: h.reasons,
  isApprovable: h.isApprovable,
  clusters: h.clusters,
  heldAt: h.heldAt.toISOString(),
  approvers: h.approvers,
  releasedAt: h.releasedAt?.toISOString() ?? null,
});

export function changeRoutes(changes: ChangeApprovals): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/changes',
      {
        schema: {
          summary: 'Commits held by the change policy or the blast-radius brake, newest first',
          description: 'From the audit log: each change_held commit with its reasons and approvals; released ones only with all=true.',
          tags: ['changes'],
          querystring: ChangesQuerySchema,
          response: responses({ 200: Type.Object({ items: Type.Array(Type.Ref('HeldChange')) }) }),
        },
      },
      async (request) => {
        const q = request.query;
        const items = await changes.list({ ...(q.repo === undefined ? {} : { repo: q.repo }), isReleasedIncluded: q.all, limit: q.limit });
        return { items: items.map(presentHeldChange) };
      },
    );

    app.get(
      '/v1/changes/:sha',
      {
        schema: {
          summary: 'One held commit',
          tags: ['changes'],
          params: ChangeParamsSchema,
          response: responses({ 200: Type.Ref('HeldChange') }),
        },
      },
      async (request) => presentHeldChange(await changes.get(request.params.sha)),
    );

    app.post(
      '/v1/changes/:sha/approve',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Approve a held commit, so the repo-watcher releases it',
          description:
            'Publishes driftless.change.approved.v1; the repo-watcher releases the commit once its policy is satisfied (and records change_released). 403 for the commit\'s own author (by email); 409 when it was released already, the caller approved it already, or no approval can release it (an unsigned commit on a stage that requires signatures).',
          tags: ['changes'],
          params: ChangeParamsSchema,
          body: Type.Optional(ApproveBodySchema),
          response: responses({ 202: ApprovedChangeSchema, 409: Type.Ref('Problem') }),
        },
      },
      async (request, reply) => {
        const { approver, ...change } = await changes.approve(request.params.sha, callerOf(request), request.body?.comment ?? null);
        return reply.code(202).send({ change: presentHeldChange(change), approver });
      },
    );
    done();
  };
}
