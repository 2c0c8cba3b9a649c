/**
 * Test helper: a complete registration environment on loopback — a private nats-server in
 * operator mode started from generated material (written to files as `npm run nats:auth` writes
 * them), a scratch Postgres database, the ingest consumer, and the audit API with registration
 * wired exactly as `main.ts` wires it. The audit, CLI and agent tests share it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriftlessEvent } from '@driftless/contracts';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, provision, type Provisioned } from '@driftless/nats';
import { startNatsServer, type NatsServer } from '@driftless/nats/testing';
import {
  generateOperatorSetup,
  mintSystemUser,
  mintUserCreds,
  renderServerConfig,
  servicePermissions,
  type OperatorSetup,
} from '@driftless/nats-auth';
import { createLogger } from '@driftless/telemetry';
import { POSTGRES_URL, uniqueName } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { PgApiTokenStore } from '../adapters/pg-api-tokens.js';
import { PgAuditQueries } from '../adapters/pg-queries.js';
import { PgLedgerWriter } from '../adapters/pg-ledger-writer.js';
import { PgRegistrationStore } from '../adapters/pg-registrations.js';
import { migrateAuditDb } from '../adapters/pg-schema.js';
import { runNatsIngest } from '../adapters/nats-ingest.js';
import { JetStreamEventPublisher, NatsCredentialIssuer, readRegistrationKeys } from '../adapters/nats-registration.js';
import type { OperatorFiles } from '../config.js';
import { buildApp } from '../http/app.js';
import { IngestWorker } from '../ingest.js';
import { Registrar } from '../registrar.js';

export { clock, commit, events, sha } from './fixtures.js';

export interface RegistrationEnv {
  dir: string;
  setup: OperatorSetup;
  files: OperatorFiles;
  server: NatsServer;
  db: ScratchDatabase;
  /** A control-plane connection (the repo-watcher's rights) for seeding desired state. */
  service: NatsConnection;
  provisioned: Provisioned;
  registrar: Registrar;
  app: Awaited<ReturnType<typeof buildApp>>;
  /** An admin API token created for the test. */
  adminToken: string;
  /** Writes events straight into the ledger (as the ingest would), for seeding query tests. */
  record(events: readonly DriftlessEvent[]): Promise<void>;
  /** Writes a creds file into the environment's folder and returns its path. */
  writeCreds(name: string, creds: string): string;
  close(): Promise<void>;
}

export interface RegistrationEnvOptions {
  /** Label of the scratch database. */
  label: string;
  /** Register without operator mode (no issuer): every registration step answers 503. */
  isOperatorMode?: boolean;
  /** Overrides the registrar's clock (e.g. to expire tokens). */
  now?: () => Date;
  publicUrl?: string;
}

export async function startRegistrationEnv(options: RegistrationEnvOptions): Promise<RegistrationEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-registration-'));
  const cleanups: (() => Promise<unknown>)[] = [() => Promise.resolve(rmSync(dir, { recursive: true, force: true }))];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const setup = await generateOperatorSetup();
    const secret = (name: string, content: string) => {
      const path = join(dir, name);
      writeFileSync(path, content, { mode: 0o600 });
      return path;
    };
    mkdirSync(join(dir, 'resolver'));
    const confPath = join(dir, 'nats-server.conf');
    writeFileSync(confPath, renderServerConfig(setup, { resolverDir: join(dir, 'resolver') }));
    const server = await startNatsServer({ args: ['-c', confPath] });
    cleanups.push(() => server.destroy());

    const files: OperatorFiles = {
      accountSeedFile: secret('account.seed', `${setup.account.seed}\n`),
      operatorSigningSeedFile: secret('operator-signing.seed', `${setup.operatorSigningKey.seed}\n`),
      accountJwtFile: secret('accounts.json', `${JSON.stringify({ account: { name: setup.account.name, publicKey: setup.account.publicKey, jwt: setup.account.jwt } }, null, 2)}\n`),
      systemCredsFile: secret('system.creds', (await mintSystemUser(setup)).creds),
    };
    const auditCreds = await mintUserCreds({ accountSeed: setup.account.seed, name: 'audit', permissions: servicePermissions() });
    const service = await connectNats({ servers: server.url, name: 'audit-test', credsFile: secret('audit.creds', auditCreds.creds) });
    cleanups.push(() => service.close());
    const systemNc = await connectNats({ servers: server.url, name: 'audit-test-system', credsFile: files.systemCredsFile });
    cleanups.push(() => systemNc.close());
    const provisioned = await provision(service);

    const db = await createScratchDatabase(POSTGRES_URL, options.label);
    cleanups.push(() => db.drop());
    await migrateAuditDb(db.sql);

    // The ingest consumer, so registered and revoked events reach the ledger the normal way.
    const log = createLogger({ name: 'registration-test', level: 'silent' });
    const stop = new AbortController();
    const worker = new IngestWorker({ writer: new PgLedgerWriter(db.sql), log, subjectPrefix: '', retryInitialDelayMs: 50, retryMaxDelayMs: 400, signal: stop.signal });
    const ingest = runNatsIngest({ js: provisioned.js, stream: provisioned.names.eventsStream, durable: uniqueName('audit'), subjectPrefix: '', maxBatch: 100, maxWaitMs: 1000, worker, signal: stop.signal, log });
    cleanups.push(async () => {
      stop.abort();
      await ingest;
    });

    const issuer = options.isOperatorMode === false ? undefined : new NatsCredentialIssuer(await readRegistrationKeys(files), systemNc);
    const registrar = new Registrar({
      store: new PgRegistrationStore(db.sql),
      issuer,
      events: new JetStreamEventPublisher(provisioned.js),
      agent: { natsUrls: [server.url], chart: 'deploy/helm/driftless-agent', subjectPrefix: '', defaultTtlS: 3600 },
      ...(options.now ? { now: options.now } : {}),
    });
    const tokens = new PgApiTokenStore(db.sql);
    const adminToken = (await tokens.create('test-admin', 'admin', 'test')).secret;
    const app = await buildApp({
      queries: new PgAuditQueries(db.sql),
      tokens,
      tokenAdmin: tokens,
      registrar,
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    });
    cleanups.push(() => app.close());

    const writer = new PgLedgerWriter(db.sql);
    return {
      dir,
      setup,
      files,
      server,
      db,
      service,
      provisioned,
      registrar,
      app,
      adminToken,
      record: async (events) => void (await writer.write({ events, deadLetters: [] })),
      writeCreds: (name, creds) => secret(`${name}.creds`, creds),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
