/**
 * Promotions and their approvals in Postgres, the ledger facts their gates read (component_state
 * and the stage's desired history), token emails, and the engine's lease: a session advisory
 * lock on one reserved connection, so exactly one audit replica drives promotions.
 */
import type { Health, PromotionPlan } from '@driftless/contracts';
import { mapPgError, type Sql } from '@driftless/db';
import type { ReservedSql } from 'postgres';
import type { Approval, ComponentFacts, Pending } from '../core/promotion-gates.js';
import { factsKey } from '../core/promotion-gates.js';
import type { ComponentVersion, PromotionCommit, PromotionKind, PromotionStatus } from '../core/promotion.js';
import type { Role } from '../core/roles.js';
import type { Page } from '../ports.js';
import type {
  EngineLease,
  LedgerFacts,
  NewPromotion,
  PromotionChange,
  PromotionQuery,
  PromotionRecord,
  PromotionStore,
  TokenPeople,
} from '../promotion-ports.js';

/** Advisory lock key of the promotion engine (any constant unique to this purpose). */
export const PROMOTION_ENGINE_LOCK_KEY = 0x70726f6d6fn; // "promo"

interface PromotionRow {
  id: string;
  kind: PromotionKind;
  repo: string;
  stage: string;
  components: ComponentVersion[];
  clusters: string[] | null;
  selector: string | null;
  wave_size: number | null;
  wave_timeout_s: number;
  waves: string[][];
  requester_name: string;
  requester_email: string;
  reason: string | null;
  status: PromotionStatus;
  plan: PromotionPlan;
  pending: Pending[];
  commits: (Omit<PromotionCommit, 'at'> & { at: string })[];
  status_reason: string | null;
  decided_by: string | null;
  watcher_error: string | null;
  watcher_refusals: number;
  created_at: Date;
  updated_at: Date;
}

function toRecord(r: PromotionRow): PromotionRecord {
  return {
    id: r.id,
    kind: r.kind,
    repo: r.repo,
    stage: r.stage,
    components: r.components,
    clusters: r.clusters,
    selector: r.selector,
    waveSize: r.wave_size,
    waveTimeoutS: r.wave_timeout_s,
    waves: r.waves,
    requester: `token:${r.requester_name}`,
    requesterPerson: { name: r.requester_name, email: r.requester_email },
    reason: r.reason,
    status: r.status,
    plan: r.plan,
    pending: r.pending,
    commits: r.commits.map((c) => ({ ...c, at: new Date(c.at) })),
    statusReason: r.status_reason,
    decidedBy: r.decided_by,
    watcherError: r.watcher_error,
    watcherRefusals: r.watcher_refusals,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class PgPromotionStore implements PromotionStore, LedgerFacts, TokenPeople {
  constructor(
    private readonly sql: Sql,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapPgError(err);
    }
  }

  create(p: NewPromotion): Promise<PromotionRecord> {
    const { sql } = this;
    return this.run(async () => {
      const [row] = await sql<PromotionRow[]>`
        insert into promotions (id, kind, repo, stage, components, clusters, selector, wave_size, wave_timeout_s, waves,
          requester_name, requester_email, reason, status, plan, created_at, updated_at)
        values (${p.id}, ${p.kind}, ${p.repo}, ${p.stage}, ${sql.json(p.components as never)}, ${p.clusters}, ${p.selector}, ${p.waveSize}, ${p.waveTimeoutS},
          ${sql.json(p.waves)}, ${p.requesterPerson.name}, ${p.requesterPerson.email}, ${p.reason}, 'requested', ${sql.json(p.plan)},
          ${p.createdAt}, ${p.createdAt})
        returning *`;
      if (!row) throw new Error(`promotion ${p.id} vanished while being created`);
      return toRecord(row);
    });
  }

  get(id: string): Promise<PromotionRecord | undefined> {
    return this.run(async () => {
      const [row] = await this.sql<PromotionRow[]>`select * from promotions where id = ${id}`;
      return row ? toRecord(row) : undefined;
    });
  }

  list(q: PromotionQuery): Promise<Page<PromotionRecord, { createdAt: Date; id: string }>> {
    const { sql } = this;
    return this.run(async () => {
      const rows = await sql<PromotionRow[]>`
        select * from promotions
        where true
          ${q.status === undefined ? sql`` : sql`and status = ${q.status}`}
          ${q.stage === undefined ? sql`` : sql`and stage = ${q.stage}`}
          ${q.component === undefined ? sql`` : sql`and components @> ${sql.json([{ component: q.component }])}`}
          ${q.after === undefined ? sql`` : sql`and (created_at, id) < (${q.after.createdAt}, ${q.after.id})`}
        order by created_at desc, id desc
        limit ${q.limit + 1}`;
      const items = rows.slice(0, q.limit).map(toRecord);
      const last = items.at(-1);
      return { items, next: rows.length > q.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
    });
  }

  open(): Promise<PromotionRecord[]> {
    return this.run(async () => {
      const rows = await this.sql<PromotionRow[]>`
        select * from promotions where status in ('requested', 'waiting', 'committing') order by created_at, id`;
      return rows.map(toRecord);
    });
  }

  transition(id: string, from: readonly PromotionStatus[], c: PromotionChange): Promise<PromotionRecord | undefined> {
    const { sql } = this;
    return this.run(async () => {
      const [row] = await sql<PromotionRow[]>`
        update promotions set
          status = ${c.status ?? sql`status`},
          pending = ${c.pending === undefined ? sql`pending` : sql.json(c.pending as never)},
          commits = ${c.commits === undefined ? sql`commits` : sql.json(c.commits.map((x) => ({ ...x, at: x.at.toISOString() })))},
          status_reason = ${c.statusReason === undefined ? sql`status_reason` : c.statusReason},
          decided_by = ${c.decidedBy === undefined ? sql`decided_by` : c.decidedBy},
          watcher_error = ${c.watcherError === undefined ? sql`watcher_error` : c.watcherError},
          watcher_refusals = ${c.watcherRefusals ?? sql`watcher_refusals`},
          updated_at = ${this.now()}
        where id = ${id} and status = any(${[...from]}::text[])
        returning *`;
      return row ? toRecord(row) : undefined;
    });
  }

  approvals(id: string): Promise<Approval[]> {
    return this.run(async () => {
      const rows = await this.sql<{ approver: string; approver_role: Role; comment: string | null; approved_at: Date }[]>`
        select approver, approver_role, comment, approved_at from promotion_approvals where promotion_id = ${id} order by approved_at, approver`;
      return rows.map((r) => ({ approver: r.approver, role: r.approver_role, comment: r.comment, at: r.approved_at }));
    });
  }

  approvalsOf(ids: readonly string[]): Promise<Map<string, Approval[]>> {
    return this.run(async () => {
      const out = new Map<string, Approval[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return out;
      const rows = await this.sql<{ promotion_id: string; approver: string; approver_role: Role; comment: string | null; approved_at: Date }[]>`
        select promotion_id, approver, approver_role, comment, approved_at from promotion_approvals
        where promotion_id = any(${[...ids]}::text[]) order by approved_at, approver`;
      for (const r of rows) out.get(r.promotion_id)?.push({ approver: r.approver, role: r.approver_role, comment: r.comment, at: r.approved_at });
      return out;
    });
  }

  addApproval(id: string, from: readonly PromotionStatus[], a: Approval): Promise<'added' | 'duplicate' | 'closed'> {
    return this.run(() =>
      this.sql.begin(async (tx) => {
        // The row lock orders an approval against the engine's and a rejection's status changes.
        const [row] = await tx<{ status: PromotionStatus }[]>`select status from promotions where id = ${id} for update`;
        if (!row || !from.includes(row.status)) return 'closed' as const;
        const inserted = await tx`
          insert into promotion_approvals (promotion_id, approver, approver_role, comment, approved_at)
          values (${id}, ${a.approver}, ${a.role}, ${a.comment}, ${a.at})
          on conflict (promotion_id, approver) do nothing
          returning approver`;
        if (inserted.length === 0) return 'duplicate' as const;
        await tx`update promotions set updated_at = ${a.at} where id = ${id}`;
        return 'added' as const;
      }),
    );
  }

  componentFacts(pairs: readonly { cluster: string; component: string }[]): Promise<Map<string, ComponentFacts>> {
    return this.run(async () => {
      const facts = new Map<string, ComponentFacts>();
      if (pairs.length === 0) return facts;
      const rows = await this.sql<
        {
          cluster: string;
          component: string;
          applied_version: string | null;
          applied_at: Date | null;
          health: Health | null;
          health_at: Date | null;
          problem_kind: string | null;
          problem_reason: string | null;
          problem_at: Date | null;
          problem_version: string | null;
          problem_is_terminal: boolean | null;
        }[]
      >`
        select s.cluster, s.component, s.applied_version, s.applied_at, s.health, s.health_at,
               s.problem_kind, s.problem_reason, s.problem_at,
               t.detail->>'version' as problem_version, (t.detail->>'isTerminal')::boolean as problem_is_terminal
        from component_state s
        left join transitions t on t.seq = s.problem_seq
        where (s.cluster, s.component) in (
          select * from unnest(${pairs.map((p) => p.cluster)}::text[], ${pairs.map((p) => p.component)}::text[]))`;
      for (const r of rows) {
        facts.set(factsKey(r.cluster, r.component), {
          cluster: r.cluster,
          component: r.component,
          appliedVersion: r.applied_version,
          appliedAt: r.applied_at,
          health: r.health,
          healthAt: r.health_at,
          problem:
            r.problem_kind === null || r.problem_at === null
              ? null
              : { kind: r.problem_kind, reason: r.problem_reason ?? '', version: r.problem_version, isTerminal: r.problem_is_terminal ?? false, at: r.problem_at },
        });
      }
      return facts;
    });
  }

  stageHistory(stage: string, component: string): Promise<string[]> {
    return this.run(async () => {
      const rows = await this.sql<{ to_version: string }[]>`
        select to_version from transitions
        where kind = 'desired_changed' and stage = ${stage} and component = ${component} and to_version is not null
        order by occurred_at desc, seq desc
        limit 500`;
      return rows.map((r) => r.to_version);
    });
  }

  reposOf(component: string): Promise<string[]> {
    return this.run(async () => {
      const rows = await this.sql<{ repo: string }[]>`
        select distinct repo from component_state where component = ${component} and repo is not null and repo <> '' order by repo`;
      return rows.map((r) => r.repo);
    });
  }

  emailOf(tokenId: string): Promise<string | null> {
    return this.run(async () => {
      const [row] = await this.sql<{ email: string | null }[]>`select email from api_tokens where id = ${tokenId}`;
      return row?.email ?? null;
    });
  }
}

/** The engine's lease: a session advisory lock held on one reserved connection. */
export class PgEngineLease implements EngineLease {
  private conn: ReservedSql | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly key: bigint = PROMOTION_ENGINE_LOCK_KEY,
  ) {}

  async hold(): Promise<boolean> {
    if (this.conn) {
      try {
        await this.conn`select 1`;
        return true;
      } catch {
        // The connection (and with it the lock) is gone: try to take it again below.
        this.drop();
      }
    }
    let conn: ReservedSql | undefined;
    try {
      conn = await this.sql.reserve();
      const [row] = await conn<{ isLocked: boolean }[]>`select pg_try_advisory_lock(${this.key.toString()}::bigint) as "isLocked"`;
      if (row?.isLocked) {
        this.conn = conn;
        return true;
      }
      conn.release();
      return false;
    } catch (err) {
      conn?.release();
      throw mapPgError(err);
    }
  }

  private drop(): void {
    try {
      this.conn?.release();
    } catch {
      // Already broken.
    }
    this.conn = undefined;
  }

  async release(): Promise<void> {
    if (!this.conn) return;
    try {
      await this.conn`select pg_advisory_unlock(${this.key.toString()}::bigint)`;
    } catch {
      // Closing the session releases it anyway.
    }
    this.drop();
  }
}
