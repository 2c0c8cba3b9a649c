/**
 * Benchmark (not a test): a 200 components × 50 clusters environment repository (10,000 pairs),
 * watched through the real mirror, renderer and NATS. Prints render time per (cluster, component),
 * the first full publish, commit → published latency after the fetch for a one-component change,
 * webhook → published latency, and checks that a no-op commit publishes nothing.
 *
 *   npx tsx bench/render.bench.ts   (from services/repo-watcher; needs NATS on DRIFTLESS_TEST_NATS_URL)
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestRepo } from '@driftless/git/testing';
import { connectNats, provision } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL } from '@driftless/testkit';
import { EnvrepoRenderer } from '../src/adapters/envrepo-renderer.js';
import type { GitSource } from '../src/ports.js';
import { startWatcher } from '../src/watcher.js';

const COMPONENTS = 200;
const CLUSTERS = 50;
const STAGES = ['dev', 'test', 'prod'] as const;
const REPO = 'bench';
const SECRET = 'bench-secret';

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const componentName = (i: number) => `svc-${pad(i, 3)}`;
const clusterName = (i: number) => `cl-${pad(i, 2)}`;

function environment(): Record<string, string> {
  const files: Record<string, string> = {};
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => {
    const stage = STAGES[i % STAGES.length]!;
    return `  ${clusterName(i)}: { stage: ${stage}, labels: { region: r${i % 5} }, values: { replicas: ${1 + (i % 4)} } }`;
  });
  const components = Array.from({ length: COMPONENTS }, (_, i) => `  ${componentName(i)}: { path: components/${componentName(i)}, values: { replicas: 1, port: ${8000 + i} } }`);
  files['driftless.yaml'] = [
    'apiVersion: driftless.dev/v1alpha1',
    'kind: Environment',
    `stages: [${STAGES.join(', ')}]`,
    'clusters:',
    ...clusters,
    'components:',
    ...components,
    'apps:',
    '  platform:',
    `    components: [${Array.from({ length: COMPONENTS }, (_, i) => componentName(i)).join(', ')}]`,
    `    clusters: { stages: [${STAGES.join(', ')}] }`,
    '',
  ].join('\n');
  for (const stage of STAGES) {
    files[`versions/${stage}.yaml`] = `${Array.from({ length: COMPONENTS }, (_, i) => `${componentName(i)}: 1.${i}.0`).join('\n')}\n`;
  }
  for (let i = 0; i < COMPONENTS; i++) {
    const name = componentName(i);
    files[`components/${name}/deployment.yaml`] = [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: ${component.name}',
      '  namespace: apps',
      '  labels:',
      '    app: ${component.name}',
      '    stage: ${cluster.stage}',
      'spec:',
      '  replicas: ${values.replicas}',
      '  selector:',
      '    matchLabels:',
      '      app: ${component.name}',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: ${component.name}',
      '    spec:',
      '      containers:',
      '        - name: main',
      '          image: ghcr.io/bench/${component.name}:${version}',
      '          ports:',
      '            - containerPort: ${values.port}',
      '          env:',
      '            - name: CLUSTER',
      '              value: ${cluster.name}',
      '            - name: REGION',
      '              value: ${cluster.labels.region}',
      '',
    ].join('\n');
    files[`components/${name}/service.yaml`] = service('');
  }
  return files;
}

function service(extraLabel: string): string {
  return [
    'apiVersion: v1',
    'kind: Service',
    'metadata:',
    '  name: ${component.name}',
    '  namespace: apps',
    ...(extraLabel === '' ? [] : ['  labels:', `    change: "${extraLabel}"`]),
    'spec:',
    '  selector:',
    '    app: ${component.name}',
    '  ports:',
    '    - port: 80',
    '      targetPort: ${values.port}',
    '',
  ].join('\n');
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main(): Promise<void> {
  const repo = TestRepo.create({ prefix: 'driftless-bench' });
  const scratch = mkdtempSync(join(tmpdir(), 'driftless-bench-'));
  const names = isolatedNames('bench');
  const nc = await connectNats({ servers: NATS_URL, name: 'repo-watcher-bench', maxAttempts: 3 });
  const log = createLogger({ name: 'bench', level: 'silent' });
  try {
    repo.write(environment());
    repo.commit('a big environment');
    const nats = await provision(nc, { names, desiredMaxBytes: 1024 * 1024 * 1024 });
    let fetchEndedMs = 0;
    const watcher = await startWatcher({
      settings: {
        repos: [{ name: REPO, url: repo.originPath, branch: 'main' }],
        repoTokens: {},
        repoTokenUsers: {},
        repoSshKeyFiles: {},
        webhookSecrets: { [REPO]: SECRET },
        mirrorDir: scratch,
        pollIntervalMs: 3_600_000,
        fetchTimeoutMs: 60_000,
        webhookSettleMs: 0,
        maxBodyBytes: 1024 * 1024,
        maxInlineManifestBytes: 256 * 1024,
        maxFileBytes: 1024 * 1024,
        maxCommitsPerSync: 50,
        publishConcurrency: 256,
      },
      nc,
      nats,
      holderId: 'bench',
      log,
      isBackgroundEnabled: false,
      wrapGit: (_name, git): GitSource => ({
        fetch: async (o) => {
          await git.fetch(o);
          fetchEndedMs = performance.now();
        },
        resolveBranch: (b) => git.resolveBranch(b),
        hasCommit: (s) => git.hasCommit(s),
        readCommit: (s) => git.readCommit(s),
        reader: (s, l) => git.reader(s, l),
        changedPaths: (a, b) => git.changedPaths(a, b),
        isAncestor: (a, b) => git.isAncestor(a, b),
        commitsBetween: (a, b, n) => git.commitsBetween(a, b, n),
      }),
    });
    const sync = watcher.syncs.get(REPO)!;
    const pairs = COMPONENTS * CLUSTERS;
    console.log(`repository: ${COMPONENTS} components × ${CLUSTERS} clusters = ${pairs} pairs`);

    // 1. First commit: render and publish everything.
    let started = performance.now();
    const first = await sync.sync();
    const firstMs = performance.now() - started;
    const firstPuts = first.kind === 'published' ? first.commits.reduce((n, c) => n + c.puts, 0) : 0;
    if (firstPuts !== pairs) throw new Error(`expected ${pairs} keys on the first sync, got ${firstPuts}: ${sync.status().lastError ?? 'render failures'}`);
    console.log(`first sync (fetch + render + publish ${firstPuts} keys + events): ${ms(firstMs)} (${ms(performance.now() - fetchEndedMs)} after fetch)`);

    // 2. Render time per pair, cold (fresh template cache) and warm (cache kept across commits).
    const { openMirror } = await import('@driftless/git');
    const mirror = await openMirror({ path: join(scratch, `${REPO}.git`), url: repo.originPath });
    const head = (await mirror.resolveBranch('main'))!;
    for (const label of ['cold', 'warm']) {
      const renderer = new EnvrepoRenderer();
      if (label === 'warm') await renderer.render(head, await mirror.reader(head));
      started = performance.now();
      const result = await renderer.render(head, await mirror.reader(head));
      const totalMs = performance.now() - started;
      console.log(`full render (${label} cache): ${ms(totalMs)} for ${result.pairs.length} pairs = ${((totalMs * 1000) / result.pairs.length).toFixed(1)} µs per (cluster, component)`);
    }
    mirror.close();

    // 3. One shared component changes (its template): commit → published after the fetch.
    const latencies: { published: number; synced: number; render: number; publish: number }[] = [];
    for (let round = 0; round < 5; round++) {
      repo.write({ 'components/svc-007/service.yaml': service(`round-${round}`) });
      repo.commit(`svc-007 change ${round}`);
      const outcome = await sync.sync();
      const doneMs = performance.now();
      if (outcome.kind !== 'published' || outcome.commits.length !== 1 || outcome.commits[0]!.puts !== CLUSTERS) {
        throw new Error(`expected ${CLUSTERS} puts for one shared component, got ${JSON.stringify(outcome)}`);
      }
      const commit = outcome.commits[0]!;
      latencies.push({ published: commit.publishedAtMs - fetchEndedMs, synced: doneMs - fetchEndedMs, render: commit.renderMs, publish: commit.publishMs });
    }
    const median = (pick: (l: (typeof latencies)[number]) => number) => [...latencies].map(pick).sort((a, b) => a - b)[2]!;
    const range = (pick: (l: (typeof latencies)[number]) => number) => {
      const values = latencies.map(pick);
      return `median ${ms(median(pick))}, min ${ms(Math.min(...values))}, max ${ms(Math.max(...values))}`;
    };
    console.log(`one shared component changed (${CLUSTERS} pairs), 5 rounds, after the fetch completed:`);
    console.log(`  → published (keys + events acknowledged): ${range((l) => l.published)} (target < 300 ms)`);
    console.log(`    of which render (incl. load + plan): ${range((l) => l.render)}; publish: ${range((l) => l.publish)}`);
    console.log(`  → checkpoint saved (sync done): ${range((l) => l.synced)}`);

    // 4. A version bump of one component at one stage.
    repo.write({ 'versions/prod.yaml': `${Array.from({ length: COMPONENTS }, (_, i) => `${componentName(i)}: 1.${i}.${i === 42 ? 1 : 0}`).join('\n')}\n` });
    repo.commit('svc-042 1.42.1 to prod');
    let outcome = await sync.sync();
    console.log(`one-line promotion (svc-042 to prod): ${ms(performance.now() - fetchEndedMs)} after fetch, ${outcome.kind === 'published' ? outcome.commits[0]!.puts : 0} keys`);

    // 5. A no-op commit publishes nothing.
    repo.write({ 'README.md': 'docs\n' });
    repo.commit('docs only');
    outcome = await sync.sync();
    const noopPuts = outcome.kind === 'published' ? outcome.commits.reduce((n, c) => n + c.puts + c.removals, 0) : -1;
    console.log(`no-op commit: ${noopPuts} keys published (${ms(performance.now() - fetchEndedMs)} after fetch)`);
    if (noopPuts !== 0) throw new Error('a no-op commit published something');

    // 6. Webhook → published, end to end (fetch included).
    repo.write({ 'components/svc-123/service.yaml': service('webhook') });
    repo.commit('svc-123 change');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    started = performance.now();
    const response = await watcher.app.inject({
      method: 'POST',
      url: `/webhooks/github/${REPO}`,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
      payload: body,
    });
    await watcher.whenIdle(REPO);
    console.log(`webhook (${response.statusCode}) → published: ${ms(performance.now() - started)} end to end, of which ${ms(performance.now() - fetchEndedMs)} after the fetch`);
    await watcher.stop();
  } finally {
    await removeResources(nc, names).catch(() => undefined);
    await nc.close();
    repo.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
