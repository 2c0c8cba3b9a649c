/**
 * Writes ingest batches to Postgres: one transaction per batch holding the ledger's advisory
 * lock, so every writer (even several audit replicas) appends to one linear chain. Redeliveries
 * are recognised by event id and skipped; the derived component state is folded in the same
 * transaction, so it never disagrees with the ledger it came from.
 *
 * Throughput comes from doing little per event: reads in one pipelined round trip, the ledger and
 * the folded states through COPY, one statement per table per batch, and the next batch planned
 * in Node while Postgres stores the current one.
 */
import { createHash } from 'node:crypto';
import { mapPgError, type Sql } from '@driftless/db';
import type { JSONValue, TransactionSql } from 'postgres';
import { planBatch, type BatchPlan } from '../core/batch.js';
import { EMPTY_TIP, type ChainTip } from '../core/chain.js';
import type { LedgerRow } from '../core/ledger.js';
import { foldAll, stateKey, type ComponentState } from '../core/state.js';
import type { DeadLetter, IngestBatch, LedgerWriter, WriteResult } from '../ports.js';
import { copyField, copyRecords, startCopy } from './pg-copy.js';
import { LEDGER_COLUMNS, STATE_COLUMNS, STATE_RECORD_TYPES, stateRecord, toComponentState, toLedgerRow, type DbRow } from './pg-rows.js';

/** Advisory lock key of the ledger's single-writer order (any constant unique to this purpose). */
export const LEDGER_LOCK_KEY = 0x6175646974n; // "audit"

/** Rows per INSERT statement; keeps each JSON parameter a modest size. */
const CHUNK_ROWS = 2_000;

/** States kept in memory between batches; beyond this the cache starts over (a fleet of 100 × 1000 fits). */
const MAX_CACHED_STATES = 100_000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const sameTip = (a: ChainTip | undefined, b: ChainTip): boolean => a !== undefined && a.seq === b.seq && a.hash === b.hash;

export async function lockLedger(tx: TransactionSql): Promise<void> {
  await tx`select pg_advisory_xact_lock(${LEDGER_LOCK_KEY.toString()}::bigint)`;
}

export async function readTip(tx: TransactionSql | Sql): Promise<ChainTip> {
  const [tip] = await tx<{ seq: string; hash: string }[]>`select seq, hash from transitions order by seq desc limit 1`;
  return tip ? { seq: Number(tip.seq), hash: tip.hash } : EMPTY_TIP;
}

/**
 * The ledger rows as COPY text, columns in `LEDGER_COLUMNS` order. Plain COPY, no ON CONFLICT:
 * under the lock the ids were checked, so a duplicate at insert time means another writer bypassed
 * the lock, and the unique index then refuses the whole batch (no gap, no fork in the chain).
 */
function ledgerCopyText(rows: readonly LedgerRow[]): string {
  // One timestamp text per batch: every row of a batch shares its recorded_at.
  let recordedAtMs = Number.NaN;
  let recordedAt = '';
  let out = '';
  // Field by field into one string: no array per row, as this runs for every event ingested.
  for (const r of rows) {
    if (r.recordedAt.getTime() !== recordedAtMs) {
      recordedAtMs = r.recordedAt.getTime();
      recordedAt = r.recordedAt.toISOString();
    }
    out +=
      r.seq + '\t' + copyField(r.eventId) + '\t' + r.kind + '\t' + r.occurredAt.toISOString() + '\t' + recordedAt +
      '\t' + copyField(r.cluster) + '\t' + copyField(r.component) + '\t' + copyField(r.stage) + '\t' + copyField(r.repo) + '\t' + copyField(r.apps) +
      '\t' + copyField(r.fromVersion) + '\t' + copyField(r.toVersion) + '\t' + copyField(r.fromHash) + '\t' + copyField(r.toHash) +
      '\t' + copyField(r.commitSha) + '\t' + copyField(r.actor) + '\t' + copyField(r.traceId) + '\t' + copyField(r.source) + '\t' + copyField(r.subject) +
      '\t' + copyField(JSON.stringify(r.detail)) + '\t' + r.prevHash + '\t' + r.hash + '\n';
  }
  return out;
}

/** Writes what the batch tells about clusters, components, apps and commits: one statement per table. */
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
  if (plan.heartbeats.length > 0) {
    // Newest wins: a late heartbeat never moves the time back.
    const records = plan.heartbeats.map((hb) => ({ cluster: hb.cluster, at: hb.at.toISOString(), agent_version: hb.agentVersion }));
    await tx`
      update clusters c set last_heartbeat_at = r.at, agent_version = r.agent_version
      from json_to_recordset(${tx.json(records)}::json) as r(cluster text, at timestamptz, agent_version text)
      where c.name = r.cluster and (c.last_heartbeat_at is null or c.last_heartbeat_at < r.at)`;
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

/** Inserts or replaces whole state rows (records from `stateRecord`). */
export async function upsertStates(tx: TransactionSql, records: readonly DbRow[]): Promise<void> {
  const columns = tx.unsafe(STATE_COLUMNS.join(', '));
  for (const chunk of chunks(records, CHUNK_ROWS)) {
    await tx`
      insert into component_state (${columns})
      select ${columns} from json_to_recordset(${tx.json(chunk as unknown as JSONValue)}::json) as r(${tx.unsafe(STATE_RECORD_TYPES)})
      on conflict (cluster, component) do update set ${tx.unsafe(STATE_UPDATES)}`;
  }
}

const STATE_UPDATES = STATE_COLUMNS.filter((c) => c !== 'cluster' && c !== 'component')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

/**
 * A per-session staging table for COPY: Postgres parses COPY text for about half of what
 * `json_to_recordset` costs, and an upsert cannot COPY directly. Emptied at every commit. Its name
 * carries the column list, so a session that outlives a migration of `component_state` makes a
 * new one instead of copying into a table without the new column.
 */
const STATE_STAGING = `audit_state_staging_${createHash('sha256').update(STATE_COLUMNS.join(',')).digest('hex').slice(0, 12)}`;
const CREATE_STATE_STAGING = `create temp table if not exists ${STATE_STAGING} (like component_state) on commit delete rows`;

/** Upserts the records through the staging table (COPY, then one statement); resolves once the upsert is sent. */
async function stageStates(tx: TransactionSql, records: readonly DbRow[]): Promise<{ applied: Promise<unknown> }> {
  const copy = await startCopy(tx, STATE_STAGING, STATE_COLUMNS, copyRecords(records, STATE_COLUMNS));
  await copy.stored;
  const columns = STATE_COLUMNS.join(', ');
  const applied = tx.unsafe(`insert into component_state (${columns}) select ${columns} from ${STATE_STAGING} on conflict (cluster, component) do update set ${STATE_UPDATES}`).execute();
  return { applied: Promise.resolve(applied) };
}

async function clusterStages(tx: TransactionSql, names: readonly string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const rows = await tx<{ name: string; stage: string | null }[]>`select name, stage from clusters where name = any(${names}::text[])`;
  return new Map(rows.filter((r) => r.stage !== null).map((r) => [r.name, r.stage as string]));
}

/** A batch handed to `write`, waiting for its turn. */
interface Pending {
  batch: IngestBatch;
  prepared: Prepared | null;
  isPrepared: boolean;
}

/** A batch planned before its turn, against the tip and stages the batch before it should leave. */
interface Prepared {
  plan: BatchPlan;
  /** The tip the plan chains onto. */
  tip: ChainTip;
  /** The stage assumed for every cluster the batch names (undefined: none known). */
  stages: Map<string, string | undefined>;
  /** The ledger rows as COPY text, once encoded (a second step, done in another wait). */
  copy: string | undefined;
}

function namedClusters(events: IngestBatch['events']): { clusters: Set<string>; pairs: Map<string, { cluster: string; component: string }> } {
  const clusters = new Set<string>();
  const pairs = new Map<string, { cluster: string; component: string }>();
  for (const e of events) {
    const { cluster, component } = e.data as { cluster?: unknown; component?: unknown };
    if (typeof cluster !== 'string') continue;
    clusters.add(cluster);
    if (typeof component === 'string') pairs.set(stateKey(cluster, component), { cluster, component });
  }
  return { clusters, pairs };
}

/**
 * Writes batches in the order `write` is called, one transaction each. `write` may be called
 * again before the previous call resolved: the next batch is then chained and encoded while
 * Postgres stores the previous one, and written right after it. That plan is speculative: under
 * the lock it is used only if the tip, the stages and the absence of duplicates it assumed are
 * what the database holds, and is computed again otherwise (another replica wrote, a batch
 * failed), so the chain is exactly what one batch at a time would have written.
 *
 * The states this writer committed are kept in memory and trusted only while the ledger tip is
 * the one its own last commit left: any other writer in between means reading them again.
 */
export class PgLedgerWriter implements LedgerWriter {
  /** The tip the last prepared batch will leave, if it commits; unknown after a failure. */
  private expectedTip: ChainTip | undefined;
  /** Stages of clusters as the last commit left them. */
  private readonly stages = new Map<string, string>();
  /** Component states as this writer's last commit left them, valid while the tip is `statesTip`. */
  private readonly states = new Map<string, ComponentState>();
  private statesTip: ChainTip | undefined;
  /** Batches handed to `write` and not yet settled, oldest first. */
  private readonly pending: Pending[] = [];
  private turn: Promise<void> = Promise.resolve();
  /** Batches whose speculative plan was used / had to be computed again (for the benchmark). */
  readonly speculation = { reused: 0, replanned: 0 };

  constructor(
    private readonly sql: Sql,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async write(batch: IngestBatch): Promise<WriteResult> {
    const entry: Pending = { batch, prepared: null, isPrepared: false };
    this.pending.push(entry);
    const previous = this.turn;
    let done = () => {};
    this.turn = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      const { result, touched } = await this.sql.begin((tx) => this.writeIn(tx, entry));
      // Committed: the cache now matches the database.
      if (this.states.size + touched.size > MAX_CACHED_STATES) this.states.clear();
      for (const [key, state] of touched) this.states.set(key, state);
      this.statesTip = result.tip;
      return result;
    } catch (err) {
      // Batches prepared after this one chained onto rows that do not exist: they will be planned again.
      this.expectedTip = undefined;
      this.statesTip = undefined;
      throw mapPgError(err);
    } finally {
      this.pending.splice(this.pending.indexOf(entry), 1);
      done();
    }
  }

  private prepare(batch: IngestBatch): Prepared | null {
    const tip = this.expectedTip;
    if (tip === undefined || batch.events.length === 0) return null;
    const stages = new Map<string, string | undefined>();
    for (const name of namedClusters(batch.events).clusters) stages.set(name, this.stages.get(name));
    const known = new Map<string, string>();
    for (const [name, stage] of stages) if (stage !== undefined) known.set(name, stage);
    const plan = planBatch(batch.events, { isRecorded: () => false, knownStages: known, tip, recordedAt: this.now() });
    const last = plan.rows.at(-1);
    if (last) this.expectedTip = { seq: last.seq, hash: last.hash };
    return { plan, tip, stages, copy: undefined };
  }

  /**
   * Plans the batches waiting behind `current`, and with `isEncoding` also encodes their COPY
   * text (called while Postgres is busy with `current`: planning during its ledger COPY, encoding
   * during its state upsert, so neither wait alone has to hold all of the work).
   */
  private prepareWaiting(current: Pending, isEncoding: boolean): void {
    for (const later of this.pending.slice(this.pending.indexOf(current) + 1)) {
      if (!later.isPrepared) {
        later.prepared = this.prepare(later.batch);
        later.isPrepared = true;
      }
      if (isEncoding && later.prepared && later.prepared.copy === undefined) later.prepared.copy = ledgerCopyText(later.prepared.plan.rows);
    }
  }

  /** After a batch was planned again: the batches queued behind it chain onto what it really writes. */
  private resync(current: Pending, tip: ChainTip): void {
    this.expectedTip = tip;
    for (const later of this.pending.slice(this.pending.indexOf(current) + 1)) later.isPrepared = false;
  }

  /** What the clusters table holds once this batch commits, as far as it tells (anything unsure is forgotten). */
  private learnStages(knownStages: ReadonlyMap<string, string>, plan: BatchPlan): void {
    if (this.stages.size > MAX_CACHED_STATES) this.stages.clear();
    for (const [name, stage] of knownStages) this.stages.set(name, stage);
    for (const [name, stage] of plan.clusters) if (stage !== null && !knownStages.has(name)) this.stages.set(name, stage);
    for (const r of plan.registrations) this.stages.delete(r.cluster);
  }

  /** Current states of `pairs`: from memory where the cache is still valid, else from the table. */
  private async currentStates(tx: TransactionSql, pairs: Map<string, { cluster: string; component: string }>, tip: ChainTip, loaded: Map<string, ComponentState>, isCacheTrusted: boolean): Promise<Map<string, ComponentState>> {
    if (!isCacheTrusted) return loaded;
    if (!sameTip(this.statesTip, tip)) {
      // Someone else wrote since our last commit: start over from the table.
      this.states.clear();
      return loadStates(tx, [...pairs.values()]);
    }
    const current = new Map(loaded);
    for (const key of pairs.keys()) {
      const cached = this.states.get(key);
      if (cached) current.set(key, cached);
    }
    return current;
  }

  private async writeIn(tx: TransactionSql, entry: Pending): Promise<{ result: WriteResult; touched: Map<string, ComponentState> }> {
    const { batch, prepared } = entry;
    // Reads one after the other, the lock first, so everything after it sees the ledger as we will extend it.
    const ids = batch.events.map((e) => e.id);
    const { clusters, pairs } = namedClusters(batch.events);
    const isCacheTrusted = this.statesTip !== undefined;
    const toLoad = isCacheTrusted ? [...pairs].filter(([key]) => !this.states.has(key)).map(([, pair]) => pair) : [...pairs.values()];
    await lockLedger(tx);
    const recordedRows = ids.length === 0 ? [] : await tx<{ event_id: string }[]>`select event_id from transitions where event_id = any(${ids}::text[])`;
    const knownStages = await clusterStages(tx, [...clusters]);
    const tip = await readTip(tx);
    const loaded = await loadStates(tx, toLoad);
    await tx.unsafe(CREATE_STATE_STAGING);
    const current = await this.currentStates(tx, pairs, tip, loaded, isCacheTrusted);
    const isReusable =
      prepared !== null &&
      sameTip(prepared.tip, tip) &&
      recordedRows.length === 0 &&
      [...prepared.stages].every(([name, stage]) => knownStages.get(name) === stage);
    let plan: BatchPlan;
    let ledgerText: string;
    if (isReusable) {
      plan = prepared.plan;
      ledgerText = prepared.copy ?? ledgerCopyText(plan.rows);
      this.speculation.reused += 1;
    } else {
      const recorded = new Set(recordedRows.map((r) => r.event_id));
      plan = planBatch(batch.events, { isRecorded: (id) => recorded.has(id), knownStages, tip, recordedAt: this.now() });
      ledgerText = ledgerCopyText(plan.rows);
      if (prepared !== null) this.speculation.replanned += 1;
    }
    this.learnStages(knownStages, plan);
    const last = plan.rows.at(-1);
    if (!isReusable) this.resync(entry, last ? { seq: last.seq, hash: last.hash } : tip);
    const now = plan.rows[0]?.recordedAt ?? this.now();

    // Writes: dimensions pipelined; the ledger through COPY (alone on the connection, as COPY
    // needs) while Node folds the state; the states through the staging table; and while Postgres
    // applies them, the next batch is planned.
    await writeDimensions(tx, plan, now);
    const writes: Promise<unknown>[] = [];
    let touched = new Map<string, ComponentState>();
    if (plan.rows.length > 0) {
      const copy = await startCopy(tx, 'transitions', LEDGER_COLUMNS, ledgerText);
      touched = foldAll(current, plan.rows);
      const stages = new Map<string, string | null>(knownStages);
      for (const [name, stage] of plan.clusters) if (stage !== null) stages.set(name, stage);
      const records = [...touched.values()].map((s) => stateRecord(s, stages.get(s.cluster) ?? null));
      // The ledger COPY is Postgres' longest step: plan the batches waiting behind this one meanwhile.
      this.prepareWaiting(entry, false);
      await copy.stored;
      if (records.length > 0) writes.push((await stageStates(tx, records)).applied);
    }
    // While Postgres applies the states: encode what was planned, plan what was handed over since.
    this.prepareWaiting(entry, true);
    await Promise.all(writes);
    if (batch.deadLetters.length > 0) await insertDeadLetters(tx, batch.deadLetters, now);
    const result: WriteResult = {
      recorded: plan.rows.length,
      duplicates: plan.duplicates,
      heartbeats: plan.heartbeats.length,
      deadLettered: batch.deadLetters.length,
      tip: last ? { seq: last.seq, hash: last.hash } : tip,
    };
    return { result, touched };
  }
}

async function insertDeadLetters(tx: TransactionSql, deadLetters: readonly DeadLetter[], now: Date): Promise<void> {
  for (const dl of deadLetters) {
    await tx`
      insert into dead_letters (dedup_key, event_id, subject, stream_seq, reason, payload, received_at)
      values (${dl.dedupKey}, ${dl.eventId}, ${dl.subject}, ${dl.streamSeq}, ${dl.reason}, ${Buffer.from(dl.payload)}, ${now})
      on conflict (dedup_key) do nothing`;
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
        if (pending.size > 0) await upsertStates(tx, [...pending.values()].map((s) => stateRecord(s, stages.get(s.cluster) ?? null)));
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
