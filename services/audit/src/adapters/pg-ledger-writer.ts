/**
 * Writes ingest batches to Postgres: one transaction per batch holding the ledger's advisory
 * lock, so every writer (even several audit replicas) appends to one linear chain. Redeliveries
 * are recognised by event id and skipped; the derived component state is folded in the same
 * transaction, so it never disagrees with the ledger it came from.
 */
import { mapPgError, type Sql } from '@driftless/db';
import type { JSONValue, TransactionSql } from 'postgres';
import { planBatch, type BatchPlan } from '../core/batch.js';
import { EMPTY_TIP, type ChainTip } from '../core/chain.js';
import type { LedgerRow } from '../core/ledger.js';
import { foldAll, stateKey, type ComponentState } from '../core/state.js';
import type { IngestBatch, LedgerWriter, WriteResult } from '../ports.js';
import { LEDGER_COLUMNS, LEDGER_RECORD_TYPES, STATE_COLUMNS, STATE_RECORD_TYPES, ledgerRecord, stateRecord, toComponentState, toLedgerRow } from './pg-rows.js';

/** Advisory lock key of the ledger's single-writer order (any constant unique to this purpose). */
export const LEDGER_LOCK_KEY = 0x6175646974n; // "audit"

/** Rows per INSERT statement; keeps each JSON parameter a modest size. */
const CHUNK_ROWS = 2_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function lockLedger(tx: TransactionSql): Promise<void> {
  await tx`select pg_advisory_xact_lock(${LEDGER_LOCK_KEY.toString()}::bigint)`;
}

export async function readTip(tx: TransactionSql | Sql): Promise<ChainTip> {
  const [tip] = await tx<{ seq: string; hash: string }[]>`select seq, hash from transitions order by seq desc limit 1`;
  return tip ? { seq: Number(tip.seq), hash: tip.hash } : EMPTY_TIP;
}

async function insertLedger(tx: TransactionSql, rows: readonly LedgerRow[]): Promise<void> {
  const columns = tx.unsafe(LEDGER_COLUMNS.join(', '));
  for (const chunk of chunks(rows, CHUNK_ROWS)) {
    const inserted = await tx`
      insert into transitions (${columns})
      select ${columns} from json_to_recordset(${tx.json(chunk.map(ledgerRecord) as unknown as JSONValue)}::json) as r(${tx.unsafe(LEDGER_RECORD_TYPES)})
      on conflict (event_id) do nothing`;
    // Under the lock nothing else can have inserted these ids; a skipped row would leave a gap in the chain.
    if (inserted.count !== chunk.length) throw new Error(`ledger insert wrote ${inserted.count} of ${chunk.length} rows: another writer bypassed the ledger lock`);
  }
}

async function writeDimensions(tx: TransactionSql, plan: BatchPlan, now: Date): Promise<void> {
  const at = now.toISOString();
  if (plan.clusters.size > 0) {
    const records = [...plan.clusters].map(([name, stage]) => ({ name, stage }));
    await tx`
      insert into clusters (name, stage, first_seen_at)
      select name, stage, ${at}::timestamptz from json_to_recordset(${tx.json(records)}::json) as r(name text, stage text)
      on conflict (name) do update set stage = excluded.stage
      where clusters.stage is null and excluded.stage is not null`;
  }
  for (const r of plan.registrations) {
    // The newest registration wins; a revocation older than it no longer applies.
    await tx`
      update clusters set stage = ${r.stage}, labels = ${tx.json(r.labels)}, registered_at = ${r.at},
        revoked_at = case when revoked_at < ${r.at} then null else revoked_at end
      where name = ${r.cluster} and (registered_at is null or registered_at <= ${r.at})`;
    // Pairs the repository never placed take their cluster's stage.
    await tx`update component_state set stage = ${r.stage} where cluster = ${r.cluster} and placement_at is null and stage is distinct from ${r.stage}`;
  }
  for (const r of plan.revocations) {
    await tx`
      update clusters set revoked_at = ${r.at}
      where name = ${r.cluster} and (registered_at is null or registered_at <= ${r.at}) and (revoked_at is null or revoked_at < ${r.at})`;
  }
  for (const hb of plan.heartbeats) {
    await tx`
      update clusters set last_heartbeat_at = ${hb.at}, agent_version = ${hb.agentVersion}
      where name = ${hb.cluster} and (last_heartbeat_at is null or last_heartbeat_at < ${hb.at})`;
  }
  if (plan.components.size > 0) {
    await tx`insert into components (name, first_seen_at) select unnest(${[...plan.components]}::text[]), ${at}::timestamptz on conflict do nothing`;
  }
  if (plan.apps.size > 0) {
    await tx`insert into apps (name, first_seen_at) select unnest(${[...plan.apps]}::text[]), ${at}::timestamptz on conflict do nothing`;
  }
  if (plan.commits.size > 0) {
    const records = [...plan.commits.values()].map((c) => ({
      sha: c.sha,
      repo: c.repo,
      author_name: c.author.name,
      author_email: c.author.email,
      committer_name: c.committer.name,
      committer_email: c.committer.email,
      message: c.message,
      committed_at: c.time,
    }));
    await tx`
      insert into commits (sha, repo, author_name, author_email, committer_name, committer_email, message, committed_at, first_seen_at)
      select r.*, ${at}::timestamptz from json_to_recordset(${tx.json(records)}::json) as r(sha text, repo text, author_name text,
        author_email text, committer_name text, committer_email text, message text, committed_at timestamptz)
      on conflict (sha) do nothing`;
  }
}

/** Loads the current states of the given pairs. */
export async function loadStates(tx: TransactionSql | Sql, pairs: readonly { cluster: string; component: string }[]): Promise<Map<string, ComponentState>> {
  const states = new Map<string, ComponentState>();
  if (pairs.length === 0) return states;
  const rows = await tx`
    select s.* from component_state s
    join unnest(${pairs.map((p) => p.cluster)}::text[], ${pairs.map((p) => p.component)}::text[]) as k(cluster, component)
      on s.cluster = k.cluster and s.component = k.component`;
  for (const row of rows) {
    const state = toComponentState(row);
    states.set(stateKey(state.cluster, state.component), state);
  }
  return states;
}

/** Inserts or replaces whole state rows. */
export async function upsertStates(tx: TransactionSql, states: readonly ComponentState[], clusterStages: ReadonlyMap<string, string | null>): Promise<void> {
  const columns = tx.unsafe(STATE_COLUMNS.join(', '));
  const updates = tx.unsafe(STATE_COLUMNS.filter((c) => c !== 'cluster' && c !== 'component').map((c) => `${c} = excluded.${c}`).join(', '));
  for (const chunk of chunks(states, CHUNK_ROWS)) {
    const records = chunk.map((s) => stateRecord(s, clusterStages.get(s.cluster) ?? null));
    await tx`
      insert into component_state (${columns})
      select ${columns} from json_to_recordset(${tx.json(records as unknown as JSONValue)}::json) as r(${tx.unsafe(STATE_RECORD_TYPES)})
      on conflict (cluster, component) do update set ${updates}`;
  }
}

async function clusterStages(tx: TransactionSql, names: readonly string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await tx<{ name: string; stage: string | null }[]>`select name, stage from clusters where name = any(${names}::text[])`;
  return new Map(rows.filter((r) => r.stage !== null).map((r) => [r.name, r.stage as string]));
}

export class PgLedgerWriter implements LedgerWriter {
  constructor(
    private readonly sql: Sql,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async write(batch: IngestBatch): Promise<WriteResult> {
    try {
      return await this.sql.begin((tx) => this.writeIn(tx, batch));
    } catch (err) {
      throw mapPgError(err);
    }
  }

  private async writeIn(tx: TransactionSql, batch: IngestBatch): Promise<WriteResult> {
    await lockLedger(tx);
    const ids = batch.events.map((e) => e.id);
    const recorded = new Set(
      ids.length === 0 ? [] : (await tx<{ event_id: string }[]>`select event_id from transitions where event_id = any(${ids}::text[])`).map((r) => r.event_id),
    );
    const named = new Set<string>();
    for (const e of batch.events) {
      const cluster = (e.data as { cluster?: unknown }).cluster;
      if (typeof cluster === 'string') named.add(cluster);
    }
    const knownStages = await clusterStages(tx, [...named]);
    const tip = await readTip(tx);
    const now = this.now();
    const plan = planBatch(batch.events, { isRecorded: (id) => recorded.has(id), knownStages, tip, recordedAt: now });

    await writeDimensions(tx, plan, now);
    if (plan.rows.length > 0) {
      await insertLedger(tx, plan.rows);
      const pairs = new Map<string, { cluster: string; component: string }>();
      for (const row of plan.rows) {
        if (row.cluster !== null && row.component !== null) pairs.set(stateKey(row.cluster, row.component), { cluster: row.cluster, component: row.component });
      }
      const current = await loadStates(tx, [...pairs.values()]);
      const touched = foldAll(current, plan.rows);
      if (touched.size > 0) {
        const stages = new Map<string, string | null>(knownStages);
        for (const [name, stage] of plan.clusters) if (stage !== null) stages.set(name, stage);
        await upsertStates(tx, [...touched.values()], stages);
      }
    }
    for (const dl of batch.deadLetters) {
      await tx`
        insert into dead_letters (dedup_key, event_id, subject, stream_seq, reason, payload, received_at)
        values (${dl.dedupKey}, ${dl.eventId}, ${dl.subject}, ${dl.streamSeq}, ${dl.reason}, ${Buffer.from(dl.payload)}, ${now})
        on conflict (dedup_key) do nothing`;
    }
    const last = plan.rows.at(-1);
    return {
      recorded: plan.rows.length,
      duplicates: plan.duplicates,
      heartbeats: plan.heartbeats.length,
      deadLettered: batch.deadLetters.length,
      tip: last ? { seq: last.seq, hash: last.hash } : tip,
    };
  }
}

/**
 * Recomputes `component_state` from the ledger alone (under the ledger lock, so ingest waits),
 * streaming the ledger in (cluster, component, time) order so memory stays bounded.
 * Proves the state is derived: the result must equal what ingest maintained.
 */
export async function rebuildComponentState(sql: Sql, options: { chunkRows?: number } = {}): Promise<number> {
  const chunkRows = options.chunkRows ?? 5_000;
  try {
    return await sql.begin(async (tx) => {
      await lockLedger(tx);
      await tx`delete from component_state`;
      const stageRows = await tx<{ name: string; stage: string | null }[]>`select name, stage from clusters`;
      const stages = new Map(stageRows.map((r) => [r.name, r.stage]));
      let pending = new Map<string, ComponentState>();
      let count = 0;
      // Rows come grouped by pair, so only the pair of the last row read can continue in the next chunk.
      const flush = async (keep: string | undefined) => {
        const carried = keep === undefined ? undefined : pending.get(keep);
        if (carried) pending.delete(keep as string);
        if (pending.size > 0) await upsertStates(tx, [...pending.values()], stages);
        count += pending.size;
        pending = carried ? new Map([[keep as string, carried]]) : new Map<string, ComponentState>();
      };
      const cursor = tx`
        select * from transitions
        where cluster is not null and component is not null
        order by cluster, component, occurred_at, seq`.cursor(chunkRows);
      for await (const rows of cursor) {
        const ledgerRows = rows.map(toLedgerRow);
        const folded = foldAll(pending, ledgerRows);
        for (const [key, state] of folded) pending.set(key, state);
        const last = ledgerRows.at(-1);
        if (pending.size >= chunkRows && last) await flush(stateKey(last.cluster ?? '', last.component ?? ''));
      }
      await flush(undefined);
      return count;
    });
  } catch (err) {
    throw mapPgError(err);
  }
}
