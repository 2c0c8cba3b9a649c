/**
 * Audit benchmark (not a test): ingest throughput batched vs one transaction per event, the
 * worker's memory while ingesting, end-to-end throughput from JetStream, and API latency over a
 * large ledger. Run with `npm run bench -w @driftless/audit`; tune with environment variables:
 *
 *   BENCH_EVENTS=50000        events for the batched run (and the JetStream run)
 *   BENCH_BASELINE_EVENTS=2000 events for the one-per-event baseline
 *   BENCH_BATCH=2000          events per transaction (the service's default)
 *   BENCH_LEDGER_ROWS=10000000 ledger rows generated for the query latencies
 *   BENCH_CLUSTERS=100 BENCH_COMPONENTS=200
 *   BENCH_QUERIES=300         requests per measured route
 *   BENCH_LIVE_BATCH=100 BENCH_LIVE_PAUSE_MS=10  the writer that keeps ingesting while the
 *                             inventory is measured: events per batch, pause between batches
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, provision, publishEvent } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, POSTGRES_URL, uniqueName } from '@driftless/testkit';
import type { DriftlessEvent } from '@driftless/contracts';
import type { Outcome } from '@driftless/nats';
import { runNatsIngest } from '../src/adapters/nats-ingest.js';
import { PgLedgerWriter } from '../src/adapters/pg-ledger-writer.js';
import { PgAuditQueries } from '../src/adapters/pg-queries.js';
import { migrateAuditDb } from '../src/adapters/pg-schema.js';
import { PgTokenStore } from '../src/adapters/pg-tokens.js';
import type { RawMessage } from '../src/core/intake.js';
import { buildApp } from '../src/http/app.js';
import { InventoryCache } from '../src/http/inventory-cache.js';
import { IngestWorker } from '../src/ingest.js';
import { commit, events } from '../src/testing/fixtures.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const EVENTS = env('BENCH_EVENTS', 50_000);
const BASELINE_EVENTS = env('BENCH_BASELINE_EVENTS', 2_000);
const BATCH = env('BENCH_BATCH', 2000);
const LEDGER_ROWS = env('BENCH_LEDGER_ROWS', 10_000_000);
const CLUSTERS = env('BENCH_CLUSTERS', 100);
const COMPONENTS = env('BENCH_COMPONENTS', 200);
const QUERIES = env('BENCH_QUERIES', 300);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 2);
const LIVE_BATCH = env('BENCH_LIVE_BATCH', 100);
const LIVE_PAUSE_MS = env('BENCH_LIVE_PAUSE_MS', 10);

const log = createLogger({ name: 'bench', level: 'silent' });
const enc = new TextEncoder();
const print = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A realistic mix: mostly agent reports, some desired changes, across the fleet. */
function fleetEvents(count: number, label: string, offset = 0): DriftlessEvent[] {
  const base = Date.UTC(2026, 10, 27);
  return Array.from({ length: count }, (_, k) => {
    const i = offset + k;
    const cluster = `c-${i % CLUSTERS}`;
    const component = `svc-${Math.floor(i / CLUSTERS) % COMPONENTS}`;
    const time = new Date(base + i);
    const version = `1.${i % 7}.0`;
    switch (i % 5) {
      case 0:
        return events.desiredChanged({ cluster, component, stage: `s-${(i % CLUSTERS) % 3}`, version, commit: commit(1 + (i % 50)), time });
      case 1:
        return events.applied({ cluster, component, version, time, id: `${label}-${i}` });
      default:
        return events.healthChanged({ cluster, component, version, from: null, to: i % 2 ? 'Healthy' : 'Progressing', time, id: `${label}-${i}` });
    }
  });
}

function assertAcked(outcomes: readonly Outcome[]): void {
  if (outcomes.some((o) => o.kind !== 'ack')) throw new Error('a batch was not acked');
}

function toMessages(list: readonly DriftlessEvent[]): RawMessage[] {
  return list.map((e, i) => ({ subject: e.subject, data: enc.encode(JSON.stringify(e)), seq: i + 1 }));
}

/** CPU seconds used so far by the Postgres backends serving `database` (Linux /proc; null elsewhere). */
async function backendCpuS(sql: ScratchDatabase['sql'], database: string): Promise<number | null> {
  const rows = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`;
  let ticks = 0;
  try {
    for (const { pid } of rows) {
      // Fields 14 and 15 of /proc/<pid>/stat: user and system time in clock ticks (100 per second).
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  } catch {
    return null;
  }
  return ticks / 100;
}

/** Profiles the worker's CPU between `start` and `stop` when BENCH_CPU_PROFILE names a file (open it in Chrome DevTools). */
class CpuProfile {
  private readonly session = process.env['BENCH_CPU_PROFILE'] ? new Session() : undefined;
  private post(method: string): Promise<unknown> {
    const session = this.session as Session;
    return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
  }
  async start(): Promise<void> {
    if (!this.session) return;
    this.session.connect();
    await this.post('Profiler.enable');
    await this.post('Profiler.start');
  }
  async stop(): Promise<void> {
    if (!this.session) return;
    const { profile } = (await this.post('Profiler.stop')) as { profile: unknown };
    writeFileSync(process.env['BENCH_CPU_PROFILE'] as string, JSON.stringify(profile));
    this.session.disconnect();
  }
}

class MemoryProbe {
  peakRss = 0;
  peakHeap = 0;
  /** RSS when the probe started: what the process held before the measured work. */
  readonly startRss = process.memoryUsage().rss;
  private timer: NodeJS.Timeout | undefined;
  start(): this {
    this.timer = setInterval(() => this.sample(), 50);
    return this;
  }
  sample(): void {
    const m = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeap = Math.max(this.peakHeap, m.heapUsed);
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

async function ingestThroughput(): Promise<void> {
  print(`\n## Ingest into Postgres (decode + validate + write, ${BATCH} events per transaction)`);
  const db = await createScratchDatabase(POSTGRES_URL, 'audit_bench_ingest');
  try {
    await migrateAuditDb(db.sql);
    const writer = new PgLedgerWriter(db.sql);
    const worker = new IngestWorker({ writer, log });
    const batched = toMessages(fleetEvents(EVENTS, 'b'));
    await worker.handleBatch(toMessages(fleetEvents(10, 'warm'))); // opens the pool's connection
    const probe = new MemoryProbe().start();
    const profile = new CpuProfile();
    await profile.start();
    const cpu0 = process.cpuUsage();
    const pg0 = await backendCpuS(db.sql, db.name);
    let t0 = performance.now();
    // Like the JetStream consumer: the next batch is handed over while the previous one commits.
    const inFlight: Promise<Outcome[]>[] = [];
    for (let i = 0; i < batched.length; i += BATCH) {
      inFlight.push(worker.handleBatch(batched.slice(i, i + BATCH)));
      if (inFlight.length >= IN_FLIGHT) assertAcked(await (inFlight.shift() as Promise<Outcome[]>));
    }
    for (const pending of inFlight) assertAcked(await pending);
    const batchedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await profile.stop();
    const pg1 = await backendCpuS(db.sql, db.name);
    probe.stop();
    const batchedRate = (EVENTS / batchedMs) * 1000;
    print(`batched:        ${fmt(EVENTS)} events in ${fmt(batchedMs)} ms = ${fmt(batchedRate)} events/s`);
    const perEvent = (seconds: number) => `${((seconds / EVENTS) * 1e6).toFixed(1)} µs`;
    print(`CPU per event:  worker ${perEvent((cpu.user + cpu.system) / 1e6)}${pg0 === null || pg1 === null ? '' : `, Postgres backends ${perEvent(pg1 - pg0)}`} (of ${((1 / batchedRate) * 1e6).toFixed(1)} µs wall per event)`);
    print(`pipelining:     ${IN_FLIGHT} batches in flight; ${writer.speculation.reused} batches written as prepared, ${writer.speculation.replanned} planned again under the lock`);
    print(`worker memory:  peak RSS ${fmt(probe.peakRss / 2 ** 20)} MiB (${fmt((probe.peakRss - probe.startRss) / 2 ** 20)} MiB above the process before ingest, which held the ${fmt(EVENTS)} pre-built messages), peak heap ${fmt(probe.peakHeap / 2 ** 20)} MiB`);

    const single = toMessages(fleetEvents(BASELINE_EVENTS, 's'));
    t0 = performance.now();
    for (const msg of single) await worker.handleBatch([msg]);
    const singleMs = performance.now() - t0;
    const singleRate = (BASELINE_EVENTS / singleMs) * 1000;
    print(`one per event:  ${fmt(BASELINE_EVENTS)} events in ${fmt(singleMs)} ms = ${fmt(singleRate)} events/s`);
    print(`ratio:          batched is ${(batchedRate / singleRate).toFixed(1)}x one-insert-per-event`);
    print(`load average:   ${loadAverage()}`);
    const verify = await new PgAuditQueries(db.sql).verify({});
    print(`chain:          ${fmt(verify.checkedRows)} rows verified, intact=${verify.isIntact}`);
  } finally {
    await db.drop();
  }
}

async function natsThroughput(): Promise<void> {
  print(`\n## End to end from JetStream (durable pull consumer, batches of ${BATCH})`);
  const db = await createScratchDatabase(POSTGRES_URL, 'audit_bench_nats');
  const nc = await connectNats({ servers: NATS_URL, name: 'audit-bench' });
  const names = isolatedNames('bench');
  try {
    await migrateAuditDb(db.sql);
    const { js } = await provision(nc, { names, eventsMaxBytes: 2 * 1024 ** 3 });
    let t0 = performance.now();
    // Publish with a bounded window of in-flight acks, keeping no event around afterwards.
    for (let i = 0; i < EVENTS; i += 1000) {
      const chunk = fleetEvents(Math.min(1000, EVENTS - i), 'n', i);
      for (let j = 0; j < chunk.length; j += 250) {
        await Promise.all(chunk.slice(j, j + 250).map((e) => publishEvent(js, e, { subjectPrefix: names.subjectPrefix })));
      }
    }
    print(`published:      ${fmt(EVENTS)} events in ${fmt(performance.now() - t0)} ms (before the consumer starts)`);
    const stop = new AbortController();
    const worker = new IngestWorker({ writer: new PgLedgerWriter(db.sql), log, subjectPrefix: names.subjectPrefix, signal: stop.signal });
    const probe = new MemoryProbe().start();
    t0 = performance.now();
    const running = runNatsIngest({ js, stream: names.eventsStream, durable: uniqueName('bench'), subjectPrefix: names.subjectPrefix, maxBatch: BATCH, maxWaitMs: 1000, worker, signal: stop.signal, log });
    for (;;) {
      const [row] = await db.sql<{ n: number }[]>`select count(*)::int as n from transitions`;
      // Every fleet event is a transition with a distinct id.
      if ((row?.n ?? 0) >= EVENTS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const ms = performance.now() - t0;
    probe.stop();
    stop.abort();
    await running;
    print(`consumed:       ${fmt(EVENTS)} events in ${fmt(ms)} ms = ${fmt((EVENTS / ms) * 1000)} events/s (polling granularity 100 ms)`);
    print(`worker memory:  peak RSS ${fmt(probe.peakRss / 2 ** 20)} MiB (${fmt((probe.peakRss - probe.startRss) / 2 ** 20)} MiB above the idle process), peak heap ${fmt(probe.peakHeap / 2 ** 20)} MiB`);
  } finally {
    await removeResources(nc, names);
    await nc.close();
    await db.drop();
  }
}

/** 1, 5 and 15 minute load averages: how busy the machine was (other work competes for the same cores). */
function loadAverage(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' / ');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function generateLedger(db: ScratchDatabase): Promise<void> {
  const pairs = CLUSTERS * COMPONENTS;
  const t0 = performance.now();
  // Indexes are built after the bulk insert (much faster than maintaining them row by row); the result is the same schema.
  await db.sql.unsafe(`
    drop index transitions_cluster_component_time, transitions_time, transitions_commit, transitions_actor_time;
    alter table transitions drop constraint transitions_event_id_key;
    insert into transitions (seq, event_id, kind, occurred_at, recorded_at, cluster, component, stage, repo, apps,
      from_version, to_version, from_hash, to_hash, commit_sha, actor, trace_id, source, subject, detail, prev_hash, hash)
    select g, 'gen-' || g,
      -- Every pair sees every kind over time (kind changes each time the generator has covered all pairs once).
      (array['desired_changed','applied','health_changed','health_changed','drift_detected'])[1 + (g / ${pairs}) % 5],
      timestamptz '2025-11-27' + (g * interval '3 seconds'), now(),
      'c-' || (g % ${CLUSTERS}), 'svc-' || ((g / ${CLUSTERS}) % ${COMPONENTS}), 's-' || (g % ${CLUSTERS} % 3), 'envs', null,
      null, '1.' || (g % 7) || '.0', null, 'sha256:' || md5(g::text) || md5(g::text),
      case when (g / ${pairs}) % 5 = 0 then lpad(to_hex(g / 1000), 40, '0') end,
      case when (g / ${pairs}) % 5 = 0 then 'dev' || (g % 20) || '@example.com' when (g / ${pairs}) % 5 = 4 then 'kubectl-edit' end,
      null, 'bench', 'driftless.evt.bench',
      jsonb_build_object('cluster', 'c-' || (g % ${CLUSTERS}), 'version', '1.' || (g % 7) || '.0', 'to', 'Healthy'),
      md5((g - 1)::text) || md5((g - 1)::text), md5(g::text) || md5(g::text)
    from generate_series(1, ${LEDGER_ROWS}) as g;
    alter table transitions add constraint transitions_event_id_key unique (event_id);
    create index transitions_cluster_component_time on transitions (cluster, component, occurred_at desc, seq desc);
    create index transitions_time on transitions (occurred_at desc, seq desc);
    create index transitions_commit on transitions (commit_sha) where commit_sha is not null;
    create index transitions_actor_time on transitions (actor, occurred_at desc, seq desc) where actor is not null;
    insert into clusters (name, stage, first_seen_at, last_heartbeat_at, agent_version)
      select 'c-' || c, 's-' || (c % 3), now(), now(), '0.1.0' from generate_series(0, ${CLUSTERS - 1}) as c;
    insert into component_state (cluster, component, stage, apps, desired_version, desired_hash, desired_commit, desired_at, desired_seq,
      applied_version, applied_hash, applied_at, applied_seq, health, health_at, health_seq, last_seq)
      select 'c-' || (p % ${CLUSTERS}), 'svc-' || (p / ${CLUSTERS}), 's-' || (p % ${CLUSTERS} % 3), array['shop'],
        '1.' || (p % 7) || '.0', 'sha256:x', lpad('1', 40, '0'), now(), p, '1.' || ((p + (p % 11 = 0)::int) % 7) || '.0', 'sha256:x', now(), p,
        'Healthy', now(), p, p
      from generate_series(0, ${pairs - 1}) as p;
    analyze;
  `);
  const [size] = await db.sql<{ size: string }[]>`select pg_size_pretty(pg_database_size(current_database())) as size`;
  print(`generated:      ${fmt(LEDGER_ROWS)} ledger rows, ${fmt(pairs)} component states in ${fmt((performance.now() - t0) / 1000)} s (database ${size?.size})`);
}

async function queryLatency(): Promise<void> {
  print(`\n## API latency over ${fmt(LEDGER_ROWS)} ledger rows, ${CLUSTERS} clusters x ${COMPONENTS} components (in-process HTTP incl. auth + serialization)`);
  const db = await createScratchDatabase(POSTGRES_URL, 'audit_bench_query', { max: 10 });
  try {
    await migrateAuditDb(db.sql);
    await generateLedger(db);
    const tokens = new PgTokenStore(db.sql);
    const { secret } = await tokens.create('bench', 'viewer');
    const queries = new PgAuditQueries(db.sql);
    const app = await buildApp({ queries, tokens });
    // The inventory as it was before the fleet snapshot, keeping no document: what the first request after a ledger change cost.
    const cold = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0, snapshot: { maxPairs: 0 } }) });
    // The fleet snapshot, keeping no document: every request builds its document from memory.
    const built = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0 }) });
    const headers = { authorization: `Bearer ${secret}` };
    const all = `all ${fmt(CLUSTERS * COMPONENTS)}`;
    const routes: [string, (i: number) => string, typeof app][] = [
      ['transitions, one cluster+component, 100 newest', (i) => `/v1/transitions?cluster=c-${i % CLUSTERS}&component=svc-${(i * 7) % COMPONENTS}&limit=100`, app],
      ['transitions, all, 100 newest', () => '/v1/transitions?limit=100', app],
      ['transitions, one actor, 100 newest', (i) => `/v1/transitions?actor=dev${i % 20}@example.com&limit=100`, app],
      [`inventory matrix, ${all} cells, cold`, () => '/v1/inventory/matrix', cold],
      [`inventory matrix, ${all} cells, built from the snapshot`, () => '/v1/inventory/matrix', built],
      [`inventory matrix, ${all} cells, cached at the tip`, () => '/v1/inventory/matrix', app],
      [`inventory, ${all} rows in one page, cold`, () => `/v1/inventory?limit=${CLUSTERS * COMPONENTS}`, cold],
      [`inventory, ${all} rows in one page, built from the snapshot`, () => `/v1/inventory?limit=${CLUSTERS * COMPONENTS}`, built],
      [`inventory, ${all} rows in one page, cached at the tip`, () => `/v1/inventory?limit=${CLUSTERS * COMPONENTS}`, app],
      ['inventory, one cluster, cold', (i) => `/v1/inventory?cluster=c-${i % CLUSTERS}&limit=1000`, cold],
      ['inventory, first 1000 rows, cold', () => '/v1/inventory?limit=1000', cold],
      ['clusters, all', () => '/v1/clusters?limit=1000', app],
      ['diff between two times, one cluster', (i) => `/v1/diff?cluster=c-${i % CLUSTERS}&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z`, app],
    ];
    for (const [name, url, target] of routes) {
      for (let i = 0; i < 20; i++) await target.inject({ url: url(i), headers }); // warm-up
      const samples: number[] = [];
      let bytes = 0;
      const n = (name.startsWith('inventory, all') && name.endsWith('cold')) || name.startsWith('diff') ? Math.min(QUERIES, 100) : QUERIES;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const res = await target.inject({ url: url(i), headers });
        samples.push(performance.now() - t0);
        if (res.statusCode !== 200) throw new Error(`${url(i)} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
        bytes = res.body.length;
      }
      samples.sort((a, b) => a - b);
      print(`${name.padEnd(58)} p50 ${percentile(samples, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(samples, 99).toFixed(1).padStart(6)} ms  (${n} requests, ${fmt(bytes / 1024)} KiB)`);
    }
    print(`load average: ${loadAverage()}`);
    await snapshotMemory(queries, tokens, secret);
    await inventoryWhileIngesting(db, queries, tokens, secret);
    print(`load average at the end: ${loadAverage()}`);
    await built.close();
    await cold.close();
    await app.close();
  } finally {
    await db.drop();
  }
}

/** Heap held by the fleet snapshot once both documents were built from it (needs --expose-gc to be exact). */
async function snapshotMemory(queries: PgAuditQueries, tokens: PgTokenStore, secret: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const settle = () => {
    gc?.();
    return process.memoryUsage().heapUsed;
  };
  const app = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0 }) });
  const headers = { authorization: `Bearer ${secret}` };
  const before = settle();
  await app.inject({ url: '/v1/inventory/matrix', headers });
  const afterMatrix = settle();
  await app.inject({ url: `/v1/inventory?limit=${CLUSTERS * COMPONENTS}`, headers });
  const afterItems = settle();
  const pairs = CLUSTERS * COMPONENTS;
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB (${fmt(bytes / pairs)} bytes per pair)`;
  print(`fleet snapshot memory, ${fmt(pairs)} pairs: ${mib(afterMatrix - before)} after the first matrix, ${mib(afterItems - before)} once every item's text is kept${gc ? '' : ' — approximate, run with NODE_OPTIONS=--expose-gc'}`);
  await app.close();
}

/**
 * The whole fleet read while a writer appends small batches through the ingest writer, so the tip
 * moves between requests: the snapshot against the inventory as it was before (per-tip cache, no
 * snapshot) and against the SQL path keeping nothing.
 */
async function inventoryWhileIngesting(db: ScratchDatabase, queries: PgAuditQueries, tokens: PgTokenStore, secret: string): Promise<void> {
  print(`\n## Inventory of ${CLUSTERS} x ${COMPONENTS} while ingest writes (${LIVE_BATCH} events per batch, ${LIVE_PAUSE_MS} ms between batches, same process; each request waits for the tip to move)`);
  const headers = { authorization: `Bearer ${secret}` };
  const apps = {
    snapshot: await buildApp({ queries, tokens }),
    before: await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ snapshot: { maxPairs: 0 } }) }),
    cold: await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0, snapshot: { maxPairs: 0 } }) }),
  };
  const stop = new AbortController();
  const writer = new PgLedgerWriter(db.sql);
  const written = { events: 0, batches: 0 };
  const ingesting = (async () => {
    for (let offset = 0; !stop.signal.aborted; offset += LIVE_BATCH) {
      await writer.write({ events: fleetEvents(LIVE_BATCH, 'live', offset), deadLetters: [] });
      written.events += LIVE_BATCH;
      written.batches += 1;
      await new Promise((r) => setTimeout(r, LIVE_PAUSE_MS));
    }
  })();
  try {
    const full = `/v1/inventory?limit=${CLUSTERS * COMPONENTS}`;
    const runs: [string, string, keyof typeof apps, number][] = [
      ['matrix, snapshot', '/v1/inventory/matrix', 'snapshot', QUERIES],
      ['matrix, before (per-tip cache, no snapshot)', '/v1/inventory/matrix', 'before', QUERIES],
      ['matrix, cold SQL path', '/v1/inventory/matrix', 'cold', QUERIES],
      ['inventory, snapshot', full, 'snapshot', Math.min(QUERIES, 100)],
      ['inventory, before (per-tip cache, no snapshot)', full, 'before', Math.min(QUERIES, 100)],
      ['inventory, cold SQL path', full, 'cold', Math.min(QUERIES, 100)],
    ];
    for (const [name, url, which, n] of runs) {
      const app = apps[which];
      for (let i = 0; i < 10; i++) await app.inject({ url, headers }); // warm-up
      const samples: number[] = [];
      let moved = 0;
      let lastSeq = (await queries.ledgerTip()).seq;
      const events0 = written.events;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        // Outside the timing: wait (up to a second) until the ledger moved since the previous request.
        let seq = (await queries.ledgerTip()).seq;
        for (let waitedMs = 0; seq === lastSeq && waitedMs < 1000; waitedMs += 2) {
          await new Promise((r) => setTimeout(r, 2));
          seq = (await queries.ledgerTip()).seq;
        }
        if (seq !== lastSeq) moved += 1;
        lastSeq = seq;
        const start = performance.now();
        const res = await app.inject({ url, headers });
        samples.push(performance.now() - start);
        if (res.statusCode !== 200) throw new Error(`${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
      }
      const rate = ((written.events - events0) / (performance.now() - t0)) * 1000;
      samples.sort((a, b) => a - b);
      print(
        `${name.padEnd(48)} p50 ${percentile(samples, 50).toFixed(1).padStart(6)} ms  p99 ${percentile(samples, 99).toFixed(1).padStart(6)} ms  (${n} requests, tip moved before ${Math.round((moved / n) * 100)} %, ingest ${fmt(rate)} events/s, load ${loadavg()[0]?.toFixed(2)})`,
      );
    }
  } finally {
    stop.abort();
    await ingesting;
    for (const app of Object.values(apps)) await app.close();
  }
  print(`ingest while measured: ${fmt(written.events)} events in ${fmt(written.batches)} batches`);
}

print(`audit benchmark on ${process.platform}, node ${process.version}, ${cpus().length} cores; load average at the start: ${loadAverage()}`);
// JetStream first, while the process is fresh, so its memory figure is the worker's own.
if (process.env['BENCH_SKIP_NATS'] !== '1') await natsThroughput();
await ingestThroughput();
if (process.env['BENCH_SKIP_QUERIES'] !== '1') await queryLatency();
