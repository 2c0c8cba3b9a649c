/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-explicit-any -- response bodies are checked by value */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { POSTGRES_URL } from '@driftless/testkit';
import { PgLedgerWriter } from '../adapters/pg-ledger-writer.js';
import { PgAuditQueries } from '../adapters/pg-queries.js';
import { migrateAuditDb } from '../adapters/pg-schema.js';
import { PgTokenStore } from '../adapters/pg-tokens.js';
import { clock, commit, events } from '../testing/fixtures.js';
import { buildApp } from './app.js';
import { InventoryCache } from './inventory-cache.js';

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
