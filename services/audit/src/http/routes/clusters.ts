/** `GET /v1/clusters` and `GET /v1/clusters/{name}`: liveness, agent version and health counts. */
import { NotFoundError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import type { AuditQueries } from '../../ports.js';
import { presentCluster } from '../present.js';
import { ClusterPageSchema, ClustersQuerySchema, Name, responses } from '../schemas.js';

export function clusterRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/clusters',
      {
        schema: {
          summary: 'Every known cluster with its last heartbeat, agent version and counts by health',
          tags: ['clusters'],
          querystring: ClustersQuerySchema,
          response: responses({ 200: ClusterPageSchema }),
        },
      },
      async (request) => {
        const q = request.query;
        const after = q.cursor === undefined ? undefined : decodeCursor('clusters', q.cursor, ['string'] as const)[0];
        const page = await queries.clusters({
          ...(q.stage === undefined ? {} : { stage: q.stage }),
          ...(after === undefined ? {} : { after }),
          limit: q.limit,
        });
        return { items: page.items.map(presentCluster), nextCursor: page.next === null ? null : encodeCursor('clusters', [page.next]) };
      },
    );

    app.get(
      '/v1/clusters/:name',
      {
        schema: {
          summary: 'One cluster',
          tags: ['clusters'],
          params: Type.Object({ name: Name }),
          response: responses({ 200: Type.Ref('Cluster') }),
        },
      },
      async (request) => {
        const cluster = await queries.cluster(request.params.name);
        if (!cluster) throw new NotFoundError(`cluster "${request.params.name}" is not known`);
        return presentCluster(cluster);
      },
    );
    done();
  };
}
