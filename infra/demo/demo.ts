/**
 * `npm run demo`: the whole of Driftless on one machine, on embedded defaults.
 *
 * It starts NATS (JetStream), an embedded PostgreSQL, four kube-sim clusters (dev-1, test-1,
 * prod-eu, prod-us), the audit service, the repo-watcher and one agent per cluster, points them
 * at a Git copy of the example environment repository, waits until every component runs where
 * it should, then commits a version bump as "Alice", sends the push webhook and shows the change
 * travel to the cluster and into the audit log, promotes it to test as "Grace" (the watcher writes
 * the commit) and heals a hand-made drift. It keeps running until Ctrl-C (or exits when
 * given --once, which exits 0 only if every step was observed and cleans up). Everything it
 * writes lives under .driftless/ in the working tree.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { git, run } from './tools.js';
import { apiClient, type InventoryItem, type Transition } from './api.js';
import { REPO_ROOT, startSystem, type RunningSystem } from './system.js';
import { say, step, table, waitFor } from './output.js';

const USAGE = `Usage: npm run demo [-- --once] [--api-port 8080] [--nats-url URL] [--postgres-url URL]

Starts Driftless locally: NATS, PostgreSQL, four simulated clusters, the audit API, the
repo-watcher and one agent per cluster, then shows a commit travelling to a cluster, a
promotion from dev to test, and drift being healed.

  --once               play the story, then stop and clean up (exit 0 only if every step was observed)
  --api-port PORT      audit API port (default 8080, or a free one if taken)
  --nats-url URL       use this NATS (with JetStream) instead of starting nats-server
  --postgres-url URL   use this PostgreSQL database instead of an embedded one
`;

const root = REPO_ROOT;
const DATA_DIR_NAME = '.driftless';
const dataDir = join(root, DATA_DIR_NAME);
const CLUSTERS = ['dev-1', 'test-1', 'prod-eu', 'prod-us'] as const;

interface Args {
  isOnce: boolean;
  apiPort: number | undefined;
  natsUrl: string | undefined;
  postgresUrl: string | undefined;
}

function readArgs(): Args | undefined {
  try {
    const { values } = parseArgs({
      options: {
        once: { type: 'boolean', default: false },
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
    return { isOnce: values.once, apiPort, natsUrl: values['nats-url'], postgresUrl: values['postgres-url'] };
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
  let system: RunningSystem | undefined;
  let isStopping = false;
  const stopAll = async () => {
    if (isStopping) return;
    isStopping = true;
    await system?.stop();
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

  try {
    say(`Driftless demo — everything lives in ${DATA_DIR_NAME}/ (logs in ${DATA_DIR_NAME}/logs)\n`);
    let apiPort = args.apiPort ?? 8080;
    if (!(await isPortFree(apiPort))) {
      if (args.apiPort !== undefined) throw new Error(`port ${apiPort} is taken; choose another with --api-port`);
      apiPort = 0;
    }
    // The web UI is static files the audit service serves; vite builds them in seconds.
    if (!existsSync(join(root, 'ui', 'dist', 'index.html'))) {
      await step('Building the web UI (once: npm run build -w @driftless/ui)', () =>
        run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn', join(root, 'ui')]),
      );
    }
    system = await startSystem({
      dataDir,
      clusters: CLUSTERS,
      ...(args.natsUrl === undefined ? {} : { natsUrl: args.natsUrl }),
      ...(args.postgresUrl === undefined ? {} : { postgresUrl: args.postgresUrl }),
      ...(apiPort === 0 ? {} : { apiPort }),
      // The watcher writes promotion commits, so it watches a bare origin that envrepo/ pushes to.
      isRepoPushable: true,
      step,
      log: say,
    });
    const { repoDir } = system;
    const sys = system;

    // Everything converges.
    const api = apiClient(sys.apiUrl, sys.adminToken);
    const isSettled = (items: readonly InventoryItem[], expected: number) =>
      items.length === expected && items.every((i) => i.sync === 'Synced' && i.health?.status === 'Healthy');
    await step('Waiting for every component to be applied and healthy on every cluster', () =>
      waitFor(
        'all 12 placements to be Synced and Healthy',
        async () => {
          sys.assertRunning();
          const items = await api.inventory();
          return isSettled(items, 12) ? items : undefined;
        },
        120_000,
      ),
    );
    say('\nWhat runs where ($ driftless inventory):\n');
    say(await sys.cli(['inventory']));

    // A change travels.
    const bumpedVersion = '1.6.0';
    await step(`Alice bumps cart to ${bumpedVersion} on stage dev (one line in versions/dev.yaml) and pushes`, async () => {
      const file = join(repoDir, 'versions', 'dev.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^cart: .*$/m, `cart: ${bumpedVersion}`));
      await git(repoDir, ['commit', '-q', '-am', `cart ${bumpedVersion} to dev`], { name: 'Alice', email: 'alice@example.com' });
      await git(repoDir, ['push', '-q', 'origin', 'main']);
      await sys.notifyPush((await git(repoDir, ['rev-parse', 'HEAD'])).trim());
    });
    const pushedAt = Date.now();
    await step('Waiting for dev-1 to run it', () =>
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
    say(`\nPushed → applied and healthy on dev-1 in ${Date.now() - pushedAt} ms. What happened to cart on dev-1 ($ driftless history --cluster dev-1 --component cart --limit 6):\n`);
    say(await sys.cli(['history', '--cluster', 'dev-1', '--component', 'cart', '--limit', '6']));

    // A promotion: no branch, no hand-edited YAML; the watcher writes the one-line commit.
    const graceToken = await sys.createToken('grace', 'operator', 'grace@example.com');
    say(`\n$ driftless promote cart --to test --yes --wait   (as Grace, an operator)\n`);
    say(await sys.cli(['promote', 'cart', '--to', 'test', '--yes', '--wait', '--reason', 'dev looks good'], graceToken));
    await step('Waiting for test-1 to run it', () =>
      waitFor(
        `cart ${bumpedVersion} applied and healthy on test-1`,
        async () => {
          const items = await api.inventory();
          const cart = items.find((i) => i.cluster === 'test-1' && i.component === 'cart');
          return cart?.applied?.version === bumpedVersion && cart.health?.status === 'Healthy' ? items : undefined;
        },
        60_000,
      ),
    );
    await git(repoDir, ['pull', '-q', '--ff-only', 'origin', 'main']);
    say('\nThe commit the repo-watcher wrote ($ git log -1 --format=fuller -p -- versions/test.yaml):\n');
    say(await git(repoDir, ['log', '-1', '--format=fuller', '-p', '--', 'versions/test.yaml']));

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

    say('\n$ driftless audit verify\n');
    say(await sys.cli(['audit', 'verify']));
    say(`Up in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);

    const viewerToken = await sys.createToken('demo-viewer', 'viewer');
    say(
      [
        '',
        'Driftless is running. Try it:',
        `  web UI:        ${sys.apiUrl}/ui/  (sign in with the viewer token below${existsSync(join(root, 'ui', 'dist', 'index.html')) ? '' : '; build the UI first: npm run build -w @driftless/ui'})`,
        `  API docs:      ${sys.apiUrl}/docs`,
        `  viewer token:  export DRIFTLESS_API_URL=${sys.apiUrl} DRIFTLESS_TOKEN=${viewerToken}`,
        '  the CLI:       npx driftless inventory --stage prod',
        '                 npx driftless blast-radius cart',
        '                 npx driftless history --component cart --since 1h',
        '                 npx driftless cluster list',
        `  the API:       curl -s -H "authorization: Bearer $DRIFTLESS_TOKEN" "$DRIFTLESS_API_URL/v1/inventory?stage=prod"`,
        '  clusters:      ' + CLUSTERS.map((c) => `.tools/v35/kubectl --kubeconfig ${DATA_DIR_NAME}/kube/${c}.yaml get deployments -A`).join('\n                 '),
        `  a change:      edit ${DATA_DIR_NAME}/envrepo/versions/dev.yaml, git commit -am "..." && git push; the watcher picks it up within 30 s`,
        `  a promotion:   DRIFTLESS_TOKEN=${graceToken} npx driftless promote cart --to prod --wait   (as Grace, an operator)`,
        `  admin token:   ${sys.adminToken}   (for driftless cluster add / token create)`,
        `  stop:          Ctrl-C (everything stops; ${DATA_DIR_NAME}/ is wiped at the next start)`,
        '',
      ].join('\n'),
    );
    if (args.isOnce) {
      await stopAll();
      rmSync(dataDir, { recursive: true, force: true });
      say('Every step was observed; stopped and cleaned up.\n');
      return;
    }
    say('Press Ctrl-C to stop everything.\n');
    await new Promise(() => undefined);
  } catch (err) {
    process.stderr.write(`\ndemo failed: ${(err as Error).message}\n(see the logs in ${DATA_DIR_NAME}/logs)\n`);
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

await main();
