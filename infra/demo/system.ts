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
import { parse } from 'yaml';
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
  /**
   * Let the repo-watcher push (promotions): it watches a bare origin (`originDir`) that `repoDir`
   * is a clone of, since Git cannot push to a checked-out branch. Commits made in `repoDir` must
   * then be pushed to `origin`. Default false: the watcher reads `repoDir` itself.
   */
  isRepoPushable?: boolean;
  /**
   * Run NATS in operator mode and register every cluster through the audit API (`driftless
   * cluster add`), each agent enrolling with its bootstrap token, as in production. Only
   * possible when the system starts its own nats-server; default true.
   */
  isOperatorMode?: boolean;
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
  /** The bare repository the watcher watches and pushes to, when `isRepoPushable`; else `repoDir`. */
  originDir: string;
  sims: readonly KubeSim[];
  /** Whether NATS runs in operator mode with registered, enrolled agents. */
  isOperatorMode: boolean;
  /** Runs the real `driftless` CLI against this system's API; resolves with its stdout. */
  cli(args: readonly string[], token?: string): Promise<string>;
  /** Throws if a service process has stopped, with the end of its log. */
  assertRunning(): void;
  /** Sends the repo-watcher a signed GitHub push webhook for the branch, as GitHub would. */
  notifyPush(sha: string): Promise<void>;
  /** Creates an API token with the audit service's own command and returns its secret. */
  createToken(name: string, role: 'viewer' | 'operator' | 'admin', email?: string): Promise<string>;
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

/** Stage and labels of each cluster, as the environment repository declares them. */
function clusterSpecsFrom(file: string): Map<string, { stage: string; labels: Record<string, string> }> {
  const doc = parse(readFileSync(file, 'utf8')) as { clusters?: Record<string, { stage?: string; labels?: Record<string, string> }> };
  return new Map(Object.entries(doc.clusters ?? {}).map(([name, c]) => [name, { stage: c.stage ?? '', labels: c.labels ?? {} }]));
}

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

    // NATS with JetStream: ours if the binary is there (in operator mode unless told otherwise),
    // else one already on localhost:4222 (then without authentication).
    let natsUrl = options.natsUrl;
    let authDir: string | undefined;
    if (natsUrl === undefined) {
      const binary = existsSync(NATS_SERVER_BINARY) ? NATS_SERVER_BINARY : onPath('nats-server');
      if (binary !== undefined) {
        const port = await freePort();
        natsUrl = `nats://127.0.0.1:${port}`;
        const isOperatorMode = options.isOperatorMode ?? true;
        await step(`Starting NATS with JetStream on ${natsUrl}${isOperatorMode ? ' in operator mode (npm run nats:auth)' : ''}`, async () => {
          let args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dataDir, 'nats')];
          if (isOperatorMode) {
            authDir = join(dataDir, 'nats-auth');
            await run(process.execPath, [
              '--import', 'tsx', join(REPO_ROOT, 'infra', 'nats-auth', 'generate.ts'),
              '--out', authDir, '--port', String(port), '--store-dir', join(dataDir, 'nats'), '--resolver-dir', join(dataDir, 'nats-resolver'),
            ]);
            args = ['-a', '127.0.0.1', '-c', join(authDir, 'nats-server.conf')];
          }
          const nats = spawnService({ name: 'nats', command: binary, args, logFile: join(dataDir, 'logs', 'nats.log') });
          services.push(nats);
          await nats.waitForLog(/Server is ready/, 15_000);
        });
      } else if (await isListening(4222)) {
        natsUrl = 'nats://127.0.0.1:4222';
        options.log?.(`nats-server is not installed; using the NATS already running on ${natsUrl}, without authentication\n`);
      } else {
        throw new Error(NATS_INSTALL_HELP);
      }
    }
    const auth = authDir;
    const credsOf = (service: string) => (auth === undefined ? {} : { DRIFTLESS_NATS_CREDS_FILE: join(auth, 'creds', `${service}.creds`) });

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
    const originDir = options.isRepoPushable === true ? join(dataDir, 'envrepo.git') : repoDir;
    const source = options.envRepoSource ?? join(REPO_ROOT, 'test', 'fixtures', 'envrepo');
    await step(`Creating the environment repository from ${source.startsWith(REPO_ROOT) ? source.slice(REPO_ROOT.length + 1) : source}`, async () => {
      cpSync(source, repoDir, { recursive: true });
      // The fixture points editors at the schema relative to its place in this repository.
      const config = join(repoDir, 'driftless.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('../../../docs/schemas/', `${REPO_ROOT}/docs/schemas/`));
      await git(repoDir, ['init', '-q', '-b', 'main']);
      await git(repoDir, ['add', '-A']);
      await git(repoDir, ['commit', '-q', '-m', 'Initial environment: CandyStore and HipsterStore'], { name: 'Platform Team', email: 'platform@example.com' });
      if (options.isRepoPushable === true) {
        await git(dataDir, ['clone', '-q', '--bare', repoDir, originDir]);
        await git(repoDir, ['remote', 'add', 'origin', originDir]);
        await git(repoDir, ['fetch', '-q', 'origin']);
        await git(repoDir, ['branch', '-q', '--set-upstream-to', 'origin/main', 'main']);
      }
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
      ...credsOf('audit'),
      ...(auth === undefined
        ? {}
        : {
            DRIFTLESS_NATS_ACCOUNT_SEED_FILE: join(auth, 'secrets', 'account.seed'),
            DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE: join(auth, 'secrets', 'operator-signing.seed'),
            DRIFTLESS_NATS_ACCOUNT_JWT_FILE: join(auth, 'accounts.json'),
            DRIFTLESS_NATS_SYSTEM_CREDS_FILE: join(auth, 'creds', 'system.creds'),
            DRIFTLESS_AGENT_NATS_URL: natsUrl,
            DRIFTLESS_AUDIT_PUBLIC_URL: apiUrl,
          }),
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
          ...credsOf('repo-watcher'),
          DRIFTLESS_WATCHER_REPOS: `${repoName}=${originDir}#main`,
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

    // The CLI, as a user runs it.
    const cli = (args: readonly string[], token = adminToken) =>
      run(process.execPath, [join(REPO_ROOT, 'cli', 'bin', 'driftless.mjs'), ...args], { ...process.env, DRIFTLESS_API_URL: apiUrl, DRIFTLESS_TOKEN: token, NO_COLOR: '1' });

    // One agent per cluster; in operator mode each cluster is registered first and its agent
    // enrolls with the one-time bootstrap token, as the agent chart does it.
    const clusterSpecs = clusterSpecsFrom(join(repoDir, 'driftless.yaml'));
    await step(auth === undefined ? 'Starting one agent per cluster' : 'Registering each cluster (driftless cluster add) and starting its agent', async () => {
      for (const sim of sims) {
        const agentDir = join(dataDir, 'agents', sim.name);
        mkdirSync(agentDir, { recursive: true });
        let enrollment: Record<string, string> = {};
        if (auth !== undefined) {
          const spec = clusterSpecs.get(sim.name);
          if (!spec) throw new Error(`cluster ${sim.name} is not in the environment repository's driftless.yaml`);
          const labels = Object.entries(spec.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
          const added = JSON.parse(await cli(['cluster', 'add', sim.name, '--stage', spec.stage, ...labels, '-o', 'json'])) as { bootstrapToken: { token: string } };
          const tokenFile = join(agentDir, 'bootstrap-token');
          writeFileSync(tokenFile, added.bootstrapToken.token, { mode: 0o600 });
          enrollment = { DRIFTLESS_API_URL: apiUrl, DRIFTLESS_BOOTSTRAP_TOKEN_FILE: tokenFile, DRIFTLESS_NATS_CREDS_FILE: join(agentDir, 'agent.creds') };
        }
        services.push(
          spawnService({
            name: `agent-${sim.name}`,
            command: process.execPath,
            args: node('agent'),
            env: { ...common, ...enrollment, DRIFTLESS_CLUSTER: sim.name, DRIFTLESS_KUBECONFIG: sim.kubeconfigPath ?? '', DRIFTLESS_HEARTBEAT_INTERVAL_MS: '5000' },
            logFile: join(dataDir, 'logs', `agent-${sim.name}.log`),
          }),
        );
      }
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
    const createToken = async (name: string, role: 'viewer' | 'operator' | 'admin', email?: string) => {
      const out = await run(process.execPath, [...node('audit'), 'create-token', name, role, ...(email === undefined ? [] : [email])], { ...process.env, ...auditEnv });
      const secret = out.trim().split('\n').pop();
      if (!secret) throw new Error('the audit service printed no token');
      return secret;
    };
    return {
      natsUrl,
      postgresUrl,
      apiUrl,
      adminToken,
      watcherUrl,
      webhookSecret,
      repoName,
      repoDir,
      originDir,
      sims,
      isOperatorMode: auth !== undefined,
      cli,
      assertRunning,
      notifyPush,
      createToken,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
