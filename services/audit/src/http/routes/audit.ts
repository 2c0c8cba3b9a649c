/** Operator routes about the audit log itself: chain verification and dead letters. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor } from '../../core/cursor.js';
import { Role } from '../../core/roles.js';
import type { AuditQueries } from '../../ports.js';
import { DeadLetterPageSchema, DeadLettersQuerySchema, VerifyQuerySchema, VerifySchema, responses } from '../schemas.js';

export function auditRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/audit/verify',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Walk the hash chain and report the first broken row',
          description:
            'Streams the ledger in constant memory. With fromSeq/limit it checks a slice (continue from lastSeq + 1). The tip hash can be recorded elsewhere to detect a truncated tail.',
          tags: ['audit'],
          querystring: VerifyQuerySchema,
          response: responses({ 200: VerifySchema }),
        },
      },
      async (request) => {
        const { fromSeq, limit } = request.query;
        return queries.verify({ ...(fromSeq === undefined ? {} : { fromSeq }), ...(limit === undefined ? {} : { limit }) });
      },
    );

    app.get(
      '/v1/dead-letters',
      {
        config: { minRole: Role.operator },
        schema: {
          summary: 'Messages that could not be recorded, with the reason',
          tags: ['audit'],
          querystring: DeadLettersQuerySchema,
          response: responses({ 200: DeadLetterPageSchema }),
        },
      },
      async (request) => {
        const { limit, cursor } = request.query;
        const afterId = cursor === undefined ? undefined : decodeCursor('dead-letters', cursor, ['number'] as const)[0];
        const page = await queries.deadLetters({ limit, ...(afterId === undefined ? {} : { afterId }) });
        return {
          items: page.items.map((d) => ({ ...d, receivedAt: d.receivedAt.toISOString() })),
          nextCursor: page.next === null ? null : encodeCursor('dead-letters', [page.next]),
        };
      },
    );
    done();
  };
}
