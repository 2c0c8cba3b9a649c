/**
 * Reading the audit ledger the benchmark's audit service writes: how many (cluster, component)
 * pairs have an `applied` row, and the per-cluster rows of one commit. `occurred_at` is the
 * event's own time (set by the agent or the watcher); `recorded_at` is when audit wrote the row.
 */
import type { Sql } from '@driftless/db';

export interface AppliedProgress {
  /** Distinct (cluster, component) pairs with at least one `applied` row. */
  pairs: number;
  lastOccurredAtMs: number | undefined;
  lastRecordedAtMs: number | undefined;
}

export interface CommitRow {
  cluster: string;
  kind: 'desired_changed' | 'applied';
  occurredAtMs: number;
  recordedAtMs: number;
}

export class Ledger {
  constructor(private readonly sql: Sql) {}

  async appliedProgress(): Promise<AppliedProgress> {
    const [row] = await this.sql<{ pairs: number; occurred: number | null; recorded: number | null }[]>`
      select count(distinct (cluster, component))::int as pairs,
             (extract(epoch from max(occurred_at)) * 1000)::float8 as occurred,
             (extract(epoch from max(recorded_at)) * 1000)::float8 as recorded
      from transitions where kind = 'applied'`;
    return { pairs: row?.pairs ?? 0, lastOccurredAtMs: row?.occurred ?? undefined, lastRecordedAtMs: row?.recorded ?? undefined };
  }

  /** The `desired_changed` and `applied` rows of one commit, one per cluster and kind (the first). */
  async commitRows(commitSha: string, component: string): Promise<CommitRow[]> {
    const rows = await this.sql<{ cluster: string; kind: CommitRow['kind']; occurred: number; recorded: number }[]>`
      select distinct on (cluster, kind) cluster, kind,
             (extract(epoch from occurred_at) * 1000)::float8 as occurred,
             (extract(epoch from recorded_at) * 1000)::float8 as recorded
      from transitions
      where commit_sha = ${commitSha} and component = ${component} and kind in ('desired_changed', 'applied')
      order by cluster, kind, seq`;
    return rows.map((r) => ({ cluster: r.cluster, kind: r.kind, occurredAtMs: r.occurred, recordedAtMs: r.recorded }));
  }

  async appliedCountForCommit(commitSha: string, component: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(distinct cluster)::int as n from transitions where commit_sha = ${commitSha} and component = ${component} and kind = 'applied'`;
    return row?.n ?? 0;
  }

  async rowsByKind(): Promise<Record<string, number>> {
    const rows = await this.sql<{ kind: string; n: number }[]>`select kind, count(*)::int as n from transitions group by kind order by kind`;
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  async totalRows(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`select count(*)::int as n from transitions`;
    return row?.n ?? 0;
  }
}
