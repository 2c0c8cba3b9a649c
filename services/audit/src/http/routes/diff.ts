/** `GET /v1/diff`: which components changed version on a cluster between two commits or times. */
import { InvalidInputError, NotFoundError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { diffSnapshots } from '../../core/diff.js';
import type { Stamp } from '../../core/state.js';
import type { AuditQueries } from '../../ports.js';
import { DiffQuerySchema, DiffSchema, responses } from '../schemas.js';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** A commit is "as of its newest ledger row"; a time is "everything that happened up to it". */
async function resolvePoint(queries: AuditQueries, which: string, ref: string): Promise<Stamp> {
  if (SHA.test(ref)) {
    const point = await queries.pointOfCommit(ref);
    if (!point) throw new NotFoundError(`${which}: commit ${ref} is not in the audit log`);
    return point;
  }
  if (TIME.test(ref) && !Number.isNaN(Date.parse(ref))) return { at: new Date(ref), seq: Number.MAX_SAFE_INTEGER };
  throw new InvalidInputError(`${which} must be a full commit SHA or an RFC 3339 time (e.g. 2026-11-27T10:00:00Z), got "${ref}"`);
}

export function diffRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/diff',
      {
        schema: {
          summary: 'Components whose version changed on a cluster between two commits or two times',
          description: 'basis=desired (default) compares what the environment repository asked for; basis=applied compares what the agent applied.',
          tags: ['audit'],
          querystring: DiffQuerySchema,
          response: responses({ 200: DiffSchema }),
        },
      },
      async (request) => {
        const { cluster, from, to, basis } = request.query;
        const [fromPoint, toPoint] = await Promise.all([resolvePoint(queries, 'from', from), resolvePoint(queries, 'to', to)]);
        const [before, after] = await Promise.all([queries.snapshotAt(cluster, fromPoint, basis), queries.snapshotAt(cluster, toPoint, basis)]);
        const point = (ref: string, p: Stamp) => ({ ref, at: p.at.toISOString(), seq: p.seq });
        return { cluster, basis, from: point(from, fromPoint), to: point(to, toPoint), changes: diffSnapshots(before, after) };
      },
    );
    done();
  };
}
