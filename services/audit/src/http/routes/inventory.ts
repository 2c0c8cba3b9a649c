/**
 * `GET /v1/inventory`: what runs where, from the derived current state, with skew flags; and
 * `GET /v1/inventory/matrix`: the same fleet as a compact matrix for fleet-wide views. Both keep
 * serialized responses for the current ledger tip (see InventoryCache), so a fleet-wide document
 * is built once per ledger change, not once per request.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { canonicalJson } from '../../core/canonical.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { AuditQueries, InventoryQuery } from '../../ports.js';
import { InventoryCache } from '../inventory-cache.js';
import { presentInventory, presentMatrix } from '../present.js';
import { InventoryMatrixQuerySchema, InventoryMatrixSchema, InventoryPageSchema, InventoryQuerySchema, MATRIX_COLUMNS, responses } from '../schemas.js';

/** Rows per matrix page: the largest inventory page, so a fleet of up to 50 000 pairs is one document. */
const MATRIX_PAGE_ROWS = 50_000;

interface Filters {
  cluster?: string | undefined;
  component?: string | undefined;
  stage?: string | undefined;
  cursor?: string | undefined;
}

function toQuery(q: Filters, limit: number): InventoryQuery {
  const after = q.cursor === undefined ? undefined : decodeCursor('inventory', q.cursor, ['string', 'string'] as const);
  return {
    ...(q.cluster === undefined ? {} : { cluster: q.cluster }),
    ...(q.component === undefined ? {} : { component: q.component }),
    ...(q.stage === undefined ? {} : { stage: q.stage }),
    ...(after === undefined ? {} : { after: { cluster: after[0], component: after[1] } }),
    limit,
  };
}

const nextCursor = (next: { cluster: string; component: string } | null) => (next === null ? null : encodeCursor('inventory', [next.cluster, next.component]));

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(body);
}

export function inventoryRoutes(queries: AuditQueries, cache = new InventoryCache()): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    /** Answers from the cache when the ledger has not moved since the same request was answered. */
    const cached = async (route: string, query: object, reply: FastifyReply, build: () => Promise<string>): Promise<FastifyReply> => {
      // The tip first: whatever is read after it is at least that fresh.
      const tip = await queries.ledgerTip();
      const key = `${route}?${canonicalJson(query)}`;
      const hit = cache.get(tip, key);
      if (hit !== undefined) return sendJson(reply, hit);
      const body = await build();
      cache.set(tip, key, body);
      return sendJson(reply, body);
    };

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
      (request, reply) =>
        cached('inventory', request.query, reply, async () => {
          const q = request.query;
          const page = await queries.inventory(toQuery(q, q.limit));
          let items = presentInventory(page.items, page.stageVersions);
          // A filter on the page, not the query: skew is known only once the stage's versions are.
          if (q.isSkewed !== undefined) items = items.filter((i) => (i.skew.isDesiredSkewed || i.skew.isAppliedSkewed) === q.isSkewed);
          // The route's own serializer (from the response schema), so nothing outside the schema can leak.
          return reply.serialize({ items, nextCursor: nextCursor(page.next) }) as string;
        }),
    );

    app.get(
      '/v1/inventory/matrix',
      {
        schema: {
          summary: 'The fleet as one compact matrix: versions, health, sync, drift and skew of every component on every cluster',
          description: `Clusters and components are listed once; each row is [${MATRIX_COLUMNS.join(', ')}], with cluster and component as indexes into those lists. Up to ${MATRIX_PAGE_ROWS} rows per page. The same filters as /v1/inventory.`,
          tags: ['inventory'],
          querystring: InventoryMatrixQuerySchema,
          response: responses({ 200: InventoryMatrixSchema }),
        },
      },
      (request, reply) =>
        cached('matrix', request.query, reply, async () => {
          const page = await queries.inventoryCells(toQuery(request.query, MATRIX_PAGE_ROWS));
          const matrix = presentMatrix(page.items, page.stageVersions, request.query.isSkewed);
          // Rows are arrays of primitives built from named fields above: plain JSON.stringify is exact and fastest.
          return JSON.stringify({ ...matrix, columns: MATRIX_COLUMNS, nextCursor: nextCursor(page.next) });
        }),
    );
    done();
  };
}
