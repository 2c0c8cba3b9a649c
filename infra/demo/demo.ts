/**
 * `npm run demo`: the whole of Driftless on one machine, on embedded defaults.
 *
 * It starts NATS (JetStream), an embedded PostgreSQL, four kube-sim clusters (dev-1, test-1,
 * prod-eu, prod-us), the audit service, the repo-watcher and one agent per cluster, points them
 * at a Git copy of the example environment repository, waits until every component runs where
 * it should, then commits a version bump as "Alice", sends the push webhook and shows the change
 * travel to the cluster and into the audit log. It keeps running until Ctrl-C (or exits when
 * given --exit). Everything it writes lives under .data/demo/.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { freePort, NATS_SERVER_BINARY } from '@driftless/nats/testing';
import { startEmbeddedPostgres, type EmbeddedDb } from './postgres.js';
import { git, run } from './tools.js';
import { spawnService, type Service } from './service.js';
import { apiClient, type InventoryItem, type Transition } from './api.js';
import { say, step, table, waitFor } from './output.js';

const USAGE = `Usage: npm run demo [-- --exit] [--api-port 8080] [--nats-url URL] [--postgres-url URL]

Starts Driftless locally: NATS, PostgreSQL, four simulated clusters, the audit API, the
repo-watcher and one agent per cluster, then shows a commit travelling to a cluster.

  --exit               stop after the walkthrough instead of running until Ctrl-C
  --api-port PORT      audit API port (default 8080, or a free one if taken)
  --nats-url URL       use this NATS (with JetStream) instead of starting nats-server
  --postgres-url URL   use this PostgreSQL database instead of an embedded one
`;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = join(root, '.data', 'demo');
const CLUSTERS = ['dev-1', 'test-1', 'prod-eu', 'prod-us'] as const;

interface Args {
  isExitRequested: boolean;
  apiPort: number | undefined;
  natsUrl: string | undefined;
  postgresUrl: string | undefined;
}

function readArgs(): Args | undefined {
  try {
    const { values } = parseArgs({
      options: {
        exit: { type: 'boolean', default: false },
        'api-port': { type: 'string' },
        'nats-url': { type: 'string' },
        'postgres-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const apiPort = values['api-port'] === undefined ? undefined : Number(values['api-port']);
    if (apiPort !== undefined && !(Number.isInteger(apiPort) && apiPort > 0 && apiPort < 65536)) throw new Error('--api-port must be a TCP port');
    return { isExitRequested: values.exit, apiPort, natsUrl: values['nats-url'], postgresUrl: values['postgres-url'] };
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
}

async function isPortFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

async function main(): Promise<void> {
  const args = readArgs();
  if (!args) return;
  const started = Date.now();
  const services: Service[] = [];
  const sims: KubeSim[] = [];
  let db: EmbeddedDb | undefined;
  let isStopping = false;
  const stopAll = async () => {
    if (isStopping) return;
    isStopping = true;
    for (const service of services.reverse()) await service.stop();
    for (const sim of sims) await sim.stop();
    await db?.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

  try {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(join(dataDir, 'logs'), { recursive: true });
    say(`Driftless demo — everything lives in .data/demo (logs in .data/demo/logs)\n`);

    // NATS with JetStream.
    let natsUrl = args.natsUrl;
    if (natsUrl === undefined) {
      if (!existsSync(NATS_SERVER_BINARY)) {
        throw new Error(
          `nats-server was not found at ${NATS_SERVER_BINARY}. Install it (Debian: apt-get install nats-server), set DRIFTLESS_NATS_SERVER to its path, or pass --nats-url nats://host:4222 for a running JetStream server.`,
        );
      }
      const port = await freePort();
      natsUrl = `nats://127.0.0.1:${port}`;
      await step(`Starting NATS with JetStream on ${natsUrl}`, async () => {
        const nats = spawnService({
          name: 'nats',
          command: NATS_SERVER_BINARY,
          args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dataDir, 'nats')],
          logFile: join(dataDir, 'logs', 'nats.log'),
        });
        services.push(nats);
        await nats.waitForLog(/Server is ready/, 15_000);
      });
    }

    // PostgreSQL.
    let postgresUrl = args.postgresUrl;
    if (postgresUrl === undefined) {
      postgresUrl = await step('Starting an embedded PostgreSQL', async () => {
        db = await startEmbeddedPostgres(join(dataDir, 'postgres'), await freePort());
        return db.url;
      });
    }

    // Clusters.
    await step(`Starting ${CLUSTERS.length} simulated clusters (kube-sim): ${CLUSTERS.join(', ')}`, async () => {
      mkdirSync(join(dataDir, 'kube'), { recursive: true });
      for (const name of CLUSTERS) {
        sims.push(await startKubeSim({ name, controllerDelayMs: 300, kubeconfigPath: join(dataDir, 'kube', `${name}.yaml`) }));
      }
    });

    // The environment repository.
    const repoDir = join(dataDir, 'envrepo');
    await step('Creating the environment repository from test/fixtures/envrepo', async () => {
      cpSync(join(root, 'test', 'fixtures', 'envrepo'), repoDir, { recursive: true });
      // The fixture points editors at the schema relative to its place in this repository.
      const config = join(repoDir, 'driftless.yaml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('../../../docs/schemas/', `${root}/docs/schemas/`));
      await git(repoDir, ['init', '-q', '-b', 'main']);
      await git(repoDir, ['add', '-A']);
      await git(repoDir, ['commit', '-q', '-m', 'Initial environment: CandyStore and HipsterStore'], { name: 'Platform Team', email: 'platform@example.com' });
    });

    // The control plane and the agents.
    let apiPort = args.apiPort ?? 8080;
    if (!(await isPortFree(apiPort))) {
      if (args.apiPort !== undefined) throw new Error(`port ${apiPort} is taken; choose another with --api-port`);
      apiPort = await freePort();
    }
    const adminToken = `dla_${randomBytes(32).toString('base64url')}`;
    const webhookSecret = randomBytes(16).toString('hex');
    const watcherPort = await freePort();
    const common = { DRIFTLESS_NATS_URL: natsUrl, DRIFTLESS_LOG_LEVEL: 'info' };
    await step(`Starting the audit service on http://127.0.0.1:${apiPort}`, async () => {
      const audit = spawnService({
        name: 'audit',
        command: process.execPath,
        args: ['--import', 'tsx', join(root, 'services/audit/src/main.ts')],
        env: { ...common, DRIFTLESS_AUDIT_POSTGRES_URL: postgresUrl, DRIFTLESS_AUDIT_ADMIN_TOKEN: adminToken, DRIFTLESS_AUDIT_HTTP_HOST: '127.0.0.1', DRIFTLESS_AUDIT_HTTP_PORT: String(apiPort) },
        logFile: join(dataDir, 'logs', 'audit.log'),
      });
      services.push(audit);
      await waitFor('the audit API to be ready', () => audit.assertRunning() && fetch(`http://127.0.0.1:${apiPort}/readyz`).then((r) => r.ok), 60_000);
    });
    await step('Starting the repo-watcher', async () => {
      const watcher = spawnService({
        name: 'repo-watcher',
        command: process.execPath,
        args: ['--import', 'tsx', join(root, 'services/repo-watcher/src/main.ts')],
        env: {
          ...common,
          DRIFTLESS_WATCHER_REPOS: `demo=${repoDir}#main`,
          DRIFTLESS_WATCHER_WEBHOOK_SECRETS: `demo=${webhookSecret}`,
          DRIFTLESS_WATCHER_MIRROR_DIR: join(dataDir, 'mirrors'),
          DRIFTLESS_WATCHER_POLL_INTERVAL_MS: '30000',
          DRIFTLESS_HTTP_HOST: '127.0.0.1',
          DRIFTLESS_HTTP_PORT: String(watcherPort),
        },
        logFile: join(dataDir, 'logs', 'repo-watcher.log'),
      });
      services.push(watcher);
      await waitFor('the repo-watcher to be ready', () => watcher.assertRunning() && fetch(`http://127.0.0.1:${watcherPort}/readyz`).then((r) => r.ok), 60_000);
    });
    await step(`Starting one agent per cluster`, () => {
      for (const sim of sims) {
        const agent = spawnService({
          name: `agent-${sim.name}`,
          command: process.execPath,
          args: ['--import', 'tsx', join(root, 'services/agent/src/main.ts')],
          env: { ...common, DRIFTLESS_CLUSTER: sim.name, DRIFTLESS_KUBECONFIG: sim.kubeconfigPath ?? '', DRIFTLESS_HEARTBEAT_INTERVAL_MS: '5000' },
          logFile: join(dataDir, 'logs', `agent-${sim.name}.log`),
        });
        services.push(agent);
      }
      return Promise.resolve();
    });

    // Everything converges.
    const api = apiClient(`http://127.0.0.1:${apiPort}`, adminToken);
    const isSettled = (items: readonly InventoryItem[], expected: number) =>
      items.length === expected && items.every((i) => i.sync === 'Synced' && i.health?.status === 'Healthy');
    let inventory = await step('Waiting for every component to be applied and healthy on every cluster', () =>
      waitFor(
        'all 12 placements to be Synced and Healthy',
        async () => {
          for (const service of services) service.assertRunning();
          const items = await api.inventory();
          return isSettled(items, 12) ? items : undefined;
        },
        120_000,
      ),
    );
    say('\nWhat runs where (GET /v1/inventory):\n');
    printInventory(inventory);

    // A change travels.
    const bumpedVersion = '1.6.0';
    await step(`Alice bumps cart to ${bumpedVersion} on stage dev (one line in versions/dev.yaml) and pushes`, async () => {
      const file = join(repoDir, 'versions', 'dev.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^cart: .*$/m, `cart: ${bumpedVersion}`));
      await git(repoDir, ['commit', '-q', '-am', `cart ${bumpedVersion} to dev`], { name: 'Alice', email: 'alice@example.com' });
      const sha = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();
      const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
      const response = await fetch(`http://127.0.0.1:${watcherPort}/webhooks/github/demo`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-hub-signature-256': `sha256=${createHmac('sha256', webhookSecret).update(body).digest('hex')}`,
        },
        body,
      });
      if (response.status !== 202) throw new Error(`the watcher answered the webhook with ${response.status}: ${await response.text()}`);
    });
    const pushedAt = Date.now();
    inventory = await step('Waiting for dev-1 to run it', () =>
      waitFor(
        `cart ${bumpedVersion} applied and healthy on dev-1`,
        async () => {
          const items = await api.inventory();
          const cart = items.find((i) => i.cluster === 'dev-1' && i.component === 'cart');
          return cart?.applied?.version === bumpedVersion && cart.health?.status === 'Healthy' && isSettled(items, 12) ? items : undefined;
        },
        60_000,
      ),
    );
    say(`\nPushed → applied and healthy on dev-1 in ${Date.now() - pushedAt} ms. What the commit did (GET /v1/transitions?cluster=dev-1&component=cart):\n`);
    printTransitions(await api.transitions({ cluster: 'dev-1', component: 'cart', limit: 6 }));

    // Drift heals.
    const kubectl = join(root, '.tools', 'v35', 'kubectl');
    if (existsSync(kubectl)) {
      const prodKubeconfig = join(dataDir, 'kube', 'prod-eu.yaml');
      await step('Bob scales cart on prod-eu by hand: kubectl scale -n cart deployment/cart --replicas=7', () =>
        run(kubectl, ['--kubeconfig', prodKubeconfig, 'scale', '-n', 'cart', 'deployment/cart', '--replicas=7']),
      );
      const drift = await step('Waiting for the prod-eu agent to notice the drift and heal it', () =>
        waitFor(
          'drift detected and corrected on prod-eu',
          async () => {
            const items = await api.transitions({ cluster: 'prod-eu', component: 'cart', limit: 10 });
            return items.some((t) => t.kind === 'drift_corrected') ? items : undefined;
          },
          30_000,
        ),
      );
      const replicas = (await run(kubectl, ['--kubeconfig', prodKubeconfig, 'get', '-n', 'cart', 'deployment/cart', '-o', 'jsonpath={.spec.replicas}'])).trim();
      say(`\nprod-eu runs ${replicas} replicas of cart again, as the repository says. The ledger knows who did what:\n`);
      printTransitions(drift.filter((t) => t.kind.startsWith('drift')));
    } else {
      say('\n(kubectl is not unpacked in .tools/; run `npm run tools` to see drift healing in the demo)\n');
    }

    const verify = await api.verify();
    say(
      `\nLedger: ${verify.isIntact ? 'hash chain intact' : `BROKEN at row ${verify.firstBreak?.seq}`} over ${verify.checkedRows} rows (GET /v1/audit/verify). Up in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
    );
    if (!verify.isIntact) throw new Error('the audit ledger failed verification');

    const kubeconfig = join(dataDir, 'kube', 'dev-1.yaml');
    say(
      [
        '',
        'Try it yourself:',
        `  export DRIFTLESS_API_URL=http://127.0.0.1:${apiPort} DRIFTLESS_TOKEN=${adminToken}`,
        `  curl -s -H "authorization: Bearer $DRIFTLESS_TOKEN" "$DRIFTLESS_API_URL/v1/inventory?stage=prod"`,
        `  curl -s -H "authorization: Bearer $DRIFTLESS_TOKEN" "$DRIFTLESS_API_URL/v1/components/cart/blast-radius"`,
        `  open http://127.0.0.1:${apiPort}/docs for the API reference`,
        `  .tools/v35/kubectl --kubeconfig ${kubeconfig} get deployments -A      # one of the simulated clusters`,
        `  edit ${repoDir}/versions/test.yaml, commit, and the watcher picks it up within 30 s`,
        '',
      ].join('\n'),
    );
    if (args.isExitRequested) {
      await stopAll();
      say('demo finished.\n');
      return;
    }
    say('Driftless is running. Press Ctrl-C to stop.\n');
    await new Promise(() => undefined);
  } catch (err) {
    process.stderr.write(`\ndemo failed: ${(err as Error).message}\n(see the logs in .data/demo/logs)\n`);
    await stopAll();
    process.exitCode = 1;
  }
}

function describeStep(t: Transition): string {
  const detail = t.detail;
  switch (t.kind) {
    case 'desired_changed':
    case 'applied':
      return [t.fromVersion, t.toVersion].filter(Boolean).join(' → ');
    case 'health_changed':
      return `${typeof detail['from'] === 'string' ? detail['from'] : '∅'} → ${typeof detail['to'] === 'string' ? detail['to'] : '?'}`;
    case 'drift_detected':
    case 'drift_corrected':
      return `${String((detail['object'] as { kind?: string } | undefined)?.kind ?? '')} ${((detail['fields'] as string[] | undefined) ?? []).join(', ')}`;
    default:
      return '';
  }
}

function printTransitions(items: readonly Transition[]): void {
  table(
    ['when', 'step', 'what', 'who', 'commit'],
    items.map((t) => [t.occurredAt.slice(11, 23), t.kind, describeStep(t), t.actor ?? '', (t.commitSha ?? '').slice(0, 8)]),
  );
}

function printInventory(items: readonly InventoryItem[]): void {
  const rows = [...items].sort((a, b) => CLUSTERS.indexOf(a.cluster as never) - CLUSTERS.indexOf(b.cluster as never) || a.component.localeCompare(b.component));
  table(
    ['cluster', 'stage', 'component', 'version', 'health', 'sync', 'apps'],
    rows.map((i) => [i.cluster, i.stage ?? '', i.component, i.applied?.version ?? '-', i.health?.status ?? '-', i.sync, i.apps.join(',')]),
  );
}

await main();
