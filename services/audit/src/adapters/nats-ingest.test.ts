import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnavailableError, type DriftlessEvent } from '@driftless/contracts';
import { createDb, type Sql } from '@driftless/db';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, provision, publishEvent, type ConsumeBatchesOptions, type ResourceNames } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, POSTGRES_URL, eventually, uniqueName } from '@driftless/testkit';
import { TRANSITION_KINDS } from '../core/kinds.js';
import { IngestWorker } from '../ingest.js';
import type { IngestBatch, LedgerWriter, WriteResult } from '../ports.js';
import { events, oneOfEach } from '../testing/fixtures.js';
import { startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.js';
import { runNatsIngest } from './nats-ingest.js';
import { PgLedgerWriter } from './pg-ledger-writer.js';
import { PgAuditQueries } from './pg-queries.js';
import { migrateAuditDb } from './pg-schema.js';

const log = createLogger({ name: 'audit-ingest-test', level: 'silent' });
type Js = ConsumeBatchesOptions['js'];
type Nc = Awaited<ReturnType<typeof connectNats>>;

async function count(sql: Sql, what: 'transitions' | 'dead_letters'): Promise<number> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(what)}`;
  return row?.n ?? 0;
}

describe('ingest from JetStream into Postgres', () => {
  let db: ScratchDatabase;
  let proxy: TcpProxy;
  let workerSql: Sql;
  let nc: Nc;
  let js: Js;
  let names: ResourceNames;
  let worker: IngestWorker;
  const stop = new AbortController();
  let running: Promise<void>;
  const publish = (event: DriftlessEvent) => publishEvent(js, event, { subjectPrefix: names.subjectPrefix });

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_ingest');
    await migrateAuditDb(db.sql);
    // The worker reaches Postgres only through a proxy the outage test can cut.
    const target = new URL(db.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    workerSql = createDb(viaProxy.toString(), { max: 2, connectTimeoutS: 2 });
    nc = await connectNats({ servers: NATS_URL, name: 'audit-ingest-test' });
    names = isolatedNames('audit');
    ({ js } = await provision(nc, { names }));
    worker = new IngestWorker({ writer: new PgLedgerWriter(workerSql), log, subjectPrefix: names.subjectPrefix, retryInitialDelayMs: 50, retryMaxDelayMs: 400, signal: stop.signal });
    running = runNatsIngest({ js, stream: names.eventsStream, durable: uniqueName('audit'), subjectPrefix: names.subjectPrefix, maxBatch: 100, maxWaitMs: 1000, worker, signal: stop.signal, log });
  });

  after(async () => {
    stop.abort();
    await running;
    await removeResources(nc, names);
    await nc.close();
    await workerSql.end({ timeout: 0 });
    await proxy.close();
    await db.drop();
  });

  it('records an event of every type once', async () => {
    for (const event of oneOfEach('dev-1', 'cart')) await publish(event);
    await eventually(async () => (await count(db.sql, 'transitions')) === TRANSITION_KINDS.length, { timeoutMs: 30_000, what: 'every event recorded' });
    const kinds = await db.sql<{ kind: string }[]>`select distinct kind from transitions order by kind`;
    assert.deepEqual(kinds.map((k) => k.kind), [...TRANSITION_KINDS].sort());
    const [cluster] = await db.sql`select last_heartbeat_at from clusters where name = 'dev-1'`;
    assert.ok(cluster?.['last_heartbeat_at'] instanceof Date, 'the heartbeat reached the cluster row');
  });

  it('keeps one row per event id when the stream holds duplicates and a batch is redelivered', async () => {
    const before = await count(db.sql, 'transitions');
    const event = events.applied({ cluster: 'dev-1', component: 'dup', version: '1.0.0' });
    await publish(event);
    // The same envelope again under another Nats-Msg-Id: the stream's own dedup cannot catch it.
    await js.publish(`${names.subjectPrefix}.${event.subject}`, new TextEncoder().encode(JSON.stringify(event)), { msgID: `${event.id}-again` });
    await eventually(async () => (await db.sql`select 1 from transitions where event_id = ${event.id}`).length === 1, { timeoutMs: 30_000, what: 'the event' });

    // A second consumer whose first commit "loses its ack": the batch comes back and must change nothing.
    const results: WriteResult[] = [];
    let isAckLost = true;
    const real = new PgLedgerWriter(db.sql);
    const lossy: LedgerWriter = {
      async write(batch: IngestBatch) {
        const result = await real.write(batch);
        results.push(result);
        if (isAckLost && result.duplicates + result.recorded > 0) {
          isAckLost = false;
          throw new UnavailableError('connection lost after COMMIT');
        }
        return result;
      },
    };
    const replayStop = new AbortController();
    const replayWorker = new IngestWorker({ writer: lossy, log, subjectPrefix: names.subjectPrefix, retryInitialDelayMs: 20, retryMaxDelayMs: 100, signal: replayStop.signal });
    const replay = runNatsIngest({ js, stream: names.eventsStream, durable: uniqueName('replay'), subjectPrefix: names.subjectPrefix, maxBatch: 100, maxWaitMs: 1000, worker: replayWorker, signal: replayStop.signal, log });
    try {
      const streamMessages = TRANSITION_KINDS.length + 1 + 2; // every type (+ heartbeat) and the two copies
      await eventually(() => results.reduce((n, r) => n + r.duplicates + r.heartbeats, 0) >= streamMessages + 1, { timeoutMs: 30_000, what: 'the replay to finish' });
    } finally {
      replayStop.abort();
      await replay;
    }
    assert.ok(results.length >= 2, 'the first batch was delivered again');
    assert.equal(results.reduce((n, r) => n + r.recorded, 0), 0, 'a replay records nothing new');
    assert.equal(await count(db.sql, 'transitions'), before + 1);
  });

  it('dead-letters a malformed message with its reason and keeps going', async () => {
    const deadBefore = await count(db.sql, 'dead_letters');
    const enc = new TextEncoder();
    await js.publish(`${names.subjectPrefix}.driftless.evt.agent.dev-1.cart.applied`, enc.encode('{"specversion":"1.0","id":"x"'));
    const spoofed = events.applied({ cluster: 'prod-eu', component: 'cart', version: '6.6.6' });
    await js.publish(`${names.subjectPrefix}.driftless.evt.agent.dev-1.cart.applied`, enc.encode(JSON.stringify(spoofed)));
    const after = events.applied({ cluster: 'dev-1', component: 'after', version: '1.0.0' });
    await publish(after);
    await eventually(async () => (await db.sql`select 1 from transitions where event_id = ${after.id}`).length === 1, { timeoutMs: 30_000, what: 'the event after the bad ones' });
    const dead = await db.sql<{ reason: string; event_id: string | null }[]>`select reason, event_id from dead_letters order by id offset ${deadBefore}`;
    assert.equal(dead.length, 2);
    assert.match(dead[0]!.reason, /not valid JSON/);
    assert.match(dead[1]!.reason, /arrived on subject .*dev-1.*belongs on .*prod-eu/);
    assert.equal(dead[1]!.event_id, spoofed.id);
    assert.equal((await db.sql`select 1 from transitions where event_id = ${spoofed.id}`).length, 0);
  });

  it('survives Postgres going away mid-stream: stops acking, then catches up with nothing lost or doubled', async () => {
    const start = await count(db.sql, 'transitions');
    const total = 400;
    const burst = Array.from({ length: total }, (_, i) =>
      events.healthChanged({ cluster: 'dev-2', component: 'svc', version: '1.0.0', from: null, to: i % 2 ? 'Healthy' : 'Degraded', id: `outage-${i}` }),
    );
    for (const event of burst.slice(0, 150)) await publish(event);
    await eventually(async () => (await count(db.sql, 'transitions')) > start, { timeoutMs: 30_000, what: 'ingest to start' });

    await proxy.cut();
    for (const event of burst.slice(150)) await publish(event);
    await eventually(() => worker.consecutiveFailures >= 2, { timeoutMs: 30_000, what: 'the worker to notice the outage' });
    const duringOutage = await count(db.sql, 'transitions');
    assert.ok(duringOutage < start + total, 'the outage happened before everything was recorded');

    await proxy.restore();
    await eventually(async () => (await count(db.sql, 'transitions')) === start + total, { timeoutMs: 60_000, what: 'catch-up' });
    const ids = await db.sql<{ event_id: string }[]>`select event_id from transitions where event_id like 'outage-%'`;
    assert.deepEqual(new Set(ids.map((r) => r.event_id)), new Set(burst.map((e) => e.id)), 'every event exactly once');
    assert.equal(ids.length, total);
    const verify = await new PgAuditQueries(db.sql).verify({});
    assert.equal(verify.isIntact, true);
    assert.equal(verify.checkedRows, start + total);
    assert.equal(worker.consecutiveFailures, 0);
  });
});
