/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- response bodies are checked by value; their types are what the API under test decides */
/**
 * Promotions through the API and the engine against the real things: Postgres (a scratch
 * database), NATS (JetStream for the ledger's events, request/reply for the promote command, which
 * this test answers as the repo-watcher would), and the ingest writing every step into the ledger.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodePromoteRequest, subjects, type PromoteReply, type PromoteRequest, type PromotionGates } from '@driftless/contracts';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, provision, wireSubject, type ResourceNames } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, POSTGRES_URL, eventually, uniqueName } from '@driftless/testkit';
import { runNatsIngest } from './adapters/nats-ingest.js';
import { NatsPromoteCommander } from './adapters/nats-promote.js';
import { JetStreamEventPublisher } from './adapters/nats-registration.js';
import { PgApiTokenStore } from './adapters/pg-api-tokens.js';
import { PgHeldChanges } from './adapters/pg-held-changes.js';
import { PgLedgerWriter } from './adapters/pg-ledger-writer.js';
import { PgEngineLease, PgPromotionStore } from './adapters/pg-promotions.js';
import { PgAuditQueries } from './adapters/pg-queries.js';
import { migrateAuditDb } from './adapters/pg-schema.js';
import { buildApp } from './http/app.js';
import { IngestWorker } from './ingest.js';
import { ChangeApprovals } from './promotion-changes.js';
import { PromotionEngine } from './promotion-engine.js';
import { Promotions } from './promotions.js';
import { clock, commit, events } from './testing/fixtures.js';

const log = createLogger({ name: 'promotions-test', level: 'silent' });
const NO_GATES: PromotionGates = { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false };
const STAGES: Record<string, { name: string; labels: Record<string, string> }[]> = {
  dev: [{ name: 'dev-1', labels: {} }],
  test: [{ name: 'test-1', labels: {} }],
  prod: [
    { name: 'prod-3', labels: { region: 'us' } },
    { name: 'prod-1', labels: { region: 'eu' } },
    { name: 'prod-2', labels: { region: 'eu' } },
  ],
};
const PREVIOUS: Record<string, string | null> = { dev: null, test: 'dev', prod: 'test' };
const shaOf = (text: string) => createHash('sha1').update(text).digest('hex');

/** The repo-watcher's side of the promote command, as this test plays it. */
class FakeWatcherReplies {
  readonly requests: PromoteRequest[] = [];
  mode: 'answer' | 'silent' | 'conflict' = 'answer';
  /** Plans are answered, commits are not. */
  isCommitSilent = false;
  gates: Record<string, PromotionGates> = { dev: NO_GATES, test: NO_GATES, prod: NO_GATES };
  readonly stageVersions: Record<string, Record<string, string>> = { dev: { cart: '1.3.0' }, test: { cart: '1.2.0' }, prod: { cart: '1.1.0' } };

  reply(req: PromoteRequest): PromoteReply | undefined {
    this.requests.push(req);
    if (this.mode === 'silent' || (this.isCommitSilent && req.op === 'commit')) return undefined;
    if (this.mode === 'conflict' && req.op === 'commit') return { ok: false, code: 'conflict', message: 'the branch moved while committing' };
    const previous = PREVIOUS[req.stage] ?? null;
    const clusters = STAGES[req.stage];
    if (!clusters) return { ok: false, code: 'not_found', message: `no stage ${req.stage}` };
    const components = req.components.map((c) => ({
      component: c.component,
      version: c.version ?? this.stageVersions[previous ?? '']?.[c.component] ?? '0.0.0',
      currentVersion: this.stageVersions[req.stage]?.[c.component] ?? null,
      previousStageVersion: previous === null ? null : (this.stageVersions[previous]?.[c.component] ?? null),
    }));
    const plan = {
      repo: req.repo,
      baseSha: shaOf('base'),
      stage: req.stage,
      previousStage: previous,
      components,
      clusters,
      previousStageClusters: previous === null ? [] : (STAGES[previous] ?? []).flatMap((c) => components.map((x) => ({ cluster: c.name, component: x.component }))),
      changes: clusters.flatMap((c) => components.map((x) => ({ cluster: c.name, component: x.component, apps: ['shop'], fromVersion: x.currentVersion, toVersion: x.version, objects: 3, prunes: [] }))),
      unchanged: [],
      gates: this.gates[req.stage] ?? NO_GATES,
    };
    return req.op === 'plan' ? { ok: true, plan } : { ok: true, plan, commitSha: shaOf(req.promotionId) };
  }

  commits(promotionId: string): PromoteRequest[] {
    return this.requests.filter((r) => r.op === 'commit' && r.promotionId.startsWith(promotionId));
  }
}

describe('promotions: API, engine, promote command and ledger', () => {
  let db: ScratchDatabase;
  let nc: Awaited<ReturnType<typeof connectNats>>;
  let names: ResourceNames;
  let app: Awaited<ReturnType<typeof buildApp>>;
  let writer: PgLedgerWriter;
  const watcher = new FakeWatcherReplies();
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  const tokens: Record<'alice' | 'bob' | 'carol' | 'vic' | 'dave', string> = { alice: '', bob: '', carol: '', vic: '', dave: '' };
  const tick = clock(Date.now() - 3_600_000);

  const call = async (method: 'GET' | 'POST', url: string, who: keyof typeof tokens | null, body?: unknown) => {
    const res = await app.inject({ method, url, headers: who ? { authorization: `Bearer ${tokens[who]}` } : {}, ...(method === 'POST' ? { payload: (body ?? {}) as Record<string, unknown> } : {}) });
    return { status: res.statusCode, type: String(res.headers['content-type']), json: () => res.json() };
  };
  const promotion = async (id: string) => (await call('GET', `/v1/promotions/${id}`, 'vic')).json();
  const waitForStatus = (id: string, status: string, what = `promotion ${id} to be ${status}`) =>
    eventually(async () => ((await promotion(id)).status === status ? promotion(id) : undefined), { what, timeoutMs: 15_000, intervalMs: 50 });
  const ledger = async (promotionId: string) => {
    const rows = await db.sql<{ kind: string; actor: string | null; detail: Record<string, unknown>; commit_sha: string | null }[]>`
      select kind, actor, detail, commit_sha from transitions where detail->>'promotionId' = ${promotionId} order by seq`;
    return rows;
  };
  const record = (list: Parameters<PgLedgerWriter['write']>[0]['events']) => writer.write({ events: list, deadLetters: [] });

  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_promotions');
    await migrateAuditDb(db.sql);
    writer = new PgLedgerWriter(db.sql);
    nc = await connectNats({ servers: NATS_URL, name: 'audit-promotions-test' });
    names = isolatedNames('promo');
    const { js } = await provision(nc, { names });

    // The ledger: every published step arrives through the normal ingest.
    const worker = new IngestWorker({ writer: new PgLedgerWriter(db.sql), log, subjectPrefix: names.subjectPrefix, retryInitialDelayMs: 50, retryMaxDelayMs: 400, signal: stop.signal });
    running.push(runNatsIngest({ js, stream: names.eventsStream, durable: uniqueName('audit'), subjectPrefix: names.subjectPrefix, maxBatch: 100, maxWaitMs: 1000, worker, signal: stop.signal, log }));

    // The repo-watcher's promote command, answered here.
    const sub = nc.subscribe(wireSubject(subjects.promoteCommand('envs'), names.subjectPrefix));
    running.push(
      (async () => {
        for await (const m of sub) {
          const answer = watcher.reply(decodePromoteRequest(m.data));
          if (answer) m.respond(JSON.stringify(answer));
        }
      })(),
    );
    stop.signal.addEventListener('abort', () => sub.unsubscribe());

    const store = new PgPromotionStore(db.sql);
    const publisher = new JetStreamEventPublisher(js, names.subjectPrefix);
    const commander = new NatsPromoteCommander(nc, { subjectPrefix: names.subjectPrefix, timeoutMs: 300 });
    const engine = new PromotionEngine({ store, facts: store, commander, events: publisher, lease: new PgEngineLease(db.sql), tickMs: 100, log });
    running.push(engine.run(stop.signal));
    const apiTokens = new PgApiTokenStore(db.sql);
    tokens.alice = (await apiTokens.create('alice', 'operator', 'test', 'alice@example.com')).secret;
    tokens.bob = (await apiTokens.create('bob', 'operator', 'test', 'bob@example.com')).secret;
    tokens.carol = (await apiTokens.create('carol', 'admin', 'test')).secret;
    tokens.vic = (await apiTokens.create('vic', 'viewer', 'test')).secret;
    tokens.dave = (await apiTokens.create('dave', 'operator', 'test', 'dave@example.com')).secret;
    app = await buildApp({
      queries: new PgAuditQueries(db.sql),
      tokens: apiTokens,
      tokenAdmin: apiTokens,
      promotions: new Promotions({ store, facts: store, people: store, commander, events: publisher, onChange: () => engine.poke(), log }),
      changeApprovals: new ChangeApprovals({ held: new PgHeldChanges(db.sql), people: store, events: publisher, log }),
    });

    // The ledger's facts: cart runs 1.2.0 on test, prod ran 1.0.0 and now 1.1.0.
    const c1 = commit(1);
    const c2 = commit(2);
    await record([
      events.desiredChanged({ cluster: 'test-1', component: 'cart', stage: 'test', version: '1.2.0', commit: c1, time: tick() }),
      events.applied({ cluster: 'test-1', component: 'cart', version: '1.2.0', commitSha: c1.sha, time: tick() }),
      ...['prod-1', 'prod-2', 'prod-3'].flatMap((cluster) => [
        events.desiredChanged({ cluster, component: 'cart', stage: 'prod', version: '1.0.0', commit: c1, time: tick() }),
        events.desiredChanged({ cluster, component: 'cart', stage: 'prod', version: '1.1.0', commit: c2, time: tick() }),
        events.applied({ cluster, component: 'cart', version: '1.1.0', commitSha: c2.sha, time: tick() }),
        events.healthChanged({ cluster, component: 'cart', version: '1.1.0', from: null, to: 'Healthy', time: tick() }),
      ]),
    ]);
  });

  after(async () => {
    stop.abort();
    await Promise.allSettled(running);
    await app?.close();
    await removeResources(nc, names).catch(() => undefined);
    await nc?.close();
    await db?.drop();
  });

  it('refuses callers without a token or the operator role, and a malformed request, with a problem', async () => {
    const body = { component: 'cart', toStage: 'prod' };
    assert.equal((await call('POST', '/v1/promotions', null, body)).status, 401);
    const viewer = await call('POST', '/v1/promotions', 'vic', body);
    assert.equal(viewer.status, 403);
    assert.match(viewer.type, /problem\+json/);
    const both = await call('POST', '/v1/promotions', 'alice', { ...body, components: [{ component: 'cart' }] });
    assert.equal(both.status, 400);
    assert.match(both.json().detail, /either "component".*or "components"/);
    const unknown = await call('POST', '/v1/promotions', 'alice', { component: 'nope', toStage: 'prod' });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json().detail, /no environment repository deploys component "nope"/);
    const badCluster = await call('POST', '/v1/promotions', 'alice', { ...body, clusters: ['prod-9'] });
    assert.equal(badCluster.status, 400);
    assert.match(badCluster.json().detail, /not a cluster of the stage: prod-9/);
  });

  it('shows the plan of a dry run and records nothing', async () => {
    const res = await call('POST', '/v1/promotions', 'alice', { component: 'cart', toStage: 'prod', selector: 'region=eu', wave: 1, dryRun: true });
    assert.equal(res.status, 200);
    const body = res.json();
    assert.equal(body.plan.components[0].version, '1.2.0', 'the version running on the previous stage');
    assert.deepEqual(body.targets, ['prod-1', 'prod-2']);
    assert.deepEqual(body.waves, [['prod-1'], ['prod-2']]);
    assert.equal((await call('GET', '/v1/promotions', 'vic')).json().items.length, 0);
  });

  it('promotes test → prod after the soak time and two approvals, refusing the requester’s own approval', async () => {
    watcher.gates.prod = { soakSeconds: 1, approvals: 2, windows: [], isRollbackExempt: false };
    const created = await call('POST', '/v1/promotions', 'alice', { component: 'cart', toStage: 'prod', reason: 'release 1.2.0' });
    assert.equal(created.status, 201);
    const id = created.json().id as string;
    assert.equal(created.json().author.email, 'alice@example.com');

    const waiting = await eventually(async () => {
      const p = await promotion(id);
      return p.status === 'waiting' ? p : undefined;
    });
    assert.deepEqual(
      waiting.pending.map((x: { gate: string }) => x.gate),
      ['soak', 'approvals'],
    );
    assert.match(waiting.pending[0].message, /test-1 is of unknown health/);

    const self = await call('POST', `/v1/promotions/${id}/approve`, 'alice');
    assert.equal(self.status, 403);
    assert.match(self.json().detail, /token:alice requested promotion .* cannot approve it/);
    assert.equal((await call('POST', `/v1/promotions/${id}/approve`, 'vic')).status, 403);
    assert.equal((await call('POST', `/v1/promotions/${id}/approve`, 'bob', { comment: 'looks good' })).status, 200);
    const twice = await call('POST', `/v1/promotions/${id}/approve`, 'bob');
    assert.equal(twice.status, 409);
    assert.match(twice.json().detail, /already approved/);
    assert.equal((await call('POST', `/v1/promotions/${id}/approve`, 'carol')).status, 200);

    // Approved by two, but test-1 is not healthy yet: no commit.
    await eventually(async () => ((await promotion(id)).pending.length === 1 ? true : undefined), { what: 'only the soak gate left' });
    assert.equal(watcher.commits(id).length, 0);
    await record([events.healthChanged({ cluster: 'test-1', component: 'cart', version: '1.2.0', from: null, to: 'Healthy', time: new Date() })]);

    const done = await waitForStatus(id, 'committed');
    assert.equal(done.commits.length, 1);
    assert.deepEqual(
      done.approvals.map((a: { approver: string }) => a.approver),
      ['token:bob', 'token:carol'],
    );
    const [sent] = watcher.commits(id);
    assert.equal(sent?.promotionId, id);
    assert.deepEqual(sent?.requester, { name: 'alice', email: 'alice@example.com' });
    assert.equal(sent?.clusters, undefined, 'the stage file, not pins');
    assert.equal(sent?.reason, 'release 1.2.0');

    const steps = await eventually(async () => {
      const rows = await ledger(id);
      return rows.some((r) => r.kind === 'promotion_committed') ? rows : undefined;
    });
    assert.deepEqual(
      steps.filter((r) => r.kind !== 'promotion_waiting').map((r) => [r.kind, r.actor]),
      [
        ['promotion_requested', 'token:alice'],
        ['promotion_approved', 'token:bob'],
        ['promotion_approved', 'token:carol'],
        ['promotion_committed', 'token:alice'],
      ],
    );
    assert.equal(steps.find((r) => r.kind === 'promotion_committed')?.commit_sha, shaOf(id));
    assert.ok(steps.some((r) => r.kind === 'promotion_waiting'), 'what it waited for is recorded');
    watcher.stageVersions.prod = { cart: '1.2.0' };
    watcher.gates.prod = NO_GATES;
  });

  it('rejects a promotion with the rejecter and reason, after which it cannot be approved', async () => {
    watcher.gates.test = { ...NO_GATES, approvals: 1 };
    const id = (await call('POST', '/v1/promotions', 'bob', { component: 'cart', toStage: 'test', version: '1.3.0' })).json().id as string;
    await waitForStatus(id, 'waiting');
    const second = await call('POST', '/v1/promotions', 'carol', { component: 'cart', toStage: 'test', version: '1.3.0' });
    assert.equal(second.status, 409, 'one open promotion per component and stage');
    assert.match(second.json().detail, new RegExp(`promotion ${id} .* is still waiting`));
    assert.equal((await call('POST', `/v1/promotions/${id}/reject`, 'vic', { reason: 'no' })).status, 403);
    assert.equal((await call('POST', `/v1/promotions/${id}/reject`, 'alice', {})).status, 400, 'a reason is required');
    const rejected = await call('POST', `/v1/promotions/${id}/reject`, 'alice', { reason: 'payment freeze this week' });
    assert.equal(rejected.status, 200);
    assert.equal(rejected.json().status, 'rejected');
    assert.equal(rejected.json().decidedBy, 'token:alice');
    assert.equal((await call('POST', `/v1/promotions/${id}/approve`, 'carol')).status, 409);
    const rows = await eventually(async () => {
      const all = await ledger(id);
      return all.some((r) => r.kind === 'promotion_rejected') ? all : undefined;
    });
    const row = rows.find((r) => r.kind === 'promotion_rejected');
    assert.equal(row?.actor, 'token:alice');
    assert.equal(row?.detail['reason'], 'payment freeze this week');
    assert.equal(watcher.commits(id).length, 0);
    watcher.gates.test = NO_GATES;
  });

  it('answers the steps of one promotion, and only those, through GET /v1/transitions?promotion=', async () => {
    const ids = (await db.sql<{ id: string }[]>`select distinct detail->>'promotionId' as id from transitions where detail ? 'promotionId'`).map((r) => r.id);
    assert.ok(ids.length >= 2, 'the promotions of the tests before');
    for (const id of ids) {
      const res = await call('GET', `/v1/transitions?promotion=${encodeURIComponent(id)}&limit=1000`, 'vic');
      assert.equal(res.status, 200);
      const items = res.json().items as { seq: number; kind: string; actor: string | null; detail: Record<string, unknown> }[];
      const expected = await ledger(id);
      assert.ok(items.every((i) => i.detail['promotionId'] === id));
      assert.deepEqual(
        items.sort((a, b) => a.seq - b.seq).map((i) => [i.kind, i.actor]),
        expected.map((r) => [r.kind, r.actor]),
      );
    }
    assert.deepEqual((await call('GET', '/v1/transitions?promotion=no-such-promotion', 'vic')).json().items, []);
  });

  it('keeps waiting while the repo-watcher does not answer, records it once, and commits when it does', async () => {
    watcher.isCommitSilent = true;
    const id = (await call('POST', '/v1/promotions', 'bob', { component: 'cart', toStage: 'test', version: '1.3.0' })).json().id as string;
    await eventually(async () => ((await promotion(id)).watcherError ? true : undefined), { what: 'the watcher failure recorded', timeoutMs: 10_000 });
    const stuck = await promotion(id);
    assert.equal(stuck.status, 'committing');
    assert.match(stuck.watcherError, /repo-watcher/);
    await new Promise((r) => setTimeout(r, 700));
    assert.ok(watcher.commits(id).length >= 2, 'asked again');
    watcher.isCommitSilent = false;
    const done = await waitForStatus(id, 'committed');
    assert.equal(done.watcherError, null);
    watcher.stageVersions.test = { cart: '1.3.0' };
  });

  it('rejects a promotion the repo-watcher keeps refusing, with its message', async () => {
    watcher.mode = 'conflict';
    const id = (await call('POST', '/v1/promotions', 'bob', { component: 'cart', toStage: 'dev', version: '1.4.0' })).json().id as string;
    const done = await waitForStatus(id, 'rejected');
    watcher.mode = 'answer';
    assert.match(done.statusReason, /refused the commit 3 times: conflict: the branch moved/);
    assert.equal(done.decidedBy, null);
  });

  it('rolls out in waves and halts when a wave turns Degraded, leaving later clusters untouched', async () => {
    const created = await call('POST', '/v1/promotions', 'alice', { component: 'cart', toStage: 'prod', version: '1.3.0', wave: 1 });
    assert.equal(created.status, 201);
    const id = created.json().id as string;
    assert.deepEqual(
      created.json().waves.map((w: { clusters: string[] }) => w.clusters),
      [['prod-1'], ['prod-2'], ['prod-3']],
    );
    await eventually(() => (watcher.commits(id).length === 1 ? true : undefined), { what: 'wave 1 committed' });
    assert.deepEqual(watcher.commits(id)[0]?.clusters, ['prod-1']);
    assert.equal(watcher.commits(id)[0]?.promotionId, `${id}.wave-1`);
    const waiting = await eventually(async () => {
      const p = await promotion(id);
      return p.pending[0]?.gate === 'wave' ? p : undefined;
    });
    assert.match(waiting.pending[0].message, /wave 1 of 3 \(prod-1\)/);

    // prod-1 runs it healthy: wave 2 follows.
    await record([
      events.applied({ cluster: 'prod-1', component: 'cart', version: '1.3.0', time: new Date() }),
      events.healthChanged({ cluster: 'prod-1', component: 'cart', version: '1.3.0', from: 'Healthy', to: 'Progressing', time: new Date(Date.now() + 1) }),
      events.healthChanged({ cluster: 'prod-1', component: 'cart', version: '1.3.0', from: 'Progressing', to: 'Healthy', time: new Date(Date.now() + 2) }),
    ]);
    await eventually(() => (watcher.commits(id).length === 2 ? true : undefined), { what: 'wave 2 committed' });
    assert.deepEqual(watcher.commits(id)[1]?.clusters, ['prod-2']);

    // prod-2 turns Degraded: the promotion halts, prod-3 is never asked for.
    await record([
      events.applied({ cluster: 'prod-2', component: 'cart', version: '1.3.0', time: new Date() }),
      events.healthChanged({ cluster: 'prod-2', component: 'cart', version: '1.3.0', from: 'Healthy', to: 'Degraded', time: new Date(Date.now() + 1) }),
    ]);
    const halted = await waitForStatus(id, 'halted');
    assert.equal(halted.statusReason, 'wave 2 of 3: cart 1.3.0 is Degraded on prod-2');
    assert.equal(watcher.commits(id).length, 2);
    const rows = await eventually(async () => {
      const all = await ledger(id);
      return all.some((r) => r.kind === 'promotion_halted') ? all : undefined;
    });
    assert.deepEqual(
      rows.filter((r) => r.kind === 'promotion_committed').map((r) => r.detail['clusters']),
      [['prod-1'], ['prod-2']],
    );
    assert.deepEqual(rows.find((r) => r.kind === 'promotion_halted')?.detail['clusters'], ['prod-2']);
  });

  it('rolls out in waves to the end: each wave healthy, then a final commit of the stage file', async () => {
    const created = await call('POST', '/v1/promotions', 'alice', { component: 'cart', toStage: 'prod', version: '1.4.0', wave: 2 });
    assert.equal(created.status, 201);
    const id = created.json().id as string;
    const healthy = async (clusters: string[]) => {
      for (const cluster of clusters) {
        const t = Date.now();
        await record([
          events.applied({ cluster, component: 'cart', version: '1.4.0', time: new Date(t) }),
          events.healthChanged({ cluster, component: 'cart', version: '1.4.0', from: 'Healthy', to: 'Progressing', time: new Date(t + 1) }),
          events.healthChanged({ cluster, component: 'cart', version: '1.4.0', from: 'Progressing', to: 'Healthy', time: new Date(t + 2) }),
        ]);
      }
    };
    await eventually(() => (watcher.commits(id).length === 1 ? true : undefined), { what: 'wave 1 committed' });
    assert.deepEqual(watcher.commits(id)[0]?.clusters, ['prod-1', 'prod-2']);
    await healthy(['prod-1']);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(watcher.commits(id).length, 1, 'prod-2 is not healthy yet');
    await healthy(['prod-2']);
    await eventually(() => (watcher.commits(id).length === 2 ? true : undefined), { what: 'wave 2 committed' });
    assert.deepEqual(watcher.commits(id)[1]?.clusters, ['prod-3']);
    await healthy(['prod-3']);
    const done = await waitForStatus(id, 'committed');
    const final = watcher.commits(id)[2];
    assert.equal(final?.promotionId, `${id}.final`);
    assert.equal(final?.clusters, undefined, 'the final commit edits the stage file and drops the pins');
    assert.deepEqual(
      done.waves.map((w: { wave: number; clusters: string[]; commitSha: string | null }) => [w.wave, w.clusters, w.commitSha !== null]),
      [
        [1, ['prod-1', 'prod-2'], true],
        [2, ['prod-3'], true],
      ],
    );
    assert.equal(done.commits.length, 3);
    watcher.stageVersions.prod = { cart: '1.4.0' };
  });

  it('rolls back to the version the stage ran before, skipping gates when the policy exempts rollbacks', async () => {
    watcher.gates.prod = { soakSeconds: 0, approvals: 2, windows: [], isRollbackExempt: true };
    const created = await call('POST', '/v1/promotions', 'alice', { component: 'cart', toStage: 'prod', kind: 'rollback' });
    assert.equal(created.status, 201);
    const body = created.json();
    assert.equal(body.kind, 'rollback');
    // The ledger saw prod's desired versions 1.0.0 then 1.1.0 (this test's watcher publishes none).
    assert.equal(body.components[0].version, '1.0.0', 'the version prod ran before 1.1.0, from the ledger');
    const done = await waitForStatus(body.id, 'committed');
    assert.equal(done.approvals.length, 0);
    assert.equal(watcher.commits(body.id)[0]?.kind, 'rollback');
    watcher.gates.prod = NO_GATES;
  });

  it('lists promotions newest first with filters and a cursor; viewers read', async () => {
    const all = (await call('GET', '/v1/promotions?limit=2', 'vic')).json();
    assert.equal(all.items.length, 2);
    assert.ok(all.nextCursor);
    const next = (await call('GET', `/v1/promotions?limit=2&cursor=${all.nextCursor}`, 'vic')).json();
    assert.ok(next.items.length > 0);
    assert.ok(next.items.every((p: { id: string }) => !all.items.some((q: { id: string }) => q.id === p.id)));
    const halted = (await call('GET', '/v1/promotions?status=halted', 'vic')).json();
    assert.equal(halted.items.length, 1);
    const prod = (await call('GET', '/v1/promotions?stage=prod&component=cart', 'vic')).json();
    assert.ok(prod.items.every((p: { stage: string }) => p.stage === 'prod'));
    assert.equal((await call('GET', '/v1/promotions/pr_000000000000', 'vic')).status, 404);
  });

  it('lists held commits and approves them, never by their author, never when no approval can release them', async () => {
    const held = commit(70, 'dave@example.com');
    const unsigned = commit(71, 'erin@example.com');
    await record([
      events.changeHeld({ commit: held, stage: 'prod', time: tick() }),
      {
        ...events.changeHeld({ commit: unsigned, stage: 'prod', time: tick() }),
        id: 'unsigned-held',
        data: { repo: 'envs', commit: unsigned, stages: ['prod'], reasons: [{ rule: 'signature', stage: 'prod', message: 'prod requires signed commits' }], isApprovable: false, clusters: { changed: 3, removed: 0 } },
      },
    ]);
    const list = (await call('GET', '/v1/changes', 'vic')).json();
    assert.deepEqual(
      list.items.map((c: { commit: { sha: string } }) => c.commit.sha),
      [unsigned.sha, held.sha],
    );
    assert.equal((await call('POST', `/v1/changes/${held.sha}/approve`, 'vic')).status, 403);
    const own = await call('POST', `/v1/changes/${held.sha}/approve`, 'dave');
    assert.equal(own.status, 403);
    assert.match(own.json().detail, /authored commit/);
    const never = await call('POST', `/v1/changes/${unsigned.sha}/approve`, 'bob');
    assert.equal(never.status, 409);
    assert.match(never.json().detail, /prod requires signed commits/);
    const ok = await call('POST', `/v1/changes/${held.sha}/approve`, 'bob', { comment: 'expected' });
    assert.equal(ok.status, 202);
    assert.deepEqual(ok.json().change.approvers, ['token:bob']);
    const approved = await eventually(async () => {
      const [row] = await db.sql<{ actor: string }[]>`select actor from transitions where kind = 'change_approved' and commit_sha = ${held.sha}`;
      return row;
    });
    assert.equal(approved.actor, 'token:bob');
    assert.equal((await call('POST', `/v1/changes/${held.sha}/approve`, 'bob')).status, 409);
    await record([events.changeReleased({ commitSha: held.sha, stage: 'prod', time: tick() })]);
    assert.deepEqual(
      (await call('GET', '/v1/changes', 'vic')).json().items.map((c: { commit: { sha: string } }) => c.commit.sha),
      [unsigned.sha],
      'released commits leave the list',
    );
    assert.equal((await call('GET', '/v1/changes?all=true', 'vic')).json().items.length, 2);
  });

  it('documents the promotion and change routes with request and response schemas', async () => {
    const doc = (await call('GET', '/openapi.json', null)).json() as { paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>> };
    for (const [path, method] of [
      ['/v1/promotions', 'post'],
      ['/v1/promotions', 'get'],
      ['/v1/promotions/{id}', 'get'],
      ['/v1/promotions/{id}/approve', 'post'],
      ['/v1/promotions/{id}/reject', 'post'],
      ['/v1/changes', 'get'],
      ['/v1/changes/{sha}/approve', 'post'],
    ] as const) {
      const op = doc.paths[path]?.[method];
      assert.ok(op, `${method} ${path}`);
      assert.ok(op.responses['401'] && op.responses['403'], `${method} ${path} documents 401 and 403`);
      assert.ok(op.responses['200'] ?? op.responses['201'] ?? op.responses['202'], `${method} ${path} documents its success`);
    }
    assert.ok(doc.paths['/v1/promotions']?.['post']?.requestBody, 'the request body is documented');
  });

  it('lets one engine drive promotions at a time (the lease)', async () => {
    const first = new PgEngineLease(db.sql, 0x7465737431n);
    const second = new PgEngineLease(db.sql, 0x7465737431n);
    assert.equal(await first.hold(), true);
    assert.equal(await first.hold(), true, 'holding it again keeps it');
    assert.equal(await second.hold(), false);
    await first.release();
    assert.equal(await second.hold(), true, 'taken over once released');
    await second.release();
  });

  it('creates tokens with an email the commits are authored with', async () => {
    const res = await call('POST', '/v1/tokens', 'carol', { name: 'frank', role: 'operator', email: 'frank@example.com' });
    assert.equal(res.status, 201);
    assert.equal(res.json().token.email, 'frank@example.com');
    assert.equal((await call('POST', '/v1/tokens', 'carol', { name: 'gina', role: 'operator', email: 'not an email' })).status, 400);
  });
});
