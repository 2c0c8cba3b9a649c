/**
 * The read side of the audit API over Postgres. Every listing is keyset-paginated on an index
 * (never OFFSET), so page 1000 costs what page 1 costs; the inventory reads the derived
 * `component_state`, never the ledger.
 */
import { NotFoundError } from '@driftless/contracts';
import { mapPgError, type Sql } from '@driftless/db';
import type { PendingQuery, Row } from 'postgres';
import { EMPTY_TIP, type ChainTip } from '../core/chain.js';
import type { VersionAt } from '../core/diff.js';
import { AGENT_KINDS, DESIRED_KINDS, PROMOTION_KINDS, TransitionKind } from '../core/kinds.js';
import type { LedgerRow } from '../core/ledger.js';
import type { StageVersions } from '../core/skew.js';
import { stateKey, type Stamp } from '../core/state.js';
import { ChainVerifier } from '../core/verify.js';
import type {
  AuditQueries,
  ClusterQuery,
  ClusterSummary,
  CommitActivity,
  DeadLetterRecord,
  DiffBasis,
  InventoryCell,
  InventoryChanges,
  InventoryQuery,
  InventoryRow,
  Page,
  TransitionQuery,
  VerifyResult,
} from '../ports.js';
import { toComponentState, toLedgerRow, type DbRow } from './pg-rows.js';

const PREVIEW_BYTES = 512;

function and(sql: Sql, conditions: readonly PendingQuery<Row[]>[]): PendingQuery<Row[]> {
  if (conditions.length === 0) return sql`true`;
  return conditions.reduce((acc, c) => sql`${acc} and ${c}`);
}

function page<T, C>(rows: T[], limit: number, keyOf: (last: T) => C): Page<T, C> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, next: hasMore && last !== undefined ? keyOf(last) : null };
}

const n = (v: unknown): number => Number(v);

const PROMOTION_KIND_LIST = PROMOTION_KINDS.map((k) => `'${k}'`).join(', ');

/** How the inventory's SQL orders pairs and continues after a cursor. */
interface PairOrder {
  orderBy(): PendingQuery<Row[]>;
  after(cluster: string, component: string): PendingQuery<Row[]>;
}

export class PgAuditQueries implements AuditQueries {
  private order: Promise<PairOrder> | undefined;

  constructor(private readonly sql: Sql) {}

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapPgError(err);
    }
  }

  transitions(q: TransitionQuery): Promise<Page<LedgerRow, Stamp>> {
    const { sql } = this;
    return this.run(async () => {
      const where: PendingQuery<Row[]>[] = [];
      if (q.cluster !== undefined) where.push(sql`t.cluster = ${q.cluster}`);
      if (q.component !== undefined) where.push(sql`t.component = ${q.component}`);
      if (q.stage !== undefined) where.push(sql`t.stage = ${q.stage}`);
      if (q.actor !== undefined) where.push(sql`t.actor = ${q.actor}`);
      if (q.commitSha !== undefined) where.push(sql`t.commit_sha = ${q.commitSha}`);
      // The kinds as literals, exactly as the partial index transitions_promotion names them, so Postgres uses it.
      if (q.promotionId !== undefined) where.push(sql`t.kind in (${sql.unsafe(PROMOTION_KIND_LIST)}) and t.detail->>'promotionId' = ${q.promotionId}`);
      if (q.kinds !== undefined && q.kinds.length > 0) where.push(sql`t.kind = any(${[...q.kinds]}::text[])`);
      if (q.since !== undefined) where.push(sql`t.occurred_at >= ${q.since}`);
      if (q.until !== undefined) where.push(sql`t.occurred_at < ${q.until}`);
      if (q.app !== undefined) {
        // An app's history: every row about a (cluster, component) the app places now.
        where.push(sql`(t.cluster, t.component) in (select cluster, component from component_state where ${q.app} = any(apps))`);
      }
      if (q.after !== undefined) where.push(sql`(t.occurred_at, t.seq) < (${q.after.at}, ${q.after.seq})`);
      const rows = await sql<DbRow[]>`
        select t.* from transitions t where ${and(sql, where)}
        order by t.occurred_at desc, t.seq desc limit ${q.limit + 1}`;
      return page(rows.map(toLedgerRow), q.limit, (last) => ({ at: last.occurredAt, seq: last.seq }));
    });
  }

  inventory(q: InventoryQuery): Promise<Page<InventoryRow, { cluster: string; component: string }> & { stageVersions: StageVersions[] }> {
    const { sql } = this;
    return this.run(async () => {
      const order = await this.pairOrder();
      const rows = await sql<DbRow[]>`select s.* from component_state s where ${this.inventoryWhere(q, order)} order by ${order.orderBy()} limit ${q.limit + 1}`;
      const result = page(rows.map(toInventoryRow), q.limit, (last) => ({ cluster: last.state.cluster, component: last.state.component }));
      return { ...result, stageVersions: await this.stageVersions(result.items.map((r) => ({ stage: r.stage, component: r.state.component }))) };
    });
  }

  inventoryCells(q: InventoryQuery): Promise<Page<InventoryCell, { cluster: string; component: string }> & { stageVersions: StageVersions[] }> {
    const { sql } = this;
    return this.run(async () => {
      // Only the columns a cell shows, as arrays rather than objects and the five yes/no facts as one
      // number: a whole fleet is tens of thousands of rows, and decoding each value costs.
      const order = await this.pairOrder();
      const rows = await sql`
        select s.cluster, s.component, s.stage, s.desired_version, s.applied_version, s.health,
          coalesce(s.drift = 'Drifted', false)::int + s.is_removed::int * 2 + (s.problem_kind is not null)::int * 4 + (s.desired_at is not null)::int * 8
            + coalesce(s.desired_at is not null and s.applied_at is not null and coalesce(s.applied_hash, '') = s.desired_hash, false)::int * 16
        from component_state s where ${this.inventoryWhere(q, order)} order by ${order.orderBy()} limit ${q.limit + 1}`.values();
      const cells = rows.map((r): InventoryCell => {
        const flags = r[6] as number;
        return {
          cluster: r[0] as string,
          component: r[1] as string,
          stage: r[2] as string | null,
          desiredVersion: r[3] as string | null,
          appliedVersion: r[4] as string | null,
          health: r[5] as string | null,
          isDrifted: (flags & 1) !== 0,
          isRemoved: (flags & 2) !== 0,
          hasProblem: (flags & 4) !== 0,
          hasDesired: (flags & 8) !== 0,
          isAppliedDesired: (flags & 16) !== 0,
        };
      });
      const result = page(cells, q.limit, (last) => ({ cluster: last.cluster, component: last.component }));
      return { ...result, stageVersions: await this.stageVersions(result.items) };
    });
  }

  ledgerTip(): Promise<ChainTip> {
    return this.run(async () => {
      const [tip] = await this.sql<{ seq: string; hash: string }[]>`select seq, hash from transitions order by seq desc limit 1`;
      return tip ? { seq: n(tip.seq), hash: tip.hash } : EMPTY_TIP;
    });
  }

  inventoryChangesSince(known: ChainTip, upToSeq: number): Promise<InventoryChanges | null> {
    return this.run(async () => {
      // The known row's hash proves the slice continues the ledger the snapshot was read from; the
      // slice is a range scan of the primary key (seq is dense, so it holds upToSeq - known.seq rows).
      const rows = await this.sql<{ part: number; cluster: string | null; component: string | null; hash: string | null }[]>`
        select 0 as part, null::text as cluster, null::text as component, hash from transitions where seq = ${known.seq}
        union all
        select distinct 1, cluster, component, null::text from transitions where seq > ${known.seq} and seq <= ${upToSeq} and cluster is not null`;
      const knownRow = rows.find((r) => r.part === 0);
      if (known.seq === 0 ? known.hash !== EMPTY_TIP.hash : knownRow?.hash !== known.hash) return null;
      const clusters = new Set<string>();
      for (const r of rows) if (r.part === 1 && r.component === null && r.cluster !== null) clusters.add(r.cluster);
      const pairs: InventoryChanges['pairs'] = [];
      for (const r of rows) {
        if (r.part === 1 && r.cluster !== null && r.component !== null && !clusters.has(r.cluster)) pairs.push({ cluster: r.cluster, component: r.component });
      }
      return { pairs, clusters: [...clusters] };
    });
  }

  inventoryRowsOf(changes: InventoryChanges): Promise<InventoryRow[]> {
    const { sql } = this;
    return this.run(async () => {
      const rows = await sql<DbRow[]>`
        select s.* from component_state s where s.cluster = any(${changes.clusters}::text[])
        union all
        select s.* from unnest(${changes.pairs.map((p) => p.cluster)}::text[], ${changes.pairs.map((p) => p.component)}::text[]) as k(cluster, component)
        join component_state s on s.cluster = k.cluster and s.component = k.component`;
      return rows.map(toInventoryRow);
    });
  }

  allInventoryRows(limit: number): Promise<InventoryRow[]> {
    return this.run(async () => {
      const order = await this.pairOrder();
      const rows = await this.sql<DbRow[]>`select s.* from component_state s order by ${order.orderBy()} limit ${limit}`;
      return rows.map(toInventoryRow);
    });
  }

  /**
   * The inventory's order, (cluster, component) by code point whatever the database's collation,
   * so pages, cursors and the in-memory fleet snapshot agree everywhere. On a database that sorts
   * by code point already the plain columns are used, which the primary key index serves; on
   * another (`en_US.UTF-8` ignores hyphens at first) an explicit `collate "C"`, at the price of a
   * sort. Asked once per process.
   */
  private pairOrder(): Promise<PairOrder> {
    this.order ??= this.run(async () => {
      // to_jsonb: datlocprovider exists from Postgres 15 on; before it, the provider is always libc.
      const [db] = await this.sql<{ collate: string; provider: string | null }[]>`
        select datcollate as collate, to_jsonb(d) ->> 'datlocprovider' as provider from pg_database d where datname = current_database()`;
      const isCodePoint = db !== undefined && (db.provider === null || db.provider === 'c') && ['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(db.collate);
      const { sql } = this;
      const order: PairOrder = isCodePoint
        ? { orderBy: () => sql`s.cluster, s.component`, after: (cluster, component) => sql`(s.cluster, s.component) > (${cluster}, ${component})` }
        : { orderBy: () => sql`s.cluster collate "C", s.component collate "C"`, after: (cluster, component) => sql`(s.cluster collate "C", s.component collate "C") > (${cluster}, ${component})` };
      return order;
    }).catch((err: unknown) => {
      this.order = undefined;
      throw err;
    });
    return this.order;
  }

  private inventoryWhere(q: InventoryQuery, order: PairOrder): PendingQuery<Row[]> {
    const { sql } = this;
    const where: PendingQuery<Row[]>[] = [];
    if (q.cluster !== undefined) where.push(sql`s.cluster = ${q.cluster}`);
    if (q.component !== undefined) where.push(sql`s.component = ${q.component}`);
    if (q.stage !== undefined) where.push(sql`s.stage = ${q.stage}`);
    if (q.after !== undefined) where.push(order.after(q.after.cluster, q.after.component));
    return and(sql, where);
  }

  /** The distinct versions across each (stage, component) group the rows belong to. */
  private async stageVersions(rows: readonly { stage: string | null; component: string }[]): Promise<StageVersions[]> {
    const groups = new Map<string, { stage: string; component: string }>();
    for (const r of rows) if (r.stage !== null) groups.set(`${r.stage}/${r.component}`, { stage: r.stage, component: r.component });
    if (groups.size === 0) return [];
    const keys = [...groups.values()];
    // Reads the trigger-maintained summary: a few rows per group, however large the fleet.
    const result = await this.sql<{ stage: string; component: string; desired_versions: string[]; applied_versions: string[] }[]>`
      select k.stage, k.component,
        coalesce(array_agg(v.version) filter (where v.kind = 'desired'), '{}') as desired_versions,
        coalesce(array_agg(v.version) filter (where v.kind = 'applied'), '{}') as applied_versions
      from unnest(${keys.map((k) => k.stage)}::text[], ${keys.map((k) => k.component)}::text[]) as k(stage, component)
      join stage_versions v on v.stage = k.stage and v.component = k.component and v.clusters > 0
      group by 1, 2`;
    return result.map((r) => ({ stage: r.stage, component: r.component, desiredVersions: r.desired_versions, appliedVersions: r.applied_versions }));
  }

  statesOfComponent(component: string): Promise<InventoryRow[]> {
    return this.run(async () => {
      const rows = await this.sql<DbRow[]>`select s.* from component_state s where s.component = ${component} order by s.cluster`;
      return rows.map(toInventoryRow);
    });
  }

  pointOfCommit(sha: string): Promise<Stamp | null> {
    return this.run(async () => {
      const [row] = await this.sql<{ occurred_at: Date; seq: string }[]>`
        select occurred_at, seq from transitions where commit_sha = ${sha} order by occurred_at desc, seq desc limit 1`;
      return row ? { at: row.occurred_at, seq: n(row.seq) } : null;
    });
  }

  snapshotAt(cluster: string, point: Stamp, basis: DiffBasis): Promise<Map<string, VersionAt>> {
    const kinds = basis === 'desired' ? DESIRED_KINDS : [TransitionKind.applied];
    return this.run(async () => {
      // One index probe per component of the cluster instead of scanning the cluster's whole history.
      const rows = await this.sql<{ component: string; kind: string; to_version: string | null; to_hash: string | null; commit_sha: string | null }[]>`
        select s.component, t.kind, t.to_version, t.to_hash, t.commit_sha
        from component_state s
        cross join lateral (
          select kind, to_version, to_hash, commit_sha from transitions t
          where t.cluster = s.cluster and t.component = s.component and t.kind = any(${[...kinds]}::text[])
            and (t.occurred_at, t.seq) <= (${point.at}, ${point.seq})
          order by t.occurred_at desc, t.seq desc limit 1
        ) t
        where s.cluster = ${cluster}`;
      return new Map(
        rows.map((r) => [
          r.component,
          { version: r.to_version, hash: r.to_hash, commitSha: r.commit_sha, isRemoved: r.kind === TransitionKind.desiredRemoved },
        ]),
      );
    });
  }

  commitActivity(sha: string): Promise<CommitActivity> {
    const { sql } = this;
    return this.run(async () => {
      const [commit] = await sql<DbRow[]>`select * from commits where sha = ${sha}`;
      const rows = (await sql<DbRow[]>`select * from transitions where commit_sha = ${sha} order by seq`).map(toLedgerRow);
      const changes = rows.filter((r) => DESIRED_KINDS.includes(r.kind) && r.cluster !== null && r.component !== null);
      const currentDesiredHash = new Map<string, string | null>();
      let reports: LedgerRow[] = [];
      if (changes.length > 0) {
        const clusters = changes.map((c) => c.cluster ?? '');
        const components = changes.map((c) => c.component ?? '');
        const hashes = changes.map((c) => c.toHash ?? '');
        reports = (
          await sql<DbRow[]>`
            select t.* from unnest(${clusters}::text[], ${components}::text[], ${hashes}::text[]) as k(cluster, component, hash)
            join transitions t on t.cluster = k.cluster and t.component = k.component and t.to_hash = k.hash
            where t.kind = any(${[...AGENT_KINDS]}::text[])
            order by t.seq`
        ).map(toLedgerRow);
        const states = await sql<{ cluster: string; component: string; desired_hash: string | null }[]>`
          select s.cluster, s.component, s.desired_hash from component_state s
          join unnest(${clusters}::text[], ${components}::text[]) as k(cluster, component) on s.cluster = k.cluster and s.component = k.component`;
        for (const s of states) currentDesiredHash.set(stateKey(s.cluster, s.component), s.desired_hash);
      }
      return {
        commit: commit
          ? {
              sha: String(commit['sha']),
              repo: String(commit['repo']),
              authorName: String(commit['author_name']),
              authorEmail: String(commit['author_email']),
              committerName: String(commit['committer_name']),
              committerEmail: String(commit['committer_email']),
              message: String(commit['message']),
              committedAt: commit['committed_at'] as Date,
            }
          : null,
        rows,
        reports,
        currentDesiredHash,
      };
    });
  }

  clusters(q: ClusterQuery): Promise<Page<ClusterSummary, string>> {
    const { sql } = this;
    return this.run(async () => {
      const where: PendingQuery<Row[]>[] = [];
      if (q.stage !== undefined) where.push(sql`c.stage = ${q.stage}`);
      if (q.after !== undefined) where.push(sql`c.name > ${q.after}`);
      const rows = await sql<DbRow[]>`select c.* from clusters c where ${and(sql, where)} order by c.name limit ${q.limit + 1}`;
      const result = page(rows, q.limit, (last) => String(last['name']));
      return { items: await this.summaries(result.items), next: result.next };
    });
  }

  cluster(name: string): Promise<ClusterSummary | null> {
    return this.run(async () => {
      const rows = await this.sql<DbRow[]>`select * from clusters where name = ${name}`;
      const [summary] = await this.summaries(rows);
      return summary ?? null;
    });
  }

  private async summaries(clusters: readonly DbRow[]): Promise<ClusterSummary[]> {
    if (clusters.length === 0) return [];
    const names = clusters.map((c) => String(c['name']));
    const counts = await this.sql<{ cluster: string; health: string; total: string; drifted: string; failing: string }[]>`
      select cluster, coalesce(health, 'Unknown') as health, count(*) as total,
        count(*) filter (where drift = 'Drifted') as drifted, count(*) filter (where problem_kind is not null) as failing
      from component_state where cluster = any(${names}::text[]) and not is_removed
      group by 1, 2`;
    return clusters.map((c) => {
      const mine = counts.filter((r) => r.cluster === c['name']);
      const byHealth: Record<string, number> = { Healthy: 0, Progressing: 0, Degraded: 0, Missing: 0, Unknown: 0 };
      for (const r of mine) byHealth[r.health] = (byHealth[r.health] ?? 0) + n(r.total);
      return {
        name: String(c['name']),
        stage: (c['stage'] as string | null) ?? null,
        labels: (c['labels'] as Record<string, string> | null) ?? {},
        registeredAt: (c['registered_at'] as Date | null) ?? null,
        revokedAt: (c['revoked_at'] as Date | null) ?? null,
        lastHeartbeatAt: (c['last_heartbeat_at'] as Date | null) ?? null,
        agentVersion: (c['agent_version'] as string | null) ?? null,
        componentCount: mine.reduce((sum, r) => sum + n(r.total), 0),
        byHealth,
        driftedCount: mine.reduce((sum, r) => sum + n(r.drifted), 0),
        failingCount: mine.reduce((sum, r) => sum + n(r.failing), 0),
      };
    });
  }

  deadLetters(q: { limit: number; afterId?: number }): Promise<Page<DeadLetterRecord, number>> {
    return this.run(async () => {
      const rows = await this.sql<DbRow[]>`
        select id, event_id, subject, stream_seq, reason, received_at, length(payload) as bytes, substring(payload from 1 for ${PREVIEW_BYTES}) as preview
        from dead_letters where id > ${q.afterId ?? 0} order by id limit ${q.limit + 1}`;
      const records = rows.map(
        (r): DeadLetterRecord => ({
          id: n(r['id']),
          eventId: (r['event_id'] as string | null) ?? null,
          subject: String(r['subject']),
          streamSeq: r['stream_seq'] === null ? null : n(r['stream_seq']),
          reason: String(r['reason']),
          receivedAt: r['received_at'] as Date,
          payloadBytes: n(r['bytes']),
          payloadPreview: new TextDecoder('utf-8', { fatal: false }).decode(r['preview'] as Uint8Array),
        }),
      );
      return page(records, q.limit, (last) => last.id);
    });
  }

  verify(options: { fromSeq?: number; limit?: number }): Promise<VerifyResult> {
    const { sql } = this;
    const fromSeq = Math.max(1, options.fromSeq ?? 1);
    return this.run(async () => {
      let start: ChainTip = EMPTY_TIP;
      if (fromSeq > 1) {
        const [prior] = await sql<{ seq: string; hash: string }[]>`select seq, hash from transitions where seq = ${fromSeq - 1}`;
        if (!prior) throw new NotFoundError(`ledger row ${fromSeq - 1} does not exist: cannot verify from row ${fromSeq}`);
        start = { seq: n(prior.seq), hash: prior.hash };
      }
      const verifier = new ChainVerifier(start);
      const limit = options.limit ?? Number.MAX_SAFE_INTEGER;
      // A server-side cursor: rows arrive in chunks, and stopping early cancels the rest.
      const cursor = sql<DbRow[]>`select * from transitions where seq >= ${fromSeq} order by seq`.cursor(2_000);
      outer: for await (const rows of cursor) {
        for (const row of rows) {
          if (verifier.checkedRows >= limit || !verifier.push(toLedgerRow(row))) break outer;
        }
      }
      return {
        isIntact: verifier.firstBreak === null,
        checkedRows: verifier.checkedRows,
        firstSeq: verifier.firstSeq,
        lastSeq: verifier.checkedRows === 0 ? null : verifier.firstBreak ? verifier.firstBreak.seq : verifier.tip.seq,
        tipHash: verifier.checkedRows === 0 || verifier.firstBreak ? null : verifier.tip.hash,
        firstBreak: verifier.firstBreak,
      };
    });
  }
}

function toInventoryRow(r: DbRow): InventoryRow {
  return { state: toComponentState(r), stage: (r['stage'] as string | null) ?? null };
}
