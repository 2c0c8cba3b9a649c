/** `GET /v1/components/{name}/blast-radius`: what a change to a component would touch. */
import { NotFoundError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { blastRadius } from '../../core/blast-radius.js';
import type { AuditQueries } from '../../ports.js';
import { BlastRadiusSchema, Name, responses } from '../schemas.js';

export function componentRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/components/:name/blast-radius',
      {
        schema: {
          summary: 'Apps, clusters, stages and versions a change to this component would touch',
          tags: ['inventory'],
          params: Type.Object({ name: Name }),
          response: responses({ 200: BlastRadiusSchema }),
        },
      },
      async (request) => {
        const rows = await queries.statesOfComponent(request.params.name);
        if (rows.length === 0) throw new NotFoundError(`component "${request.params.name}" has never been seen on any cluster`);
        return blastRadius(request.params.name, rows);
      },
    );
    done();
  };
}
