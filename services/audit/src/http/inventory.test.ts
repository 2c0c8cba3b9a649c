/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- response bodies are checked by value */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDb, type Sql } from '@driftless/db';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import postgres from 'postgres';
import { POSTGRES_URL } from '@driftless/testkit';
import type { DriftlessEvent } from '@driftless/contracts';
import { PgLedgerWriter } from '../adapters/pg-ledger-writer.js';
import { PgAuditQueries } from '../adapters/pg-queries.js';
import { migrateAuditDb } from '../adapters/pg-schema.js';
import { PgTokenStore } from '../adapters/pg-tokens.js';
import { FleetSnapshotKeeper, type FleetStateSource } from '../fleet-snapshot-keeper.js';
import { clock, commit, events } from '../testing/fixtures.js';
import { buildApp } from './app.js';
import { InventoryCache } from './inventory-cache.js';
import { toInventoryEntry } from './inventory-documents.js';

describe('inventory responses', () => {
  let db: ScratchDatabase;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let writer: PgLedgerWriter;
  let secret = '';
  const tick = clock();
  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_inventory');
    await migrateAuditDb(db.sql);
    const tokens = new PgTokenStore(db.sql);
    secret = (await tokens.create('viewer', 'viewer')).secret;
    writer = new PgLedgerWriter(db.sql);
    const batch = [];
    for (const [cluster, stage] of [['dev-1', 'dev'], ['prod-eu', 'prod'], ['prod-us', 'prod']] as const) {
      for (const component of ['cart', 'pay']) {
        const version = cluster === 'prod-us' && component === 'cart' ? '2.0.0' : '1.0.0';
        batch.push(events.desiredChanged({ cluster, component, stage, version, commit: commit(1), time: tick() }));
        batch.push(events.applied({ cluster, component, version, time: tick() }));
        batch.push(events.healthChanged({ cluster, component, version, from: null, to: 'Healthy', time: tick() }));
      }
    }
    batch.push(events.driftDetected({ cluster: 'prod-eu', component: 'pay', version: '1.0.0', time: tick() }));
    batch.push(events.applyFailed({ cluster: 'dev-1', component: 'pay', version: '1.0.0', time: tick() }));
    await writer.write({ events: batch, deadLetters: [] });
    app = await buildApp({ queries: new PgAuditQueries(db.sql), tokens });
  });
  after(async () => {
    await (app as typeof app | undefined)?.close();
    await db.drop();
  });

  it('the matrix agrees cell by cell with the full inventory', async () => {
    const items = (JSON.parse(await get('/v1/inventory')) as { items: any[] }).items;
    const matrix = JSON.parse(await get('/v1/inventory/matrix')) as { clusters: string[]; components: string[]; columns: string[]; rows: unknown[][]; nextCursor: string | null };
    assert.deepEqual(matrix.clusters, ['dev-1', 'prod-eu', 'prod-us']);
    assert.deepEqual(matrix.components, ['cart', 'pay']);
    assert.deepEqual(matrix.columns, ['cluster', 'component', 'stage', 'desiredVersion', 'appliedVersion', 'health', 'sync', 'isDrifted', 'isSkewed', 'hasProblem']);
    assert.equal(matrix.nextCursor, null);
    assert.equal(matrix.rows.length, items.length);
    const expected = items.map((i) => [
      matrix.clusters.indexOf(i.cluster),
      matrix.components.indexOf(i.component),
      i.stage,
      i.desired?.version ?? null,
      i.applied?.version ?? null,
      i.health?.status ?? null,
      i.sync,
      i.drift?.status === 'Drifted',
      i.skew.isDesiredSkewed || i.skew.isAppliedSkewed,
      i.problem !== null,
    ]);
    assert.deepEqual(matrix.rows, expected);
    // The cases that make the comparison worth something are there.
    assert.ok(matrix.rows.some((r) => r[7] === true) && matrix.rows.some((r) => r[8] === true) && matrix.rows.some((r) => r[9] === true));
    assert.ok(matrix.rows.some((r) => r[6] === 'Failed') && matrix.rows.some((r) => r[6] === 'Synced'));
  });

  it('filters the matrix like the inventory', async () => {
    const skewed = JSON.parse(await get('/v1/inventory/matrix?isSkewed=true')) as { clusters: string[]; components: string[]; rows: unknown[][] };
    assert.deepEqual(skewed.clusters, ['prod-eu', 'prod-us']);
    assert.deepEqual(skewed.components, ['cart']);
    const dev = JSON.parse(await get('/v1/inventory/matrix?stage=dev')) as { clusters: string[]; rows: unknown[][] };
    assert.deepEqual(dev.clusters, ['dev-1']);
    assert.equal(dev.rows.length, 2);
  });

  it('answers a repeated request with the same document, and a transition recorded since is visible at once', async () => {
    const first = await get('/v1/inventory?cluster=prod-eu');
    assert.equal(await get('/v1/inventory?cluster=prod-eu'), first);
    const matrixBefore = await get('/v1/inventory/matrix');
    await writer.write({ events: [events.healthChanged({ cluster: 'prod-eu', component: 'cart', version: '1.0.0', from: 'Healthy', to: 'Degraded', time: tick() })], deadLetters: [] });
    const after = JSON.parse(await get('/v1/inventory?cluster=prod-eu')) as { items: any[] };
    assert.equal(after.items.find((i) => i.component === 'cart')?.health.status, 'Degraded');
    const matrix = JSON.parse(await get('/v1/inventory/matrix')) as { clusters: string[]; components: string[]; rows: unknown[][] };
    assert.notEqual(JSON.stringify(matrix), matrixBefore);
    const cell = matrix.rows.find((r) => r[0] === matrix.clusters.indexOf('prod-eu') && r[1] === matrix.components.indexOf('cart'));
    assert.equal(cell?.[5], 'Degraded');
  });

  it('refuses an edited cursor on the matrix', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/inventory/matrix?cursor=nonsense', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /cursor/);
  });
});

describe('InventoryCache', () => {
  const tip = (seq: number) => ({ seq, hash: `h${seq}` });

  it('serves an entry only at the tip it was stored at', () => {
    const cache = new InventoryCache();
    cache.set(tip(1), 'a', 'one');
    assert.equal(cache.get(tip(1), 'a'), 'one');
    assert.equal(cache.get(tip(2), 'a'), undefined);
    assert.equal(cache.get({ seq: 1, hash: 'other' }, 'a'), undefined, 'same position, other chain: not the same ledger');
    cache.set(tip(2), 'a', 'two');
    assert.equal(cache.get(tip(2), 'a'), 'two');
    assert.equal(cache.get(tip(1), 'a'), undefined);
  });

  it('ignores what a slow request computed at an older tip, and keeps within its limits', () => {
    const cache = new InventoryCache({ maxChars: 10, maxEntries: 2 });
    cache.set(tip(5), 'a', 'new');
    cache.set(tip(4), 'a', 'old');
    assert.equal(cache.get(tip(5), 'a'), 'new');
    cache.set(tip(5), 'b', 'bbb');
    cache.set(tip(5), 'c', 'ccc');
    assert.equal(cache.get(tip(5), 'a'), undefined, 'the oldest entry made room');
    assert.equal(cache.get(tip(5), 'c'), 'ccc');
    cache.set(tip(5), 'd', 'x'.repeat(11));
    assert.equal(cache.get(tip(5), 'd'), undefined, 'larger than the whole cache: not kept');
  });
});

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the fleet snapshot behind the inventory routes', () => {
  let db: ScratchDatabase;
  let queries: PgAuditQueries;
  let writer: PgLedgerWriter;
  let snapshotApp: Awaited<ReturnType<typeof buildApp>>;
  /** The same API reading Postgres per request (the path before the snapshot): what every answer must equal. */
  let sqlApp: Awaited<ReturnType<typeof buildApp>>;
  let secret = '';
  const tick = clock(Date.UTC(2026, 10, 28, 12, 0, 0));
  const rnd = random(20261127);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const clusters = [
    ['dev-1', 'dev'],
    ['dev-2', 'dev'],
    ['test-1', 'test'],
    ['prod-eu', 'prod'],
    ['prod-us', 'prod'],
  ] as const;
  const components = ['api', 'cart', 'db', 'pay', 'search', 'web'];
  const versions = ['1.0.0', '1.1.0', '2.0.0'];
  const write = async (list: DriftlessEvent[]) => writer.write({ events: list, deadLetters: [] });
  const get = async (app: typeof sqlApp, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.body;
  };

  /** Random reports about random pairs, some of them late (older than what is recorded). */
  function randomEvents(count: number): DriftlessEvent[] {
    return Array.from({ length: count }, () => {
      const [cluster, stage] = pick(clusters);
      const component = pick(components);
      const version = pick(versions);
      const time = rnd() < 0.15 ? new Date(tick().getTime() - 3_600_000) : tick();
      switch (Math.floor(rnd() * 8)) {
        case 0:
        case 1:
          return events.desiredChanged({ cluster, component, stage, version, commit: commit(1 + Math.floor(rnd() * 5)), time });
        case 2:
          return events.desiredRemoved({ cluster, component, commit: commit(9), previous: { version }, time });
        case 3:
          return events.applied({ cluster, component, version, time });
        case 4:
          return events.applyFailed({ cluster, component, version, time });
        case 5:
          return events.healthChanged({ cluster, component, version, from: null, to: pick(['Healthy', 'Degraded', 'Progressing'] as const), time });
        case 6:
          return rnd() < 0.5 ? events.driftDetected({ cluster, component, version, time }) : events.driftCorrected({ cluster, component, version, time });
        default:
          return events.pruneBlocked({ cluster, component, version, time });
      }
    });
  }

  /** Random filters and pages of both routes, each answered byte for byte as the SQL path answers it. */
  async function assertSameAsSql(requests: number): Promise<void> {
    // The whole fleet, which the matrix joins from kept per-cluster text.
    for (const url of ['/v1/inventory/matrix', '/v1/inventory?limit=1000']) assert.equal(await get(snapshotApp, url), await get(sqlApp, url), url);
    for (let i = 0; i < requests; i++) {
      const params = new URLSearchParams();
      if (rnd() < 0.3) params.set('cluster', pick([...clusters.map(([c]) => c), 'edge-1', 'nowhere']));
      if (rnd() < 0.3) params.set('component', pick(components));
      if (rnd() < 0.3) params.set('stage', pick(['dev', 'test', 'prod']));
      if (rnd() < 0.3) params.set('isSkewed', String(rnd() < 0.5));
      const route = rnd() < 0.5 ? 'matrix' : 'inventory';
      if (route === 'inventory') params.set('limit', String(1 + Math.floor(rnd() * 12)));
      // Follow the cursor for a few pages (the matrix takes the inventory's cursors).
      for (let pageNo = 0; pageNo < 4; pageNo++) {
        const url = `/v1/inventory${route === 'matrix' ? '/matrix' : ''}?${params.toString()}`;
        const expected = await get(sqlApp, url);
        assert.equal(await get(snapshotApp, url), expected, url);
        const next = (JSON.parse(expected) as { nextCursor: string | null }).nextCursor;
        if (next === null) break;
        params.set('cursor', next);
      }
      if (route === 'inventory' && rnd() < 0.3) {
        // A cursor taken from the inventory, handed to the matrix.
        const page = JSON.parse(await get(sqlApp, `/v1/inventory?limit=${1 + Math.floor(rnd() * 20)}`)) as { nextCursor: string | null };
        if (page.nextCursor !== null) assert.equal(await get(snapshotApp, `/v1/inventory/matrix?cursor=${page.nextCursor}`), await get(sqlApp, `/v1/inventory/matrix?cursor=${page.nextCursor}`));
      }
    }
  }

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_fleet_snapshot');
    await migrateAuditDb(db.sql);
    const tokens = new PgTokenStore(db.sql);
    secret = (await tokens.create('viewer', 'viewer')).secret;
    writer = new PgLedgerWriter(db.sql);
    queries = new PgAuditQueries(db.sql);
    await write(randomEvents(120));
    snapshotApp = await buildApp({ queries, tokens });
    sqlApp = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0, snapshot: { maxPairs: 0 } }) });
  });
  after(async () => {
    await (snapshotApp as typeof snapshotApp | undefined)?.close();
    await (sqlApp as typeof sqlApp | undefined)?.close();
    await db.drop();
  });

  it('answers every filter and page as the SQL path does while transitions keep arriving through the ingest writer', async () => {
    await assertSameAsSql(30);
    for (let round = 0; round < 8; round++) {
      await write(randomEvents(1 + Math.floor(rnd() * 25)));
      // Rows that change no state are in the ledger too (and move the tip).
      if (round === 3) await write([events.heartbeat({ cluster: 'dev-1', time: tick() }), events.promotionRequested({ component: 'cart', version: '2.0.0', toStage: 'prod', time: tick() })]);
      if (round === 5) await write([events.clusterRevoked({ cluster: 'dev-2', time: tick() })]);
      await assertSameAsSql(12);
    }
    // The comparisons covered the cases that make them worth something.
    const all = JSON.parse(await get(sqlApp, '/v1/inventory?limit=1000')) as { items: { sync: string; skew: { isAppliedSkewed: boolean; isDesiredSkewed: boolean } }[] };
    const syncs = new Set(all.items.map((i) => i.sync));
    for (const sync of ['Synced', 'OutOfSync', 'Failed', 'Removed']) assert.ok(syncs.has(sync), `no ${sync} pair`);
    assert.ok(all.items.some((i) => i.skew.isAppliedSkewed || i.skew.isDesiredSkewed));
  });

  it('shows the stage a registration gives the pairs of its cluster', async () => {
    // Pairs only an agent reported on: no placement, so they take their cluster's stage — none yet.
    await write([events.applied({ cluster: 'edge-1', component: 'cart', version: '1.0.0', time: tick() }), events.applied({ cluster: 'edge-1', component: 'web', version: '9.9.9', time: tick() })]);
    const before = JSON.parse(await get(snapshotApp, '/v1/inventory?cluster=edge-1')) as { items: { stage: string | null }[] };
    assert.deepEqual(before.items.map((i) => i.stage), [null, null]);
    await write([events.clusterRegistered({ cluster: 'edge-1', stage: 'prod', time: tick() })]);
    const after = JSON.parse(await get(snapshotApp, '/v1/inventory?cluster=edge-1')) as { items: { stage: string | null; skew: { appliedVersions: string[] } }[] };
    assert.deepEqual(after.items.map((i) => i.stage), ['prod', 'prod']);
    // And the pairs now count towards the skew of prod's other clusters.
    assert.ok(after.items[1]?.skew.appliedVersions.includes('9.9.9'));
    await assertSameAsSql(20);
  });

  it('flags skew on the rows of a cluster nothing was reported about, when another cluster of its stage moves', async () => {
    const flagOf = (matrix: { clusters: string[]; components: string[]; rows: unknown[][] }, cluster: string) =>
      matrix.rows.find((r) => r[0] === matrix.clusters.indexOf(cluster) && r[1] === matrix.components.indexOf('ledger'))?.[8];
    const both = (version: string) => [
      events.desiredChanged({ cluster: 'prod-eu', component: 'ledger', stage: 'prod', version, commit: commit(7), time: tick() }),
      events.desiredChanged({ cluster: 'prod-us', component: 'ledger', stage: 'prod', version, commit: commit(7), time: tick() }),
    ];
    await write(both('5.0.0'));
    const before = JSON.parse(await get(snapshotApp, '/v1/inventory/matrix')) as { clusters: string[]; components: string[]; rows: unknown[][] };
    assert.equal(flagOf(before, 'prod-eu'), false);
    // Only prod-us moves; prod-eu's row must now say skewed, and back once they agree again.
    await write([events.desiredChanged({ cluster: 'prod-us', component: 'ledger', stage: 'prod', version: '5.1.0', commit: commit(8), time: tick() })]);
    const skewed = await get(snapshotApp, '/v1/inventory/matrix');
    assert.equal(skewed, await get(sqlApp, '/v1/inventory/matrix'));
    assert.equal(flagOf(JSON.parse(skewed) as typeof before, 'prod-eu'), true);
    await write([events.desiredChanged({ cluster: 'prod-us', component: 'ledger', stage: 'prod', version: '5.0.0', commit: commit(9), time: tick() })]);
    assert.equal(flagOf(JSON.parse(await get(snapshotApp, '/v1/inventory/matrix')) as typeof before, 'prod-eu'), false);
  });

  it('re-reads only the changed pairs, and everything after a delta over the limit or a foreign ledger', async () => {
    const keeper = new FleetSnapshotKeeper(queries, toInventoryEntry, { maxPairs: 1000, maxDeltaRows: 5 });
    assert.ok(await keeper.catchUp(await queries.ledgerTip()));
    assert.equal(keeper.stats.fullLoads, 1);
    await write([events.healthChanged({ cluster: 'prod-eu', component: 'pay', version: '1.0.0', from: null, to: 'Missing', time: tick() })]);
    assert.ok(await keeper.catchUp(await queries.ledgerTip()));
    assert.deepEqual({ fullLoads: keeper.stats.fullLoads, deltas: keeper.stats.deltas, pairsReread: keeper.stats.pairsReread }, { fullLoads: 1, deltas: 1, pairsReread: 1 });
    assert.equal(keeper.current?.snapshot.get({ cluster: 'prod-eu', component: 'pay' })?.row?.state.health?.status, 'Missing');
    // Six rows behind: more than the limit, so everything is read again.
    await write(randomEvents(6));
    assert.ok(await keeper.catchUp(await queries.ledgerTip()));
    assert.equal(keeper.stats.fullLoads, 2);
    assert.equal(keeper.current?.tip.seq, (await queries.ledgerTip()).seq);
    // A tip at the same position with another hash is another ledger: read again.
    const tip = await queries.ledgerTip();
    assert.ok(await keeper.catchUp({ seq: tip.seq, hash: 'f'.repeat(64) }));
    assert.equal(keeper.stats.fullLoads, 3);
    // Back on the real ledger; then an older tip, read just before a refresh went further: the snapshot is newer, nothing to do.
    assert.ok(await keeper.catchUp(tip));
    assert.equal(keeper.stats.fullLoads, 4);
    assert.ok(await keeper.catchUp({ seq: tip.seq - 1, hash: 'e'.repeat(64) }));
    assert.equal(keeper.stats.fullLoads, 4);
  });

  it('starts over when the ledger went back to an older tip (a restore)', async () => {
    let isRestored = false;
    const source: FleetStateSource = {
      // After the restore the ledger no longer holds the snapshot's tip.
      inventoryChangesSince: (known, upTo) => (isRestored && known.seq === upTo ? Promise.resolve(null) : queries.inventoryChangesSince(known, upTo)),
      inventoryRowsOf: (changes) => queries.inventoryRowsOf(changes),
      allInventoryRows: (limit) => queries.allInventoryRows(limit),
    };
    const keeper = new FleetSnapshotKeeper(source, toInventoryEntry);
    const tip = await queries.ledgerTip();
    assert.ok(await keeper.catchUp(tip));
    isRestored = true;
    const older = { seq: tip.seq - 3, hash: 'd'.repeat(64) };
    assert.ok(await keeper.catchUp(older));
    assert.equal(keeper.stats.fullLoads, 2, 'read everything again');
    assert.deepEqual(keeper.current?.tip, older);
  });

  it('shares one refresh between concurrent requests', async () => {
    const calls = { changes: 0, rows: 0, all: 0 };
    const source: FleetStateSource = {
      inventoryChangesSince: (known, upTo) => ((calls.changes += 1), queries.inventoryChangesSince(known, upTo)),
      inventoryRowsOf: (changes) => ((calls.rows += 1), queries.inventoryRowsOf(changes)),
      allInventoryRows: (limit) => ((calls.all += 1), queries.allInventoryRows(limit)),
    };
    const keeper = new FleetSnapshotKeeper(source, toInventoryEntry);
    const first = await queries.ledgerTip();
    assert.deepEqual(await Promise.all(Array.from({ length: 8 }, () => keeper.catchUp(first))), Array(8).fill(true));
    assert.equal(calls.all, 1, 'one full read for eight requests');
    await write([events.healthChanged({ cluster: 'dev-1', component: 'web', version: '1.0.0', from: null, to: 'Degraded', time: tick() })]);
    const second = await queries.ledgerTip();
    assert.deepEqual(await Promise.all(Array.from({ length: 8 }, () => keeper.catchUp(second))), Array(8).fill(true));
    assert.deepEqual(calls, { changes: 1, rows: 1, all: 1 });
    assert.equal(keeper.stats.sharedWaits, 14);
    assert.equal(keeper.current?.snapshot.get({ cluster: 'dev-1', component: 'web' })?.row?.state.health?.status, 'Degraded');
  });

  it('turns itself off for a fleet above its limit, and the routes read Postgres instead', async () => {
    const keeper = new FleetSnapshotKeeper(queries, toInventoryEntry, { maxPairs: 3, maxDeltaRows: 100 });
    assert.equal(await keeper.catchUp(await queries.ledgerTip()), false);
    assert.equal(keeper.offReason, 'too-large');
    const tokens = new PgTokenStore(db.sql);
    const small = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ snapshot: { maxPairs: 3 } }) });
    try {
      for (const url of ['/v1/inventory?limit=7', '/v1/inventory/matrix?stage=prod', '/v1/inventory?isSkewed=true']) assert.equal(await get(small, url), await get(sqlApp, url));
    } finally {
      await small.close();
    }
  });
});

describe('the inventory order on a database whose collation sorts names otherwise', () => {
  // ICU with punctuation ignored at first ("shifted"), as glibc's en_US.UTF-8 does: "ab" sorts
  // between "a-b" and "a-c" there, after both by code point.
  const CLUSTERS = ['ab', 'a-c', 'a0', 'a-b'];
  const COMPONENTS = ['weba', 'web-b', 'web'];
  let sql: Sql | undefined;
  let dropDatabase = async () => {};

  before(async () => {
    const name = `audit_collation_${Date.now().toString(36)}`;
    const admin = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`create database ${name} template template0 encoding 'UTF8' locale_provider icu icu_locale 'en-US-u-ka-shifted' lc_collate 'C.UTF-8' lc_ctype 'C.UTF-8'`);
    } finally {
      await admin.end();
    }
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    sql = createDb(url.toString());
    dropDatabase = async () => {
      await sql?.end({ timeout: 1 });
      const dropper = postgres(POSTGRES_URL, { max: 1, onnotice: () => undefined });
      await dropper.unsafe(`drop database if exists ${name} with (force)`).finally(() => dropper.end());
    };
    await migrateAuditDb(sql);
    const tick = clock();
    const list = CLUSTERS.flatMap((cluster) => COMPONENTS.map((component) => events.desiredChanged({ cluster, component, stage: 'prod', version: '1.0.0', commit: commit(1), time: tick() })));
    await new PgLedgerWriter(sql).write({ events: list, deadLetters: [] });
  });
  after(() => dropDatabase());

  it('pages by code point there too, and the fleet snapshot stays on and answers the same', async () => {
    const db = sql as Sql;
    const [sorted] = await db<{ names: string }[]>`select string_agg(c, ' ' order by c) as names from unnest(${CLUSTERS}::text[]) as c`;
    assert.notEqual(sorted?.names, [...CLUSTERS].sort().join(' '), 'the database really sorts otherwise');
    const queries = new PgAuditQueries(db);
    const keeper = new FleetSnapshotKeeper(queries, toInventoryEntry);
    assert.equal(await keeper.catchUp(await queries.ledgerTip()), true);
    assert.equal(keeper.offReason, undefined);

    const tokens = new PgTokenStore(db);
    const secret = (await tokens.create('viewer', 'viewer')).secret;
    const snapshotApp = await buildApp({ queries, tokens });
    const sqlApp = await buildApp({ queries, tokens, inventoryCache: new InventoryCache({ maxChars: 0, snapshot: { maxPairs: 0 } }) });
    try {
      const get = async (app: typeof sqlApp, url: string) => (await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${secret}` } })).body;
      const pairs: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/inventory?limit=5${cursor === null ? '' : `&cursor=${cursor}`}`;
        const body = await get(sqlApp, url);
        assert.equal(await get(snapshotApp, url), body, url);
        const page = JSON.parse(body) as { items: { cluster: string; component: string }[]; nextCursor: string | null };
        pairs.push(...page.items.map((i) => `${i.cluster}/${i.component}`));
        cursor = page.nextCursor;
      } while (cursor !== null);
      const expected = [...CLUSTERS].sort().flatMap((c) => [...COMPONENTS].sort().map((x) => `${c}/${x}`));
      assert.deepEqual(pairs, expected);
      assert.equal(await get(snapshotApp, '/v1/inventory/matrix'), await get(sqlApp, '/v1/inventory/matrix'));
    } finally {
      await snapshotApp.close();
      await sqlApp.close();
    }
  });
});
