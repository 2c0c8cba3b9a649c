/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- response bodies are checked by value; their types are what the API under test decides */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { POSTGRES_URL } from '@driftless/testkit';
import { PgLedgerWriter } from '../adapters/pg-ledger-writer.js';
import { PgAuditQueries } from '../adapters/pg-queries.js';
import { migrateAuditDb } from '../adapters/pg-schema.js';
import { hashToken, PgTokenStore } from '../adapters/pg-tokens.js';
import { clock, commit, events } from '../testing/fixtures.js';
import { buildApp } from './app.js';

type App = Awaited<ReturnType<typeof buildApp>>;

const c1 = commit(1, 'ada@example.com');
const c2 = commit(2, 'bob@example.com');
const CLUSTERS = { 'dev-1': 'dev', 'prod-eu': 'prod', 'prod-us': 'prod' } as const;

describe('audit HTTP API', () => {
  let db: ScratchDatabase;
  let app: App;
  const tokens: Record<'viewer' | 'operator' | 'admin', string> = { viewer: '', operator: '', admin: '' };
  let isPostgresReady = true;
  let afterC1: Date;

  const get = async (url: string, role: keyof typeof tokens | null = 'viewer') => {
    const res = await app.inject({ method: 'GET', url, headers: role ? { authorization: `Bearer ${tokens[role]}` } : {} });
    return { status: res.statusCode, headers: res.headers, body: res.body, json: () => res.json() };
  };

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_http');
    await migrateAuditDb(db.sql);
    const store = new PgTokenStore(db.sql);
    for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = (await store.create(`${role}-token`, role)).secret;

    const tick = clock();
    const writer = new PgLedgerWriter(db.sql);
    const batch = [];
    for (const [cluster, stage] of Object.entries(CLUSTERS)) {
      batch.push(events.clusterRegistered({ cluster, stage, labels: { region: cluster.split('-')[1] ?? 'x' }, time: tick() }));
      batch.push(events.heartbeat({ cluster, agentVersion: '0.3.0', time: tick() }));
    }
    for (const cluster of Object.keys(CLUSTERS)) {
      const stage = CLUSTERS[cluster as keyof typeof CLUSTERS];
      batch.push(events.desiredChanged({ cluster, component: 'cart', stage, version: '1.0.0', commit: c1, apps: ['shop'], time: tick() }));
      batch.push(events.desiredChanged({ cluster, component: 'pay', stage, version: '1.0.0', commit: c1, apps: ['shop', 'admin'], time: tick() }));
      batch.push(events.applied({ cluster, component: 'cart', version: '1.0.0', commitSha: c1.sha, time: tick() }));
      batch.push(events.applied({ cluster, component: 'pay', version: '1.0.0', commitSha: c1.sha, time: tick() }));
      batch.push(events.healthChanged({ cluster, component: 'cart', version: '1.0.0', from: null, to: 'Healthy', time: tick() }));
    }
    await writer.write({ events: batch, deadLetters: [] });
    afterC1 = tick();
    await writer.write({
      events: [
        events.desiredChanged({ cluster: 'dev-1', component: 'cart', stage: 'dev', version: '1.1.0', commit: c2, previous: { version: '1.0.0', hash: 'sha256:'.padEnd(71, '0') }, time: tick() }),
        events.desiredChanged({ cluster: 'prod-eu', component: 'cart', stage: 'prod', version: '1.1.0', commit: c2, time: tick() }),
        events.applied({ cluster: 'prod-eu', component: 'cart', version: '1.1.0', commitSha: c2.sha, time: tick() }),
        events.applyFailed({ cluster: 'dev-1', component: 'cart', version: '1.1.0', reason: 'admission webhook denied', time: tick() }),
        events.driftDetected({ cluster: 'prod-us', component: 'pay', version: '1.0.0', manager: 'kubectl-edit', time: tick() }),
        events.healthChanged({ cluster: 'prod-us', component: 'pay', version: '1.0.0', from: null, to: 'Degraded', time: tick() }),
      ],
      deadLetters: [1, 2, 3].map((i) => ({
        dedupKey: `test-${i}`,
        eventId: null,
        subject: 'driftless.evt.agent.dev-1.cart.applied',
        streamSeq: i,
        reason: `not valid JSON ${i}`,
        payload: new TextEncoder().encode(`{broken ${i}`),
      })),
    });

    app = await buildApp({
      queries: new PgAuditQueries(db.sql),
      tokens: store,
      readiness: [{ name: 'postgres', check: () => (isPostgresReady ? Promise.resolve() : Promise.reject(new Error('connection refused'))) }],
      metrics: { contentType: 'text/plain; version=0.0.4; charset=utf-8', render: () => Promise.resolve('driftless_audit_events_recorded_total 42\n') },
    });
  });

  after(async () => {
    // `app` is unset when `before` failed; the database must still be dropped.
    await (app as App | undefined)?.close();
    await db.drop();
  });

  describe('authentication and roles', () => {
    it('answers 401 problem+json without a token, with a malformed header or an unknown token', async () => {
      for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer not-a-real-token-at-all' }]) {
        const res = await app.inject({ method: 'GET', url: '/v1/transitions', headers });
        assert.equal(res.statusCode, 401);
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="driftless"');
        assert.equal(res.json().type, 'urn:driftless:problem:unauthenticated');
      }
    });

    it('answers 403 when the role is too low, and lets a higher role in', async () => {
      for (const url of ['/v1/audit/verify', '/v1/dead-letters']) {
        const res = await get(url, 'viewer');
        assert.equal(res.status, 403);
        assert.match(res.json().detail, /needs the operator role; token "viewer-token" has the viewer role/);
        assert.equal((await get(url, 'operator')).status, 200);
        assert.equal((await get(url, 'admin')).status, 200);
      }
    });

    it('refuses a revoked token', async () => {
      const store = new PgTokenStore(db.sql);
      const temp = await store.create('temp', 'admin');
      assert.equal((await app.inject({ url: '/v1/clusters', headers: { authorization: `Bearer ${temp.secret}` } })).statusCode, 200);
      await store.revoke(temp.id);
      assert.equal((await app.inject({ url: '/v1/clusters', headers: { authorization: `Bearer ${temp.secret}` } })).statusCode, 401);
    });

    it('stores tokens only as hashes and never returns them', async () => {
      const rows = await db.sql<{ token_hash: string }[]>`select token_hash from api_tokens`;
      assert.ok(rows.some((r) => r.token_hash === hashToken(tokens.viewer)));
      assert.ok(rows.every((r) => !Object.values(tokens).includes(r.token_hash)));
      const bodies = await Promise.all(['/v1/transitions?limit=1000', '/v1/inventory', '/v1/clusters', '/v1/dead-letters', '/openapi.json'].map((u) => get(u, 'admin')));
      for (const { body } of bodies) for (const [, secret] of Object.entries(tokens)) assert.ok(!body.includes(secret) && !body.includes(hashToken(secret)));
    });
  });

  describe('GET /v1/transitions', () => {
    it('lists newest first and pages through everything with a cursor, without overlap', async () => {
      const all = (await get('/v1/transitions?limit=1000')).json().items as { seq: number; occurredAt: string }[];
      assert.ok(all.length > 20);
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.occurredAt >= all[i]!.occurredAt);
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/v1/transitions?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        const page = res.json() as { items: { seq: number }[]; nextCursor: string | null };
        assert.ok(page.items.length <= 7);
        seen.push(...page.items.map((i) => i.seq));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, all.map((t) => t.seq));
    });

    it('filters by cluster, component, stage, actor, kind, app and time', async () => {
      const items = async (query: string) => (await get(`/v1/transitions?limit=1000&${query}`)).json().items as Record<string, unknown>[];
      const cart = await items('cluster=prod-eu&component=cart');
      assert.ok(cart.length > 0 && cart.every((t) => t['cluster'] === 'prod-eu' && t['component'] === 'cart'));
      assert.equal(cart[0]?.['toVersion'], '1.1.0');
      assert.ok((await items('stage=prod')).every((t) => t['stage'] === 'prod'));
      const bob = await items('actor=bob@example.com');
      assert.deepEqual(bob.map((t) => t['kind']), ['desired_changed', 'desired_changed']);
      const kubectl = await items('actor=kubectl-edit');
      assert.deepEqual(kubectl.map((t) => [t['kind'], t['cluster']]), [['drift_detected', 'prod-us']]);
      const failures = await items('kind=apply_failed&kind=drift_detected');
      assert.deepEqual(failures.map((t) => t['kind']).sort(), ['apply_failed', 'drift_detected']);
      const admin = await items('app=admin');
      assert.ok(admin.length > 0 && admin.every((t) => t['component'] === 'pay'));
      const later = await items(`since=${afterC1.toISOString()}`);
      assert.equal(later.length, 6);
      const earlier = await items(`until=${afterC1.toISOString()}`);
      assert.ok(earlier.every((t) => String(t['occurredAt']) < afterC1.toISOString()));
      assert.equal(earlier.length + later.length, (await items('')).length);
    });

    it('refuses bad filters and cursors with a 400 naming the problem', async () => {
      const badName = await get('/v1/transitions?cluster=Prod_EU');
      assert.equal(badName.status, 400);
      assert.match(badName.json().detail, /cluster/);
      assert.equal((await get('/v1/transitions?kind=exploded')).status, 400);
      assert.equal((await get('/v1/transitions?limit=0')).status, 400);
      const badCursor = await get('/v1/transitions?cursor=abc');
      assert.equal(badCursor.status, 400);
      assert.match(badCursor.json().detail, /cursor is not valid/);
      assert.match(String(badCursor.headers['content-type']), /problem\+json/);
    });
  });

  describe('GET /v1/inventory', () => {
    it('shows desired and applied versions, health, drift and sync for every pair', async () => {
      const items = (await get('/v1/inventory')).json().items as Record<string, any>[];
      assert.equal(items.length, 6);
      const prodEuCart = items.find((i) => i['cluster'] === 'prod-eu' && i['component'] === 'cart')!;
      assert.equal(prodEuCart.desired.version, '1.1.0');
      assert.equal(prodEuCart.desired.revision, c2.sha);
      assert.equal(prodEuCart.applied.version, '1.1.0');
      assert.equal(prodEuCart.sync, 'Synced');
      assert.equal(prodEuCart.health.status, 'Healthy');
      const devCart = items.find((i) => i['cluster'] === 'dev-1' && i['component'] === 'cart')!;
      assert.equal(devCart.sync, 'Failed');
      assert.equal(devCart.problem.reason, 'admission webhook denied');
      const usPay = items.find((i) => i['cluster'] === 'prod-us' && i['component'] === 'pay')!;
      assert.equal(usPay.drift.status, 'Drifted');
      assert.equal(usPay.drift.manager, 'kubectl-edit');
      assert.ok(typeof usPay.health.changedAt === 'string');
    });

    it('flags version skew across the clusters of one stage', async () => {
      const items = (await get('/v1/inventory?stage=prod')).json().items as Record<string, any>[];
      assert.equal(items.length, 4);
      const cart = items.filter((i) => i['component'] === 'cart');
      assert.ok(cart.every((i) => i.skew.isDesiredSkewed && i.skew.isAppliedSkewed));
      assert.deepEqual(cart[0]!.skew.appliedVersions, ['1.0.0', '1.1.0']);
      assert.ok(items.filter((i) => i['component'] === 'pay').every((i) => !i.skew.isDesiredSkewed));
      const skewed = (await get('/v1/inventory?isSkewed=true')).json().items as Record<string, any>[];
      assert.deepEqual(skewed.map((i) => `${i['cluster']}/${i['component']}`), ['prod-eu/cart', 'prod-us/cart']);
    });

    it('filters by cluster and component and pages with a cursor', async () => {
      const one = (await get('/v1/inventory?cluster=dev-1&component=pay')).json().items;
      assert.equal(one.length, 1);
      const keys: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = (await get(`/v1/inventory?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json() as { items: Record<string, string>[]; nextCursor: string | null };
        keys.push(...page.items.map((i) => `${i['cluster']}/${i['component']}`));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor);
      assert.equal(pages, 2);
      assert.deepEqual(keys, ['dev-1/cart', 'dev-1/pay', 'prod-eu/cart', 'prod-eu/pay', 'prod-us/cart', 'prod-us/pay']);
      assert.equal((await get(`/v1/inventory?cursor=${encodeURIComponent('x')}`)).status, 400);
    });
  });

  describe('GET /v1/components/{name}/blast-radius', () => {
    it('lists the apps, clusters, stages and versions a change would touch', async () => {
      const body = (await get('/v1/components/pay/blast-radius')).json();
      assert.equal(body.clusterCount, 3);
      assert.deepEqual(body.stages, ['dev', 'prod']);
      assert.deepEqual(body.apps.map((a: { app: string }) => a.app), ['admin', 'shop']);
      assert.equal(body.apps[0].placements.length, 3);
      assert.deepEqual(body.versions, ['1.0.0']);
      const cart = (await get('/v1/components/cart/blast-radius')).json();
      assert.deepEqual(cart.apps.map((a: { app: string }) => a.app), ['shop']);
      assert.deepEqual(cart.versions, ['1.0.0', '1.1.0']);
    });

    it('answers 404 for a component never seen and 400 for a bad name', async () => {
      assert.equal((await get('/v1/components/nope/blast-radius')).status, 404);
      assert.equal((await get('/v1/components/Bad_Name/blast-radius')).status, 400);
    });
  });

  describe('GET /v1/diff', () => {
    it('compares two commits on a cluster', async () => {
      const body = (await get(`/v1/diff?cluster=prod-eu&from=${c1.sha}&to=${c2.sha}`)).json();
      assert.deepEqual(body.changes.map((c: any) => [c.component, c.change, c.from.version, c.to.version]), [['cart', 'changed', '1.0.0', '1.1.0']]);
      const none = (await get(`/v1/diff?cluster=prod-us&from=${c1.sha}&to=${c2.sha}`)).json();
      assert.deepEqual(none.changes, []);
    });

    it('compares two times, on what was desired or what was applied', async () => {
      const from = '2026-01-01T00:00:00Z';
      const to = new Date(Date.now() + 86_400_000).toISOString();
      const desired = (await get(`/v1/diff?cluster=dev-1&from=${from}&to=${to}`)).json();
      assert.deepEqual(desired.changes.map((c: any) => [c.component, c.change, c.to.version]), [['cart', 'added', '1.1.0'], ['pay', 'added', '1.0.0']]);
      const applied = (await get(`/v1/diff?cluster=dev-1&from=${afterC1.toISOString()}&to=${to}&basis=applied`)).json();
      assert.deepEqual(applied.changes, [], 'the failed 1.1.0 was never applied on dev-1');
      const desiredSince = (await get(`/v1/diff?cluster=dev-1&from=${afterC1.toISOString()}&to=${to}`)).json();
      assert.deepEqual(desiredSince.changes.map((c: any) => [c.component, c.from.version, c.to.version]), [['cart', '1.0.0', '1.1.0']]);
    });

    it('refuses a reference that is neither a SHA nor a time, and an unknown commit', async () => {
      const bad = await get('/v1/diff?cluster=dev-1&from=yesterday&to=2026-01-01T00:00:00Z');
      assert.equal(bad.status, 400);
      assert.match(bad.json().detail, /from must be a full commit SHA or an RFC 3339 time/);
      assert.equal((await get(`/v1/diff?cluster=dev-1&from=${'f'.repeat(40)}&to=${c1.sha}`)).status, 404);
      assert.equal((await get('/v1/diff?cluster=dev-1')).status, 400);
    });
  });

  describe('GET /v1/commits/{sha}', () => {
    it('shows what a commit changed and how far each change got', async () => {
      const body = (await get(`/v1/commits/${c2.sha}`)).json();
      assert.equal(body.commit.authorEmail, 'bob@example.com');
      assert.deepEqual(body.targets.map((t: any) => [t.cluster, t.component, t.status]), [['dev-1', 'cart', 'failed'], ['prod-eu', 'cart', 'applied']]);
      assert.equal(body.targets[0].reason, 'admission webhook denied');
      assert.deepEqual(body.counts, { pending: 0, applied: 1, failed: 1, superseded: 0, removed: 0 });
      assert.ok(body.transitions.length >= 3);
      const first = (await get(`/v1/commits/${c1.sha}`)).json();
      assert.deepEqual(first.counts, { pending: 0, applied: 6, failed: 0, superseded: 0, removed: 0 }, 'applied everywhere before the next commit');
    });

    it('answers 404 for an unknown commit and 400 for a malformed SHA', async () => {
      assert.equal((await get(`/v1/commits/${'e'.repeat(40)}`)).status, 404);
      assert.equal((await get('/v1/commits/HEAD')).status, 400);
    });
  });

  describe('GET /v1/clusters', () => {
    it('lists clusters with heartbeat, agent version and counts by health, paged and filtered', async () => {
      const page1 = (await get('/v1/clusters?limit=2')).json();
      assert.deepEqual(page1.items.map((c: any) => c.name), ['dev-1', 'prod-eu']);
      const page2 = (await get(`/v1/clusters?limit=2&cursor=${page1.nextCursor}`)).json();
      assert.deepEqual(page2.items.map((c: any) => c.name), ['prod-us']);
      assert.equal(page2.nextCursor, null);
      const prod = (await get('/v1/clusters?stage=prod')).json();
      assert.deepEqual(prod.items.map((c: any) => c.name), ['prod-eu', 'prod-us']);
      const us = (await get('/v1/clusters/prod-us')).json();
      assert.equal(us.agentVersion, '0.3.0');
      assert.ok(typeof us.lastHeartbeatAt === 'string');
      assert.deepEqual(us.byHealth, { Healthy: 1, Progressing: 0, Degraded: 1, Missing: 0, Unknown: 0 });
      assert.equal(us.driftedCount, 1);
      assert.equal(us.componentCount, 2);
      assert.deepEqual(us.labels, { region: 'us' });
      assert.equal((await get('/v1/clusters/nowhere')).status, 404);
    });
  });

  describe('operations', () => {
    it('serves healthz, readyz (503 when a dependency is down) and metrics without a token', async () => {
      assert.deepEqual((await get('/healthz', null)).json(), { status: 'ok' });
      assert.equal((await get('/readyz', null)).status, 200);
      isPostgresReady = false;
      const down = await get('/readyz', null);
      isPostgresReady = true;
      assert.equal(down.status, 503);
      assert.deepEqual(down.json().checks, [{ name: 'postgres', isReady: false, detail: 'connection refused' }]);
      const metrics = await get('/metrics', null);
      assert.equal(metrics.status, 200);
      assert.match(metrics.body, /driftless_audit_events_recorded_total 42/);
    });

    it('answers unknown routes with a problem document', async () => {
      const res = await get('/v1/nothing-here');
      assert.equal(res.status, 404);
      assert.equal(res.json().type, 'urn:driftless:problem:not-found');
    });

    it('lists dead letters to operators, paged', async () => {
      const page = (await get('/v1/dead-letters?limit=2', 'operator')).json();
      assert.equal(page.items.length, 2);
      assert.equal(page.items[0].payloadPreview, '{broken 1');
      const rest = (await get(`/v1/dead-letters?limit=2&cursor=${page.nextCursor}`, 'operator')).json();
      assert.deepEqual(rest.items.map((d: any) => d.reason), ['not valid JSON 3']);
    });
  });

  describe('OpenAPI', () => {
    it('documents every route with request and response schemas', async () => {
      const res = await get('/openapi.json', null);
      assert.equal(res.status, 200);
      const doc = JSON.parse(res.body) as { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
      assert.match(doc.openapi, /^3\.1\./);
      const expected = [
        '/v1/transitions',
        '/v1/inventory',
        '/v1/inventory/matrix',
        '/v1/components/{name}/blast-radius',
        '/v1/diff',
        '/v1/commits/{sha}',
        '/v1/clusters',
        '/v1/clusters/{name}',
        '/v1/audit/verify',
        '/v1/dead-letters',
        '/v1/whoami',
        '/healthz',
        '/readyz',
        '/metrics',
      ];
      assert.deepEqual(Object.keys(doc.paths).sort(), [...expected].sort());
      for (const [path, operations] of Object.entries(doc.paths)) {
        const op = operations['get'];
        assert.ok(op, `${path} has a GET operation`);
        assert.ok(op.responses['200'], `${path} documents its 200 response`);
        const content = op.responses['200'].content as Record<string, { schema?: unknown }>;
        assert.ok(Object.values(content).every((c) => c.schema !== undefined), `${path} has a 200 response schema`);
        if (path.startsWith('/v1/')) {
          assert.ok(op.responses['401'] && op.responses['403'], `${path} documents 401 and 403`);
          // whoami takes nothing but the token.
          if (path !== '/v1/whoami') assert.ok(op.parameters?.length > 0, `${path} documents its parameters`);
        }
      }
      for (const name of ['Problem', 'Transition', 'InventoryItem', 'Cluster']) assert.ok(doc.components.schemas[name], `components has ${name}`);
      // Every $ref resolves.
      const refs = [...res.body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(refs.length > 0);
      for (const ref of refs) assert.ok(doc.components.schemas[ref], `$ref ${ref} resolves`);
      const docs = await get('/docs/', null);
      assert.equal(docs.status, 200);
      assert.match(docs.body, /swagger/i);
    });
  });

  describe('GET /v1/audit/verify', () => {
    it('reports an intact chain, then the exact row changed by a direct SQL UPDATE', async () => {
      const intact = (await get('/v1/audit/verify', 'operator')).json();
      assert.equal(intact.isIntact, true);
      const [{ n } = { n: 0 }] = await db.sql<{ n: number }[]>`select count(*)::int as n from transitions`;
      assert.equal(intact.checkedRows, n);
      const slice = (await get('/v1/audit/verify?fromSeq=5&limit=3', 'operator')).json();
      assert.deepEqual([slice.firstSeq, slice.lastSeq, slice.checkedRows], [5, 7, 3]);

      const [victim] = await db.sql<{ seq: string }[]>`select seq from transitions where kind = 'applied' and cluster = 'prod-eu' and to_version = '1.1.0'`;
      await db.sql.begin(async (tx) => {
        await tx`set local session_replication_role = replica`;
        await tx`update transitions set to_version = '1.0.9' where seq = ${victim!.seq}`;
      });
      const broken = (await get('/v1/audit/verify', 'operator')).json();
      assert.equal(broken.isIntact, false);
      assert.equal(broken.firstBreak.seq, Number(victim!.seq));
      assert.equal(broken.firstBreak.reason, 'content_mismatch');
      assert.match(broken.firstBreak.message, /changed after it was written/);
    });
  });
});
