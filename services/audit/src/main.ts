/**
 * The audit service process: reads its configuration once, connects to Postgres and NATS,
 * migrates, stores the bootstrap admin token (hashed), then runs the ingest consumer and the
 * HTTP API until SIGTERM/SIGINT, finishing the batch in hand before it exits.
 *
 * `main.ts create-token <name> <viewer|operator|admin> [email]` prints a new API token once and exits.
 */
import { ConfigError, describeConfig } from '@driftless/config';
import { connectDb } from '@driftless/db';
import { connectNats, provision } from '@driftless/nats';
import { createLogger, createMetrics, PROMETHEUS_CONTENT_TYPE, startTelemetry } from '@driftless/telemetry';
import { PgLedgerWriter } from './adapters/pg-ledger-writer.js';
import { PgAuditQueries } from './adapters/pg-queries.js';
import { migrateAuditDb } from './adapters/pg-schema.js';
import { PgTokenStore } from './adapters/pg-tokens.js';
import { PgApiTokenStore } from './adapters/pg-api-tokens.js';
import { PgRegistrationStore } from './adapters/pg-registrations.js';
import { runNatsIngest } from './adapters/nats-ingest.js';
import { PgTransitionFeed } from './adapters/pg-transition-feed.js';
import { JetStreamEventPublisher, NatsCredentialIssuer, readRegistrationKeys } from './adapters/nats-registration.js';
import { auditConfigSpec, loadAuditConfig, operatorFilesOf, type AuditConfig } from './config.js';
import { ROLES, type Role } from './core/roles.js';
import { buildApp } from './http/app.js';
import { IngestWorker } from './ingest.js';
import { Registrar } from './registrar.js';
import { NatsPromoteCommander } from './adapters/nats-promote.js';
import { PgHeldChanges } from './adapters/pg-held-changes.js';
import { PgEngineLease, PgPromotionStore } from './adapters/pg-promotions.js';
import { ChangeApprovals } from './promotion-changes.js';
import { PromotionEngine } from './promotion-engine.js';
import { Promotions } from './promotions.js';
import { TransitionHub } from './stream.js';
import { defaultUiDir } from './ui-dir.js';

const VERSION = '0.1.0';

async function createToken(config: AuditConfig, name: string | undefined, role: string | undefined, email: string | undefined): Promise<void> {
  if (!name || !ROLES.includes(role as Role)) throw new Error(`usage: create-token <name> <${ROLES.join('|')}> [email]`);
  const sql = await connectDb(config.postgresUrl, { max: 1, maxAttempts: 3 });
  try {
    await migrateAuditDb(sql);
    const token = await new PgApiTokenStore(sql).create(name, role as Role, 'audit create-token', email ?? null);
    // The only place a token is ever shown: on the operator's own terminal, once.
    process.stdout.write(`${token.secret}\n`);
    process.stderr.write(`created token ${token.id} "${name}" with role ${role}\n`);
  } finally {
    await sql.end();
  }
}

async function serve(config: AuditConfig): Promise<void> {
  const log = createLogger({ name: 'audit', level: config.logLevel });
  const telemetry = startTelemetry({ serviceName: 'driftless-audit', serviceVersion: VERSION, env: process.env });
  const metrics = createMetrics({ serviceName: 'driftless-audit', prefix: 'driftless' });
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'stopping');
      stop.abort();
    });
  }

  // Connect and prepare the database.
  const sql = await connectDb(config.postgresUrl, { max: config.postgresPoolSize, maxAttempts: config.postgresConnectAttempts, log, signal: stop.signal });
  const migrated = await migrateAuditDb(sql);
  if (migrated.applied.length > 0) log.info({ applied: migrated.applied }, 'migrated the audit database');
  const tokens = new PgApiTokenStore(sql);
  if (config.adminToken !== undefined) await new PgTokenStore(sql).put({ id: 'bootstrap-admin', name: 'bootstrap admin', role: 'admin', secret: config.adminToken });

  // Connect to NATS and make sure the events stream exists.
  const nc = await connectNats({
    servers: config.natsUrls,
    name: 'driftless-audit',
    ...(config.natsUser === undefined ? {} : { user: config.natsUser }),
    ...(config.natsPassword === undefined ? {} : { pass: config.natsPassword }),
    ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
    signal: stop.signal,
    log,
  });
  const { js } = await provision(nc, { names: { eventsStream: config.eventsStream, subjectPrefix: config.subjectPrefix }, log });

  // Registration: NATS operator mode when its material is configured, else say loudly that it is off.
  const operatorFiles = operatorFilesOf(config);
  let issuer: NatsCredentialIssuer | undefined;
  let systemNc: Awaited<ReturnType<typeof connectNats>> | undefined;
  if (operatorFiles) {
    const keys = await readRegistrationKeys(operatorFiles);
    systemNc = await connectNats({ servers: config.natsUrls, name: 'driftless-audit-system', credsFile: operatorFiles.systemCredsFile, signal: stop.signal, log });
    issuer = new NatsCredentialIssuer(keys, systemNc, config.subjectPrefix === '' ? {} : { subjectPrefix: config.subjectPrefix });
    log.info({ account: keys.account.publicKey }, 'NATS operator mode: cluster registration and agent enrollment enabled');
  } else {
    log.warn(
      { missing: ['DRIFTLESS_NATS_ACCOUNT_SEED_FILE', 'DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE', 'DRIFTLESS_NATS_ACCOUNT_JWT_FILE', 'DRIFTLESS_NATS_SYSTEM_CREDS_FILE'] },
      '!!! NATS OPERATOR MODE IS NOT CONFIGURED: no-auth development mode, for a laptop only. Cluster registration, agent enrollment and revocation answer 503 !!!',
    );
  }
  const registrar = new Registrar({
    store: new PgRegistrationStore(sql),
    issuer,
    events: new JetStreamEventPublisher(js, config.subjectPrefix),
    agent: {
      natsUrls: config.agentNatsUrls.length > 0 ? config.agentNatsUrls : config.natsUrls,
      chart: config.agentChart,
      subjectPrefix: config.subjectPrefix,
      defaultTtlS: config.bootstrapTokenTtlS,
    },
    log: log.child({ unit: 'registration' }),
  });
  try {
    const pushed = await registrar.pushStoredRevocations();
    if (pushed > 0) log.info({ revocations: pushed }, 'pushed the stored revocation list to NATS');
  } catch (err) {
    log.error({ reason: (err as Error).message }, 'could not push the stored revocation list to NATS; revoked agents may connect until the next revocation');
  }

  // Ingest.
  const worker = new IngestWorker({
    writer: new PgLedgerWriter(sql),
    log: log.child({ unit: 'ingest' }),
    subjectPrefix: config.subjectPrefix,
    retryMaxDelayMs: config.retryMaxDelayMs,
    meter: metrics.meter,
    signal: stop.signal,
  });
  metrics.meter
    .createObservableGauge('audit_ledger_tip_seq', { description: 'Position of the newest ledger row this replica wrote' })
    .addCallback((result) => {
      if (worker.lastResult) result.observe(worker.lastResult.tip.seq);
    });
  const ingest = runNatsIngest({
    js,
    stream: config.eventsStream,
    durable: config.durable,
    subjectPrefix: config.subjectPrefix,
    maxBatch: config.maxBatch,
    maxWaitMs: config.maxWaitMs,
    worker,
    signal: stop.signal,
    log: log.child({ unit: 'ingest' }),
  });

  // Promotions: one engine per deployment (the replica holding the lease drives them).
  const promotionStore = new PgPromotionStore(sql);
  const promotionEventsOut = new JetStreamEventPublisher(js, config.subjectPrefix);
  const commander = new NatsPromoteCommander(nc, { subjectPrefix: config.subjectPrefix, timeoutMs: config.promoteTimeoutMs });
  const engine = new PromotionEngine({
    store: promotionStore,
    facts: promotionStore,
    commander,
    events: promotionEventsOut,
    lease: new PgEngineLease(sql),
    tickMs: config.promotionTickMs,
    log: log.child({ unit: 'promotions' }),
  });
  const promotions = new Promotions({
    store: promotionStore,
    facts: promotionStore,
    people: promotionStore,
    commander,
    events: promotionEventsOut,
    onChange: () => engine.poke(),
    log: log.child({ unit: 'promotions' }),
  });
  const changeApprovals = new ChangeApprovals({ held: new PgHeldChanges(sql), people: promotionStore, events: promotionEventsOut, log: log.child({ unit: 'changes' }) });
  const promotionEngine = engine.run(stop.signal);

  // Serve the API, the live stream and the web UI.
  const stream = new TransitionHub({ feed: new PgTransitionFeed(sql), log: log.child({ unit: 'stream' }), maxSubscribers: config.maxStreams, pollIntervalMs: config.streamPollMs });
  const uiDir = config.uiDir ?? defaultUiDir();
  if (uiDir === undefined) log.warn('the web UI is not built: /ui/ explains how to build it (npm run build -w @driftless/ui)');
  const app = await buildApp({
    queries: new PgAuditQueries(sql),
    tokens,
    readiness: [
      { name: 'postgres', check: async () => void (await sql`select 1`) },
      {
        name: 'nats',
        check: () => (nc.isClosed() ? Promise.reject(new Error('NATS connection closed')) : Promise.resolve()),
      },
      {
        name: 'ingest',
        check: () =>
          worker.consecutiveFailures === 0 ? Promise.resolve() : Promise.reject(new Error(`${worker.consecutiveFailures} consecutive batch writes failed`)),
      },
    ],
    metrics: { contentType: PROMETHEUS_CONTENT_TYPE, render: () => metrics.renderPrometheus() },
    log,
    version: VERSION,
    registrar,
    tokenAdmin: tokens,
    ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
    stream,
    ...(uiDir === undefined ? {} : { uiDir }),
    promotions,
    changeApprovals,
  });
  await app.listen({ host: config.httpHost, port: config.httpPort });

  await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  await stream.close();
  await app.close();
  await ingest;
  await promotionEngine;
  await systemNc?.drain();
  await nc.drain();
  await sql.end({ timeout: 5 });
  await metrics.shutdown();
  await telemetry.shutdown();
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(`driftless audit service\n\nEnvironment:\n${describeConfig(auditConfigSpec)}\n`);
    return;
  }
  const config = loadAuditConfig(process.env);
  if (argv[0] === 'create-token') return createToken(config, argv[1], argv[2], argv[3]);
  return serve(config);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One clear line (or the config's list), never a bare stack.
  const message = err instanceof ConfigError ? err.message : `audit: cannot run: ${(err as Error).message}`;
  process.stderr.write(`${message}\n`);
  process.exit(1);
});
