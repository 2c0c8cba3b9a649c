/**
 * Held commits as the ledger records them: each `change_held` row with the approvals
 * (`change_approved`) and the release (`change_released`) recorded for the same commit since.
 */
import type { Commit } from '@driftless/contracts';
import { mapPgError, type Sql } from '@driftless/db';
import type { HeldChange, HeldChanges } from '../promotion-ports.js';

interface HeldRow {
  repo: string;
  commit_sha: string;
  detail: {
    commit: Commit;
    stages: string[];
    reasons: { rule: string; stage: string; message: string }[];
    isApprovable: boolean;
    clusters: { changed: number; removed: number };
  };
  occurred_at: Date;
  approvers: string[];
  released_at: Date | null;
}

const toHeld = (r: HeldRow): HeldChange => ({
  repo: r.repo,
  commit: r.detail.commit,
  stages: r.detail.stages,
  reasons: r.detail.reasons,
  isApprovable: r.detail.isApprovable,
  clusters: r.detail.clusters,
  heldAt: r.occurred_at,
  approvers: r.approvers,
  releasedAt: r.released_at,
});

export class PgHeldChanges implements HeldChanges {
  constructor(private readonly sql: Sql) {}

  private async query(where: { repo?: string; sha?: string; isReleasedIncluded: boolean; limit: number }): Promise<HeldChange[]> {
    const { sql } = this;
    try {
      const rows = await sql<HeldRow[]>`
        select * from (
          select distinct on (t.repo, t.commit_sha) t.repo, t.commit_sha, t.detail, t.occurred_at, t.seq,
            array(select a.actor from transitions a
                  where a.commit_sha = t.commit_sha and a.kind = 'change_approved' and a.repo = t.repo and a.actor is not null
                  order by a.seq) as approvers,
            (select min(r.occurred_at) from transitions r
             where r.commit_sha = t.commit_sha and r.kind = 'change_released' and r.repo = t.repo) as released_at
          from transitions t
          where t.kind = 'change_held'
            ${where.repo === undefined ? sql`` : sql`and t.repo = ${where.repo}`}
            ${where.sha === undefined ? sql`` : sql`and t.commit_sha = ${where.sha}`}
          order by t.repo, t.commit_sha, t.seq desc
        ) held
        where ${where.isReleasedIncluded} or released_at is null
        order by seq desc
        limit ${where.limit}`;
      return rows.map(toHeld);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  list(q: { repo?: string; isReleasedIncluded: boolean; limit: number }): Promise<HeldChange[]> {
    return this.query(q);
  }

  async get(sha: string): Promise<HeldChange | undefined> {
    const [held] = await this.query({ sha, isReleasedIncluded: true, limit: 1 });
    return held;
  }
}
