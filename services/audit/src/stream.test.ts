import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { createLogger } from '@driftless/telemetry';
import { eventually, POSTGRES_URL } from '@driftless/testkit';
import { connectDb, type Sql } from '@driftless/db';
import type { DriftlessEvent } from '@driftless/contracts';
import { PgLedgerWriter } from './adapters/pg-ledger-writer.js';
import { PgAuditQueries } from './adapters/pg-queries.js';
import { migrateAuditDb } from './adapters/pg-schema.js';
import { PgTokenStore } from './adapters/pg-tokens.js';
import { PgTransitionFeed } from './adapters/pg-transition-feed.js';
import { buildApp } from './http/app.js';
import { UI_SECURITY_HEADERS } from './http/routes/ui.js';
import { IngestWorker } from './ingest.js';
import { TransitionHub } from './stream.js';
import { clock, commit, events } from './testing/fixtures.js';

const log = createLogger({ name: 'stream-test', level: 'silent' });
type App = Awaited<ReturnType<typeof buildApp>>;

interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a text/event-stream response with fetch (as the UI does), collecting its events. */
function follow(url: string, token: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const received: SseEvent[] = [];
  let comments = 0;
  const opened = fetch(url, { headers: { authorization: `Bearer ${token}`, ...headers }, signal: controller.signal });
  const reading = opened.then(async (res) => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments++;
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
          }
          if (event.data !== '') received.push(event);
        }
      }
    } catch {
      // Aborted by the test.
    }
  });
  return {
    opened,
    received,
    transitions: () => received.filter((e) => e.event === 'transition').map((e) => JSON.parse(e.data) as Record<string, unknown>),
    comments: () => comments,
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

describe('live stream of the ledger (GET /v1/stream)', () => {
  let db: ScratchDatabase;
  /** A second pool, standing for another audit replica that runs the ingest. */
  let ingestSql: Sql;
  let worker: IngestWorker;
  let hub: TransitionHub;
  let app: App;
  let baseUrl: string;
  let viewer: string;
  let uiDir: string;
  const tick = clock();
  let streamSeq = 0;

  /** Ingests through the real path: raw JetStream-shaped messages → decode, validate → Postgres. */
  const ingest = async (evts: DriftlessEvent[]) => {
    const outcomes = await worker.handleBatch(evts.map((e) => ({ subject: e.subject, data: new TextEncoder().encode(JSON.stringify(e)), seq: ++streamSeq })));
    assert.ok(outcomes.every((o) => o.kind === 'ack'), JSON.stringify(outcomes));
  };

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_stream');
    await migrateAuditDb(db.sql);
    ingestSql = await connectDb(db.url, { max: 2 });
    worker = new IngestWorker({ writer: new PgLedgerWriter(ingestSql), log });
    const store = new PgTokenStore(db.sql);
    viewer = (await store.create('viewer-token', 'viewer')).secret;
    await ingest([events.clusterRegistered({ cluster: 'dev-1', stage: 'dev', time: tick() })]);

    uiDir = mkdtempSync(join(tmpdir(), 'driftless-ui-'));
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>Driftless</title><div id="root"></div>');
    writeFileSync(join(uiDir, 'assets', 'index-abc123.js'), 'console.log(1)');

    hub = new TransitionHub({ feed: new PgTransitionFeed(db.sql), log, pollIntervalMs: 50, maxSubscribers: 3, batchSize: 2, maxReplayRows: 5 });
    app = await buildApp({ queries: new PgAuditQueries(db.sql), tokens: store, stream: hub, streamHeartbeatMs: 100, uiDir });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await hub.close();
    await (app as App | undefined)?.close();
    await ingestSql.end();
    await db.drop();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('sends each new row, written by another connection, as a transition event with its seq as id', async () => {
    const stream = follow(`${baseUrl}/v1/stream`, viewer);
    const res = await stream.opened;
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    await eventually(() => hub.subscriberCount === 1, { what: 'the subscription' });
    const c = commit(7, 'grace@example.com');
    await ingest([
      events.desiredChanged({ cluster: 'dev-1', component: 'cart', stage: 'dev', version: '2.0.0', commit: c, time: tick() }),
      events.applied({ cluster: 'dev-1', component: 'cart', version: '2.0.0', commitSha: c.sha, time: tick() }),
      events.healthChanged({ cluster: 'dev-1', component: 'cart', version: '2.0.0', from: null, to: 'Healthy', time: tick() }),
    ]);
    const got = await eventually(() => (stream.transitions().length >= 3 ? stream.transitions() : null), { what: 'three transitions' });
    assert.deepEqual(got.map((t) => t['kind']), ['desired_changed', 'applied', 'health_changed']);
    assert.equal(got[0]?.['toVersion'], '2.0.0');
    assert.equal(got[0]?.['actor'], 'grace@example.com');
    assert.deepEqual(stream.received.filter((e) => e.event === 'transition').map((e) => Number(e.id)), got.map((t) => t['seq']));
    await eventually(() => stream.comments() >= 2, { what: 'heartbeat comments' });
    await stream.close();
    await eventually(() => hub.subscriberCount === 0, { what: 'the subscription to be dropped on disconnect' });
  });

  it('resumes after Last-Event-ID without a gap or a duplicate, and applies the filters', async () => {
    const tipBefore = (await db.sql<{ seq: string }[]>`select max(seq) as seq from transitions`)[0]?.seq ?? '0';
    await ingest([
      events.applied({ cluster: 'dev-1', component: 'pay', version: '1.0.0', time: tick() }),
      events.applied({ cluster: 'dev-1', component: 'cart', version: '2.0.1', time: tick() }),
      events.applied({ cluster: 'dev-1', component: 'pay', version: '1.0.1', time: tick() }),
    ]);
    const stream = follow(`${baseUrl}/v1/stream?component=pay`, viewer, { 'last-event-id': tipBefore });
    await eventually(() => stream.transitions().length >= 2, { what: 'the replayed rows' });
    await ingest([events.applied({ cluster: 'dev-1', component: 'pay', version: '1.0.2', time: tick() }), events.applied({ cluster: 'dev-1', component: 'cart', version: '2.0.2', time: tick() })]);
    await eventually(() => stream.transitions().length >= 3, { what: 'the live row after the replay' });
    const got = stream.transitions();
    assert.deepEqual(got.map((t) => t['toVersion']), ['1.0.0', '1.0.1', '1.0.2']);
    assert.ok(got.every((t) => t['component'] === 'pay'));
    const seqs = got.map((t) => t['seq'] as number);
    assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
    await stream.close();
  });

  it('tells a client resuming too far back to reload, then follows from the tip', async () => {
    await ingest(Array.from({ length: 6 }, (_, i) => events.applied({ cluster: 'dev-1', component: 'web', version: `0.0.${i}`, time: tick() })));
    const stream = follow(`${baseUrl}/v1/stream`, viewer, { 'last-event-id': '1' });
    await eventually(() => stream.received.some((e) => e.event === 'reset'), { what: 'a reset event' });
    assert.match(JSON.parse(stream.received.find((e) => e.event === 'reset')?.data ?? '{}').reason as string, /at most 5 rows back/);
    assert.equal(stream.transitions().length, 0);
    await ingest([events.applied({ cluster: 'dev-1', component: 'web', version: '0.1.0', time: tick() })]);
    await eventually(() => stream.transitions().some((t) => t['toVersion'] === '0.1.0'), { what: 'the live row after the reset' });
    await stream.close();
  });

  it('refuses a bad Last-Event-ID, a missing token and a stream over the limit with clear problems', async () => {
    const bad = await fetch(`${baseUrl}/v1/stream`, { headers: { authorization: `Bearer ${viewer}`, 'last-event-id': 'yesterday' } });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { detail: string }).detail, /Last-Event-ID must be a ledger seq/);
    const anonymous = await fetch(`${baseUrl}/v1/stream`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();

    const streams = [follow(`${baseUrl}/v1/stream`, viewer), follow(`${baseUrl}/v1/stream`, viewer), follow(`${baseUrl}/v1/stream`, viewer)];
    await Promise.all(streams.map((s) => s.opened));
    await eventually(() => hub.subscriberCount === 3, { what: 'three subscriptions' });
    const refused = await fetch(`${baseUrl}/v1/stream`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(refused.status, 503);
    assert.match(((await refused.json()) as { detail: string }).detail, /already serves 3 live streams/);
    await Promise.all(streams.map((s) => s.close()));
    await eventually(() => hub.subscriberCount === 0, { what: `every subscription to be dropped (${hub.subscriberCount} left)`, timeoutMs: 3000 });
  });
});

describe('whoami and the web UI files', () => {
  let db: ScratchDatabase;
  let app: App;
  let uiDir: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_ui');
    await migrateAuditDb(db.sql);
    const store = new PgTokenStore(db.sql);
    for (const role of ['viewer', 'operator'] as const) tokens[role] = (await store.create(`${role}-token`, role)).secret;
    uiDir = mkdtempSync(join(tmpdir(), 'driftless-ui-'));
    mkdirSync(join(uiDir, 'assets'));
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>Driftless</title><div id="root"></div>');
    writeFileSync(join(uiDir, 'assets', 'index-abc123.js'), 'console.log(1)');
    writeFileSync(join(uiDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    app = await buildApp({ queries: new PgAuditQueries(db.sql), tokens: store, uiDir });
  });

  after(async () => {
    await (app as App | undefined)?.close();
    await db.drop();
    rmSync(uiDir, { recursive: true, force: true });
  });

  it('answers whoami with the token name and role, never the token', async () => {
    const res = await app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${tokens['operator']}` } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { name: 'operator-token', role: 'operator' });
    assert.ok(!res.body.includes(tokens['operator'] ?? 'x'));
    assert.equal((await app.inject({ url: '/v1/whoami' })).statusCode, 401);
  });

  it('serves the UI without a token: hashed assets immutable, the shell never cached, CSP on every page', async () => {
    const asset = await app.inject({ url: '/ui/assets/index-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(asset.headers['cache-control'] as string, /immutable/);
    assert.match(asset.headers['cache-control'] as string, /max-age=31536000/);
    for (const url of ['/ui/', '/ui/clusters/prod-eu', '/ui/commits/abc?x=1']) {
      const page = await app.inject({ url });
      assert.equal(page.statusCode, 200, url);
      assert.match(page.body, /<div id="root">/);
      assert.equal(page.headers['cache-control'], 'no-cache');
      assert.equal(page.headers['content-security-policy'], UI_SECURITY_HEADERS['content-security-policy']);
      assert.equal(page.headers['x-frame-options'], 'DENY');
    }
    const favicon = await app.inject({ url: '/ui/favicon.svg' });
    assert.equal(favicon.headers['cache-control'], 'no-cache');
    assert.equal((await app.inject({ url: '/ui/assets/index-old999.js' })).statusCode, 404);
    const escape = await app.inject({ url: '/ui/..%2f..%2fpackage.json' });
    assert.match(escape.body, /<div id="root">/, 'a path climbing out of the UI folder gets the app shell, not a file');
    assert.equal((await app.inject({ url: '/' })).headers['location'], '/ui/');
    assert.equal((await app.inject({ url: '/ui' })).headers['location'], '/ui/');
  });

  it('explains how to build the UI when there is none', async () => {
    const bare = await buildApp({ queries: new PgAuditQueries(db.sql), tokens: new PgTokenStore(db.sql) });
    try {
      const res = await bare.inject({ url: '/ui/' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /npm run build -w @driftless\/ui/);
      assert.match(res.body, /DRIFTLESS_AUDIT_UI_DIR/);
    } finally {
      await bare.close();
    }
  });
});
