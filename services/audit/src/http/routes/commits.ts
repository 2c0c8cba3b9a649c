/** `GET /v1/commits/{sha}`: everything a commit caused, on every cluster, and how far it got. */
import { NotFoundError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { commitProgress } from '../../core/progress.js';
import { DESIRED_KINDS } from '../../core/kinds.js';
import type { AuditQueries } from '../../ports.js';
import { presentTransition } from '../present.js';
import { CommitSchema, Sha, responses } from '../schemas.js';

export function commitRoutes(queries: AuditQueries): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/v1/commits/:sha',
      {
        schema: {
          summary: 'What a commit changed on every cluster, and whether each change was applied',
          tags: ['audit'],
          params: Type.Object({ sha: Sha }),
          response: responses({ 200: CommitSchema }),
        },
      },
      async (request) => {
        const { sha } = request.params;
        const activity = await queries.commitActivity(sha);
        if (!activity.commit && activity.rows.length === 0) throw new NotFoundError(`commit ${sha} is not in the audit log`);
        const changes = activity.rows.filter((r) => DESIRED_KINDS.includes(r.kind));
        const progress = commitProgress(changes, activity.reports, activity.currentDesiredHash);
        return {
          sha,
          commit: activity.commit && { ...activity.commit, committedAt: activity.commit.committedAt.toISOString() },
          transitions: activity.rows.map(presentTransition),
          targets: progress.targets.map((t) => ({ ...t, appliedAt: t.appliedAt?.toISOString() ?? null })),
          counts: progress.counts,
        };
      },
    );
    done();
  };
}
