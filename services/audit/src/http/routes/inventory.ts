/** `GET /v1/inventory`: what runs where, from the derived current state, with skew flags. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { AuditQueries } from '../../ports.js';
import { presentInventory } from '../present.js';
import { InventoryPageSchema, InventoryQuerySchema, responses } from '../schemas.js';

export function inventoryRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/inventory',
      {
        schema: {
          summary: 'Desired and applied version, health and drift of every component on every cluster',
          description: 'Ordered by cluster, then component. Skew compares the clusters of the same stage.',
          tags: ['inventory'],
          querystring: InventoryQuerySchema,
          response: responses({ 200: InventoryPageSchema }),
        },
      },
      async (request) => {
        const q = request.query;
        const after = q.cursor === undefined ? undefined : decodeCursor('inventory', q.cursor, ['string', 'string'] as const);
        const page = await queries.inventory({
          ...(q.cluster === undefined ? {} : { cluster: q.cluster }),
          ...(q.component === undefined ? {} : { component: q.component }),
          ...(q.stage === undefined ? {} : { stage: q.stage }),
          ...(after === undefined ? {} : { after: { cluster: after[0], component: after[1] } }),
          limit: q.limit,
        });
        let items = presentInventory(page.items, page.stageVersions);
        // A filter on the page, not the query: skew is known only once the stage's versions are.
        if (q.isSkewed !== undefined) items = items.filter((i) => (i.skew.isDesiredSkewed || i.skew.isAppliedSkewed) === q.isSkewed);
        return {
          items,
          nextCursor: page.next === null ? null : encodeCursor('inventory', [page.next.cluster, page.next.component]),
        };
      },
    );
    done();
  };
}
