/**
 * `GET /v1/inventory`: what runs where, from the derived current state, with skew flags; and
 * `GET /v1/inventory/matrix`: the same fleet as a compact matrix for fleet-wide views. Both answer
 * from an in-memory snapshot of the fleet that follows the ledger (FleetSnapshotKeeper), so a
 * request under steady ingest reads only the pairs changed since the last one, and keep serialized
 * responses per ledger tip (InventoryCache). With the snapshot off (a fleet above its limit) they
 * read Postgres per request.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { ChainTip } from '../../core/chain.js';
import { canonicalJson } from '../../core/canonical.js';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { FleetSnapshot } from '../../core/fleet-snapshot.js';
import type { Skew } from '../../core/skew.js';
import { FleetSnapshotKeeper } from '../../fleet-snapshot-keeper.js';
import type { AuditQueries, InventoryQuery } from '../../ports.js';
import { InventoryCache } from '../inventory-cache.js';
import { inventoryDocument, matrixDocument, toInventoryEntry, type InventoryEntry, type InventorySerializers } from '../inventory-documents.js';
import { presentInventory, presentMatrix } from '../present.js';
import {
  InventoryItemSchema,
  InventoryMatrixQuerySchema,
  InventoryMatrixSchema,
  InventoryPageSchema,
  InventoryQuerySchema,
  MATRIX_COLUMNS,
  responses,
  SkewSchema,
} from '../schemas.js';

/** Rows per matrix page: the largest inventory page, so a fleet of up to 50 000 pairs is one document. */
const MATRIX_PAGE_ROWS = 50_000;

interface Filters {
  cluster?: string | undefined;
  component?: string | undefined;
  stage?: string | undefined;
  cursor?: string | undefined;
}

/** The same filters for the fleet snapshot (which takes absent ones as undefined). */
function toSelection(q: Filters, limit: number) {
  const { after, ...filters } = toQuery(q, limit);
  return { ...filters, after };
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

/** The item schema without its `$id`, compiled on its own (the shared schema stays the page's reference). */
const { $id: _itemId, ...ItemSchema } = InventoryItemSchema;

function serializersOf(reply: FastifyReply): InventorySerializers {
  const item = reply.compileSerializationSchema(ItemSchema);
  const skew = reply.compileSerializationSchema(SkewSchema);
  return {
    item: (value) => item(value as Record<string, unknown>),
    skew: (value: Skew) => skew(value as unknown as Record<string, unknown>),
    emptyPage: (page) => reply.serialize(page) as string,
  };
}

export function inventoryRoutes(queries: AuditQueries, cache = new InventoryCache()): FastifyPluginCallbackTypebox {
  const keeper = new FleetSnapshotKeeper(queries, toInventoryEntry, cache.snapshotLimits);
  let isOffLogged = false;
  return (app, _options, done) => {
    /**
     * Answers from the fleet snapshot (or, with it off, from Postgres), and from the cache when the
     * ledger has not moved since the same request was answered.
     */
    const answer = async (
      route: string,
      query: object,
      reply: FastifyReply,
      fromSnapshot: (snapshot: FleetSnapshot<InventoryEntry>) => string,
      fromPostgres: () => Promise<string>,
    ): Promise<FastifyReply> => {
      // The tip first: whatever is read after it is at least that fresh.
      const tip = await queries.ledgerTip();
      const key = `${route}?${canonicalJson(query)}`;
      const fleet = (await keeper.catchUp(tip)) ? keeper.current : undefined;
      if (fleet === undefined && !isOffLogged && keeper.offReason !== 'disabled') {
        isOffLogged = true;
        app.log.warn({ reason: keeper.offReason }, 'fleet snapshot off: the inventory reads Postgres per request');
      }
      // From here to `set`, nothing awaits: the document is the snapshot at `fleet.tip` or later.
      const at: ChainTip = fleet?.tip ?? tip;
      const hit = cache.get(at, key);
      if (hit !== undefined) return sendJson(reply, hit);
      const body = fleet === undefined ? await fromPostgres() : fromSnapshot(fleet.snapshot);
      cache.set(at, key, body);
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
        answer(
          'inventory',
          request.query,
          reply,
          (snapshot) => inventoryDocument(snapshot, toSelection(request.query, request.query.limit), request.query.isSkewed, nextCursor, serializersOf(reply)),
          async () => {
            const q = request.query;
            const page = await queries.inventory(toQuery(q, q.limit));
            let items = presentInventory(page.items, page.stageVersions);
            // A filter on the page, not the query: skew is known only once the stage's versions are.
            if (q.isSkewed !== undefined) items = items.filter((i) => (i.skew.isDesiredSkewed || i.skew.isAppliedSkewed) === q.isSkewed);
            // The route's own serializer (from the response schema), so nothing outside the schema can leak.
            return reply.serialize({ items, nextCursor: nextCursor(page.next) }) as string;
          },
        ),
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
        answer(
          'matrix',
          request.query,
          reply,
          (snapshot) => matrixDocument(snapshot, toSelection(request.query, MATRIX_PAGE_ROWS), request.query.isSkewed, nextCursor),
          async () => {
            const page = await queries.inventoryCells(toQuery(request.query, MATRIX_PAGE_ROWS));
            const matrix = presentMatrix(page.items, page.stageVersions, request.query.isSkewed);
            // Rows are arrays of primitives built from named fields above: plain JSON.stringify is exact and fastest.
            return JSON.stringify({ ...matrix, columns: MATRIX_COLUMNS, nextCursor: nextCursor(page.next) });
          },
        ),
    );
    done();
  };
}
