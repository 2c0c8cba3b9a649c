/** `GET /v1/transitions`: the ledger, filtered, newest first, keyset-paginated. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { AuditQueries } from '../../ports.js';
import { presentTransition } from '../present.js';
import { TransitionPageSchema, TransitionsQuerySchema, responses } from '../schemas.js';

export function transitionsRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/transitions',
      {
        schema: {
          summary: 'Every recorded step, newest first',
          description:
            'Filter by cluster, component, app (rows about the pairs the app places now), stage, actor (commit author email or drift field manager), kind, promotion (the steps of one promotion) and time range [since, until).',
          tags: ['audit'],
          querystring: TransitionsQuerySchema,
          response: responses({ 200: TransitionPageSchema }),
        },
      },
      async (request) => {
        const q = request.query;
        const after = q.cursor === undefined ? undefined : decodeCursor('transitions', q.cursor, ['string', 'number'] as const);
        const page = await queries.transitions({
          ...(q.cluster === undefined ? {} : { cluster: q.cluster }),
          ...(q.component === undefined ? {} : { component: q.component }),
          ...(q.app === undefined ? {} : { app: q.app }),
          ...(q.stage === undefined ? {} : { stage: q.stage }),
          ...(q.actor === undefined ? {} : { actor: q.actor }),
          ...(q.kind === undefined ? {} : { kinds: q.kind }),
          ...(q.promotion === undefined ? {} : { promotionId: q.promotion }),
          ...(q.since === undefined ? {} : { since: new Date(q.since) }),
          ...(q.until === undefined ? {} : { until: new Date(q.until) }),
          ...(after === undefined ? {} : { after: { at: new Date(after[0]), seq: after[1] } }),
          limit: q.limit,
        });
        return {
          items: page.items.map(presentTransition),
          nextCursor: page.next === null ? null : encodeCursor('transitions', [page.next.at.toISOString(), page.next.seq]),
        };
      },
    );
    done();
  };
}
