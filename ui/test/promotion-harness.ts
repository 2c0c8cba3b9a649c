/**
 * A real audit service with promotions for the UI's browser tests and screenshots: a scratch
 * Postgres database, NATS JetStream (isolated stream and subject prefix) carrying every promotion
 * step into the ledger through the real ingest consumer, the promotion engine, and the
 * repo-watcher's side of the promote command answered here (plans and commits), as
 * services/audit's own promotion tests do.
 */
import { createHash } from 'node:crypto';
import { buildApp, IngestWorker, migrateAuditDb, PgAuditQueries, PgLedgerWriter, runNatsIngest } from '@driftless/audit';
import { PgApiTokenStore } from '@driftless/audit/api-tokens';
import { JetStreamEventPublisher } from '@driftless/audit/event-publisher';
import { PgHeldChanges } from '@driftless/audit/held-changes';
import { NatsPromoteCommander } from '@driftless/audit/promote-commander';
import { PgEngineLease, PgPromotionStore } from '@driftless/audit/promotion-adapters';
import { ChangeApprovals } from '@driftless/audit/promotion-changes';
import { PromotionEngine } from '@driftless/audit/promotion-engine';
import { Promotions } from '@driftless/audit/promotions';
import { TransitionHub } from '@driftless/audit/stream';
import { PgTransitionFeed } from '@driftless/audit/transition-feed';
import { decodePromoteRequest, subjects, type DriftlessEvent, type PromoteReply, type PromoteRequest, type PromotionGates } from '@driftless/contracts';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, provision, wireSubject } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, POSTGRES_URL, uniqueName } from '@driftless/testkit';
import { UI_DIST } from './harness.js';

export const NO_GATES: PromotionGates = { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false };

export interface StageCluster {
  name: string;
  labels: Record<string, string>;
}

/** The repo-watcher's answers to the promote command: a plan rendered from these stages and versions, and a commit per request. */
export class WatcherReplies {
  readonly requests: PromoteRequest[] = [];
  constructor(
    readonly stages: Record<string, { previous: string | null; clusters: StageCluster[]; gates: PromotionGates }>,
    readonly versions: Record<string, Record<string, string>>,
  ) {}

  reply(req: PromoteRequest): PromoteReply {
    this.requests.push(req);
    const stage = this.stages[req.stage];
    if (!stage) return { ok: false, code: 'not_found', message: `no stage ${req.stage}` };
    const previous = stage.previous;
    const components = req.components.map((c) => ({
      component: c.component,
      version: c.version ?? (previous === null ? undefined : this.versions[previous]?.[c.component]) ?? '0.0.0',
      currentVersion: this.versions[req.stage]?.[c.component] ?? null,
      previousStageVersion: previous === null ? null : (this.versions[previous]?.[c.component] ?? null),
    }));
    const previousClusters = previous === null ? [] : (this.stages[previous]?.clusters ?? []);
    const plan = {
      repo: req.repo,
      baseSha: sha1('base'),
      stage: req.stage,
      previousStage: previous,
      components,
      clusters: stage.clusters,
      previousStageClusters: previousClusters.flatMap((c) => components.map((x) => ({ cluster: c.name, component: x.component }))),
      changes: stage.clusters.flatMap((c) =>
        components.map((x) => ({ cluster: c.name, component: x.component, apps: ['shop'], fromVersion: x.currentVersion, toVersion: x.version, objects: 3, prunes: [] })),
      ),
      unchanged: [],
      gates: stage.gates,
    };
    return req.op === 'plan' ? { ok: true, plan } : { ok: true, plan, commitSha: sha1(req.promotionId) };
  }
}

/** The stages of the seeded small fleet: dev-1, test-1, prod-eu and prod-us; prod asks for two approvals. */
export function smallFleetWatcher(): WatcherReplies {
  return new WatcherReplies(
    {
      dev: { previous: null, clusters: [{ name: 'dev-1', labels: {} }], gates: NO_GATES },
      test: { previous: 'dev', clusters: [{ name: 'test-1', labels: {} }], gates: NO_GATES },
      prod: {
        previous: 'test',
        clusters: [
          { name: 'prod-eu', labels: { region: 'eu' } },
          { name: 'prod-us', labels: { region: 'us' } },
        ],
        gates: { soakSeconds: 0, approvals: 2, windows: [], isRollbackExempt: false },
      },
    },
    { dev: { cart: '1.1.0', payment: '1.0.0' }, test: { cart: '1.1.0', payment: '1.0.0' }, prod: { cart: '1.0.0', payment: '1.0.0' } },
  );
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

export interface PromotionAuditUnderTest {
  url: string;
  /** alice and bob are operators (alice requests), carol is an admin, vic a viewer. */
  tokens: { alice: string; bob: string; carol: string; vic: string };
  db: ScratchDatabase;
  watcher: WatcherReplies;
  /** Ingests events through the real ingest path, as if they came from JetStream. */
  ingest(events: readonly DriftlessEvent[]): Promise<void>;
  /** Calls the API with one of the tokens. */
  call<T>(who: keyof PromotionAuditUnderTest['tokens'], method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startPromotionAudit(options: { label: string; watcher: WatcherReplies; seed?: readonly DriftlessEvent[] }): Promise<PromotionAuditUnderTest> {
  const log = createLogger({ name: options.label, level: 'silent' });
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  const db = await createScratchDatabase(POSTGRES_URL, options.label, { max: 8 });
  await migrateAuditDb(db.sql);
  const nc = await connectNats({ servers: NATS_URL, name: options.label });
  const names = isolatedNames('ui-promo');
  const { js } = await provision(nc, { names });

  // Seed directly through the ingest worker; promotion steps arrive through JetStream.
  const seedWorker = new IngestWorker({ writer: new PgLedgerWriter(db.sql), log });
  let seedSeq = 0;
  const ingest = async (events: readonly DriftlessEvent[]) => {
    const batch = events.map((e) => ({ subject: e.subject, data: new TextEncoder().encode(JSON.stringify(e)), seq: ++seedSeq }));
    const refused = (await seedWorker.handleBatch(batch)).filter((o) => o.kind !== 'ack');
    if (refused.length > 0) throw new Error(`ingest refused ${refused.length} seeded events: ${JSON.stringify(refused[0])}`);
  };
  if (options.seed) await ingest(options.seed);
  const worker = new IngestWorker({
    writer: new PgLedgerWriter(db.sql),
    log,
    subjectPrefix: names.subjectPrefix,
    retryInitialDelayMs: 50,
    retryMaxDelayMs: 400,
    signal: stop.signal,
  });
  running.push(runNatsIngest({ js, stream: names.eventsStream, durable: uniqueName('ui-audit'), subjectPrefix: names.subjectPrefix, maxBatch: 100, maxWaitMs: 200, worker, signal: stop.signal, log }));

  // The repo-watcher's promote command, answered here.
  const sub = nc.subscribe(wireSubject(subjects.promoteCommand('envs'), names.subjectPrefix));
  running.push(
    (async () => {
      for await (const m of sub) m.respond(JSON.stringify(options.watcher.reply(decodePromoteRequest(m.data))));
    })(),
  );
  stop.signal.addEventListener('abort', () => sub.unsubscribe());

  const store = new PgPromotionStore(db.sql);
  const publisher = new JetStreamEventPublisher(js, names.subjectPrefix);
  const commander = new NatsPromoteCommander(nc, { subjectPrefix: names.subjectPrefix, timeoutMs: 2000 });
  const engine = new PromotionEngine({ store, facts: store, commander, events: publisher, lease: new PgEngineLease(db.sql), tickMs: 100, log });
  running.push(engine.run(stop.signal));
  const apiTokens = new PgApiTokenStore(db.sql);
  const tokens = {
    alice: (await apiTokens.create('alice', 'operator', 'ui test', 'alice@example.com')).secret,
    bob: (await apiTokens.create('bob', 'operator', 'ui test', 'bob@example.com')).secret,
    carol: (await apiTokens.create('carol', 'admin', 'ui test', 'carol@example.com')).secret,
    vic: (await apiTokens.create('vic', 'viewer', 'ui test')).secret,
  };
  const hub = new TransitionHub({ feed: new PgTransitionFeed(db.sql), log, pollIntervalMs: 100 });
  const app = await buildApp({
    queries: new PgAuditQueries(db.sql),
    tokens: apiTokens,
    tokenAdmin: apiTokens,
    stream: hub,
    uiDir: UI_DIST,
    promotions: new Promotions({ store, facts: store, people: store, commander, events: publisher, onChange: () => engine.poke(), log }),
    changeApprovals: new ChangeApprovals({ held: new PgHeldChanges(db.sql), people: store, events: publisher, log }),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    url,
    tokens,
    db,
    watcher: options.watcher,
    ingest,
    call: async <T>(who: keyof typeof tokens, method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    stop: async () => {
      stop.abort();
      await hub.close();
      await app.close();
      await Promise.allSettled(running);
      await removeResources(nc, names).catch(() => undefined);
      await nc.close();
      await db.drop();
    },
  };
}
