/**
 * Agent enrollment: `POST /v1/agents/enroll` (no API token: the bootstrap token is the
 * credential) trades a one-time bootstrap token and a public key for NATS credentials, and
 * `GET /v1/agents/enrollments` (admin) lists every attempt, refusals included.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { Role } from '../../core/roles.js';
import type { Registrar } from '../../registrar.js';
import { EnrollBodySchema, EnrolledSchema, EnrollmentPageSchema, EnrollmentsQuerySchema } from '../registration-schemas.js';
import { responses } from '../schemas.js';

export function agentRoutes(registrar: Registrar): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/v1/agents/enroll',
      {
        config: { isPublic: true },
        schema: {
          summary: 'Trade a bootstrap token and a public key for the agent\'s NATS credentials',
          description:
            'Returns a user JWT signed by the Driftless account for the presented public key: it may read only its cluster\'s desired state and publish only its cluster\'s events. A token works once and until it expires; every attempt, refused or not, is recorded in the enrollment log.',
          tags: ['agents'],
          security: [],
          body: EnrollBodySchema,
          response: responses({ 200: EnrolledSchema, 403: Type.Ref('Problem'), 409: Type.Ref('Problem') }, { isPublic: true }),
        },
      },
      async (request) => registrar.enroll({ bootstrapToken: request.body.bootstrapToken, publicKey: request.body.publicKey, remoteAddress: request.ip }),
    );

    app.get(
      '/v1/agents/enrollments',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Every enrollment attempt, newest first, with its outcome',
          tags: ['agents'],
          querystring: EnrollmentsQuerySchema,
          response: responses({ 200: EnrollmentPageSchema }),
        },
      },
      async (request) => {
        const q = request.query;
        const afterId = q.cursor === undefined ? undefined : decodeCursor('enrollments', q.cursor, ['number'] as const)[0];
        const page = await registrar.enrollments({ limit: q.limit, ...(q.cluster === undefined ? {} : { cluster: q.cluster }), ...(afterId === undefined ? {} : { afterId }) });
        return {
          items: page.items.map((e) => ({ ...e, attemptedAt: e.attemptedAt.toISOString() })),
          nextCursor: page.next === null ? null : encodeCursor('enrollments', [page.next]),
        };
      },
    );
    done();
  };
}
