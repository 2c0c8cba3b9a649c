/**
 * The whole of Driftless on one machine: NATS (JetStream), PostgreSQL, kube-sim clusters, the
 * audit service, the repo-watcher and one agent per cluster, each service a child process run
 * from its own main.ts with environment variables, as it would run in a container. The demo and
 * the end-to-end tests both start the system through here.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { freePort, NATS_SERVER_BINARY } from '@driftless/nats/testing';
import { startEmbeddedPostgres, type EmbeddedDb } from './postgres.js';
import { spawnService, type Service } from './service.js';
import { git, run } from './tools.js';
import { waitFor } from './output.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface SystemOptions {
  /** Everything the system writes goes here (wiped first). */
  dataDir: string;
  clusters: readonly string[];
  /** A running NATS with JetStream; otherwise nats-server is started. */
  natsUrl?: string;
  /** A PostgreSQL database; otherwise an embedded one is started. */
  postgresUrl?: string;
  /** Audit API port; a free one when absent. */
  apiPort?: number;
  /** The environment repository to copy (a folder of files); the demo's example by default. */
  envRepoSource?: string;
  /** Extra environment for every service (e.g. OTEL_* to collect traces). */
  env?: Record<string, string>;
  /** Reports each step ("starting NATS"...) as it begins and ends. */
  step?: <T>(what: string, work: () => Promise<T>) => Promise<T>;
  log?: (line: string) => void;
}

export interface RunningSystem {
  natsUrl: string;
  postgresUrl: string;
  apiUrl: string;
  adminToken: string;
  watcherUrl: string;
  webhookSecret: string;
  repoName: string;
  repoDir: string;
  sims: readonly KubeSim[];
  /** Throws if a service process has stopped, with the end of its log. */
  assertRunning(): void;
  /** Sends the repo-watcher a signed GitHub push webhook for the branch, as GitHub would. */
  notifyPush(sha: string): Promise<void>;
  /** Creates an API token with the audit service's own command and returns its secret. */
  createToken(name: string, role: 'viewer' | 'operator' | 'admin'): Promise<string>;
  stop(): Promise<void>;
}

const plainStep = <T>(_what: string, work: () => Promise<T>) => work();

function onPath(binary: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export const NATS_INSTALL_HELP = [
  'Driftless needs nats-server (with JetStream). Install it with one of:',
  '  Debian/Ubuntu: sudo apt-get install nats-server',
  '  macOS:         brew install nats-server',
  '  Docker:        docker run -d -p 4222:4222 nats:2.10 -js',
  'or pass --nats-url nats://host:4222 for a running server with JetStream.',
].join('\n');

export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const step = options.step ?? plainStep;
  const { dataDir } = options;
  const services: Service[] = [];
  const sims: KubeSim[] = [];
  let db: EmbeddedDb | undefined;
  let isStopped = false;
  const stop = async () => {
    if (isStopped) return;
    isStopped = true;
    for (const service of [...services].reverse()) await service.stop();
    for (const sim of sims) await sim.stop();
    await db?.stop();
  };
  const assertRunning = () => {
    for (const service of services) service.assertRunning();
  };

  try {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(join(dataDir, 'logs'), { recursive: true });

    // NATS with JetStream: ours if the binary is there, else one already on localhost:4222.
    let natsUrl = options.natsUrl;
    if (natsUrl === undefined) {
      const binary = existsSync(NATS_SERVER_BINARY) ? NATS_SERVER_BINARY : onPath('nats-server');
      if (binary !== undefined) {
        const port = await freePort();
        natsUrl = `nats://127.0.0.1:${port}`;
        await step(`Starting NATS with JetStream on ${natsUrl}`, async () => {
          const nats = spawnService({
            name: 'nats',
            command: binary,
            args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dataDir, 'nats')],
            logFile: join(dataDir, 'logs', 'nats.log'),
          });
          services.push(nats);
          await nats.waitForLog(/Server is ready/, 15_000);
        });
      } else if (await isListening(4222)) {
        natsUrl = 'nats://127.0.0.1:4222';
        options.log?.(`nats-server is not installed; using the NATS already running on ${natsUrl}\n`);
      } else {
        throw new Error(NATS_INSTALL_HELP);
      }
    }

    // PostgreSQL.
    let postgresUrl = options.postgresUrl;
    if (postgresUrl === undefined) {
      postgresUrl = await step('Starting an embedded PostgreSQL', async () => {
        db = await startEmbeddedPostgres(join(dataDir, 'postgres'), await freePort());
        return db.url;
      });
    }

    // Clusters.
    await step(`Starting ${options.clusters.length} simulated clusters (kube-sim): ${options.clusters.join(', ')}`, async () => {
      mkdirSync(join(dataDir, 'kube'), { recursive: true });
      for (const name of options.clusters) {
        sims.push(await startKubeSim({ name, controllerDelayMs: 300, kubeconfigPath: join(dataDir, 'kube', `${name}.yaml`) }));
      }
    });

    // The environment repository, a real Git repository on disk.
    const repoName = 'demo';
    const repoDir = join(dataDir, 'envrepo');
    const source = options.envRepoSource ?? join(REPO_ROOT, 'test', 'fixtures', 'envrepo');
    await step(`Creating the environment repository from ${source.startsWith(REPO_ROOT) ? source.slice(REPO_ROOT.length + 1) : source}`, async () => {
      cpSync(source, repoDir, { recursive: true });
      // The fixture points editors at the schema relative to its place in this repository.
      const config = join(repoDir, 'driftless.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('../../../docs/schemas/', `${REPO_ROOT}/docs/schemas/`));
      await git(repoDir, ['init', '-q', '-b', 'main']);
      await git(repoDir, ['add', '-A']);
      await git(repoDir, ['commit', '-q', '-m', 'Initial environment: CandyStore and HipsterStore'], { name: 'Platform Team', email: 'platform@example.com' });
    });

    // The control plane.
    const apiPort = options.apiPort ?? (await freePort());
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const adminToken = `dla_${randomBytes(32).toString('base64url')}`;
    const webhookSecret = randomBytes(16).toString('hex');
    const watcherPort = await freePort();
    const watcherUrl = `http://127.0.0.1:${watcherPort}`;
    const common = { DRIFTLESS_NATS_URL: natsUrl, DRIFTLESS_LOG_LEVEL: 'info', ...options.env };
    const node = (service: string) => ['--import', 'tsx', join(REPO_ROOT, 'services', service, 'src', 'main.ts')];
    const isReady = (url: string) => fetch(`${url}/readyz`).then((r) => r.ok);

    const auditEnv = {
      ...common,
      DRIFTLESS_AUDIT_POSTGRES_URL: postgresUrl,
      DRIFTLESS_AUDIT_ADMIN_TOKEN: adminToken,
      DRIFTLESS_HTTP_HOST: '127.0.0.1',
      DRIFTLESS_HTTP_PORT: String(apiPort),
    };
    await step(`Starting the audit service on ${apiUrl}`, async () => {
      const audit = spawnService({ name: 'audit', command: process.execPath, args: node('audit'), env: auditEnv, logFile: join(dataDir, 'logs', 'audit.log') });
      services.push(audit);
      await waitFor('the audit API to be ready', () => audit.assertRunning() && isReady(apiUrl), 60_000);
    });
    await step('Starting the repo-watcher', async () => {
      const watcher = spawnService({
        name: 'repo-watcher',
        command: process.execPath,
        args: node('repo-watcher'),
        env: {
          ...common,
          DRIFTLESS_WATCHER_REPOS: `${repoName}=${repoDir}#main`,
          DRIFTLESS_WATCHER_WEBHOOK_SECRETS: `${repoName}=${webhookSecret}`,
          DRIFTLESS_WATCHER_MIRROR_DIR: join(dataDir, 'mirrors'),
          DRIFTLESS_WATCHER_POLL_INTERVAL_MS: '30000',
          DRIFTLESS_HTTP_HOST: '127.0.0.1',
          DRIFTLESS_HTTP_PORT: String(watcherPort),
        },
        logFile: join(dataDir, 'logs', 'repo-watcher.log'),
      });
      services.push(watcher);
      await waitFor('the repo-watcher to be ready', () => watcher.assertRunning() && isReady(watcherUrl), 60_000);
    });

    // One agent per cluster.
    await step('Starting one agent per cluster', () => {
      for (const sim of sims) {
        services.push(
          spawnService({
            name: `agent-${sim.name}`,
            command: process.execPath,
            args: node('agent'),
            env: { ...common, DRIFTLESS_CLUSTER: sim.name, DRIFTLESS_KUBECONFIG: sim.kubeconfigPath ?? '', DRIFTLESS_HEARTBEAT_INTERVAL_MS: '5000' },
            logFile: join(dataDir, 'logs', `agent-${sim.name}.log`),
          }),
        );
      }
      return Promise.resolve();
    });

    const notifyPush = async (sha: string) => {
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const response = await fetch(`${watcherUrl}/webhooks/github/${repoName}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
        },
        body,
      });
      if (response.status !== 202) throw new Error(`the repo-watcher answered the push webhook with ${response.status}: ${await response.text()}`);
    };
    const createToken = async (name: string, role: 'viewer' | 'operator' | 'admin') => {
      const out = await run(process.execPath, [...node('audit'), 'create-token', name, role], { ...process.env, ...auditEnv });
      const secret = out.trim().split('\n').pop();
      if (!secret) throw new Error('the audit service printed no token');
      return secret;
    };
    return { natsUrl, postgresUrl, apiUrl, adminToken, watcherUrl, webhookSecret, repoName, repoDir, sims, assertRunning, notifyPush, createToken, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
