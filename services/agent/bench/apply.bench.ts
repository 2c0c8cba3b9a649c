/**
 * Apply benchmark (not a test): against a kube-sim in its own process with 5 ms latency per request,
 *   A. applying one component of 500 objects: the agent vs `kubectl apply --server-side -f` of the
 *      same objects, side by side in one run (target: the agent at least 3× faster);
 *   B. a no-change resync of a 1,000-object component, counting write calls (target: 0);
 *   C. the RSS of an agent process managing 2,000 objects (target: under 120 MB).
 * Run: npm run bench -w @driftless/agent   (needs NATS on 127.0.0.1:4222 for part C)
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createKubeClient, type KubeClient } from '@driftless/kube';
import { connectNats, provision } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, repoRoot, toolPath } from '@driftless/testkit';
import { Agent } from '../src/agent.js';
import { configMap, desiredState } from '../src/testing/desired.js';
import { FakeEvents, FakeManifests, FakeSource } from '../src/testing/fakes.js';

const run = promisify(execFile);
const LATENCY_MS = Number(process.env['BENCH_LATENCY_MS'] ?? 5);
/**
 * The V8 flags the agent process runs with (the package's `start` script): a small young
 * generation and no optimizing compiler, which trade CPU the agent does not need for memory.
 */
const AGENT_NODE_FLAGS = '--max-semi-space-size=1 --lite-mode';
const log = createLogger({ name: 'bench', level: 'silent' });

function objectsFor(ns: string, count: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; out.length < count; i++) {
    const name = `app-${i}`;
    out.push(configMap(`${name}-config`, ns, { index: String(i), color: 'blue' }));
    if (out.length < count) out.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
    if (out.length < count) {
      out.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: ns, labels: { app: name } },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } } },
      });
    }
  }
  return out;
}

async function startSim(dir: string): Promise<{ child: ChildProcess; kubeconfigPath: string }> {
  const kubeconfigPath = join(dir, 'kubeconfig');
  const child = spawn(process.execPath, [join(repoRoot(), 'libs/kube-sim/bin/kube-sim.mjs'), '--port', '0', '--kubeconfig', kubeconfigPath, '--latency-ms', String(LATENCY_MS), '--controller-delay-ms', '50'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  while (!existsSync(kubeconfigPath) || readFileSync(kubeconfigPath, 'utf8').length === 0) {
    if (Date.now() > deadline) throw new Error('kube-sim did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, kubeconfigPath };
}

/** Counts the write calls the agent makes, whatever their outcome. */
function counting(kube: KubeClient): KubeClient & { writes: number } {
  const wrapped = {
    writes: 0,
    apply: (o: Parameters<KubeClient['apply']>[0], opts?: Parameters<KubeClient['apply']>[1]) => {
      wrapped.writes += 1;
      return kube.apply(o, opts);
    },
    delete: (r: Parameters<KubeClient['delete']>[0]) => {
      wrapped.writes += 1;
      return kube.delete(r);
    },
    get: kube.get.bind(kube),
    list: kube.list.bind(kube),
    watch: kube.watch.bind(kube),
    resource: kube.resource.bind(kube),
  };
  return wrapped;
}

function inProcessAgent(kube: KubeClient, cluster: string) {
  const source = new FakeSource();
  const events = new FakeEvents();
  const agent = new Agent({
    cluster,
    kube,
    source,
    events,
    manifests: new FakeManifests(),
    log,
    inventoryNamespace: 'driftless-system',
    maxConcurrentReconciles: 4,
    applyConcurrency: 16,
    heartbeatIntervalMs: 600_000,
    resyncIntervalMs: 3_600_000,
    crdWaitTimeoutMs: 60_000,
    maxBackoffMs: 5_000,
  });
  agent.start();
  return { agent, source, events };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? 0);
  return { rssMb: kb('VmRSS:') / 1024, peakMb: kb('VmHWM:') / 1024 };
}

/** CPU time (user + system) a process has used so far, from /proc. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface Sim {
  pid: number;
  dir: string;
  kubeconfig: string;
  kubeconfigPath: string;
}

/** A. 500 objects: kubectl vs the agent, alternating, each in a fresh namespace. */
async function benchApply(sim: Sim): Promise<Record<string, unknown>> {
  const kube = createKubeClient({ kubeconfig: sim.kubeconfig });
  const { agent, source, events } = inProcessAgent(kube, 'bench');
  const kubectlMs: number[] = [];
  const agentMs: number[] = [];
  const agentCpuMs: number[] = [];
  const simCpuMs: number[] = [];
  try {
    for (let round = 1; round <= 3; round++) {
      const kns = `kubectl-${round}`;
      const file = join(sim.dir, `${kns}.yaml`);
      writeFileSync(file, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: kns } }, ...objectsFor(kns, 500)].map((o) => stringify(o)).join('---\n'));
      let t = performance.now();
      await run(toolPath('kubectl', 'v35'), ['--kubeconfig', sim.kubeconfigPath, 'apply', '--server-side', '-f', file], { maxBuffer: 16 * 1024 * 1024 });
      kubectlMs.push(performance.now() - t);

      const ans = `agent-${round}`;
      const component = `bench-${round}`;
      const cpuBefore = process.cpuUsage();
      const simCpuBefore = cpuMsOf(sim.pid);
      t = performance.now();
      source.put(component, desiredState({ cluster: 'bench', component, objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ans } }, ...objectsFor(ans, 500)] }));
      await waitFor(() => events.ofType('driftless.agent.applied.v1').some((e) => e.data.component === component), `agent apply ${round}`);
      agentMs.push(performance.now() - t);
      const cpu = process.cpuUsage(cpuBefore);
      agentCpuMs.push(Math.round((cpu.user + cpu.system) / 1000));
      simCpuMs.push(cpuMsOf(sim.pid) - simCpuBefore);
      await agent.idle();
    }
  } finally {
    await agent.stop();
    kube.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return { kubectlMs: kubectlMs.map(Math.round), agentMs: agentMs.map(Math.round), agentCpuMs, kubeSimCpuMs: simCpuMs, speedupOfMedians: Number((median(kubectlMs) / median(agentMs)).toFixed(1)), target: '>= 3x' };
}

/** B. A 1,000-object component applied, then a no-change resync: count the write calls. */
async function benchResync(sim: Sim): Promise<Record<string, unknown>> {
  const client = createKubeClient({ kubeconfig: sim.kubeconfig });
  const kube = counting(client);
  const { agent, source, events } = inProcessAgent(kube, 'bench');
  try {
    source.put('resync', desiredState({ cluster: 'bench', component: 'resync', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'resync' } }, ...objectsFor('resync', 999)] }));
    await waitFor(() => events.ofType('driftless.agent.applied.v1').some((e) => e.data.component === 'resync'), 'resync component applied');
    await agent.idle();
    await new Promise((r) => setTimeout(r, 1_000));
    await agent.idle();
    const before = kube.writes;
    const t = performance.now();
    agent.reconciler.invalidateCaches();
    await agent.reconciler.reconcile('resync');
    return { objects: 1000, writeCalls: kube.writes - before, durationMs: Math.round(performance.now() - t), target: 0 };
  } finally {
    await agent.stop();
    client.close();
  }
}

/** C. The RSS of an agent process (from source through tsx, and bundled if built) managing 2,000 objects. */
async function benchRss(sim: Sim): Promise<Record<string, unknown>> {
  const names = isolatedNames('bench');
  const nc = await connectNats({ servers: NATS_URL, name: 'bench', maxAttempts: 3 });
  const provisioned = await provision(nc, { names });
  const kube = createKubeClient({ kubeconfig: sim.kubeconfig });
  const out: Record<string, unknown> = {};
  try {
    for (let c = 0; c < 4; c++) {
      const ns = `rss-${c}`;
      const state = desiredState({ cluster: 'rss', component: `part-${c}`, objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, ...objectsFor(ns, 499)] });
      await provisioned.desired.put(`rss.part-${c}`, JSON.stringify(state));
    }
    const env = {
      ...process.env,
      DRIFTLESS_CLUSTER: 'rss',
      DRIFTLESS_NATS_URL: NATS_URL,
      DRIFTLESS_NATS_SUBJECT_PREFIX: names.subjectPrefix,
      DRIFTLESS_DESIRED_BUCKET: names.desired,
      DRIFTLESS_KUBECONFIG: sim.kubeconfigPath,
      DRIFTLESS_LOG_LEVEL: 'warn',
    };
    const variants: { label: string; args: string[] }[] = [];
    const bundle = join(import.meta.dirname, '../dist/agent.mjs');
    const flags = (process.env['AGENT_NODE_FLAGS'] ?? AGENT_NODE_FLAGS).split(' ').filter(Boolean);
    if (existsSync(bundle)) variants.push({ label: `bundled: node ${flags.join(' ')} dist/agent.mjs`, args: [...flags, bundle] });
    else console.log('(no dist/agent.mjs: run `npm run build -w @driftless/agent` to measure the bundled agent)');
    variants.push({ label: `from source: node ${flags.join(' ')} --import tsx src/main.ts`, args: [...flags, '--import', 'tsx', join(import.meta.dirname, '../src/main.ts')] });
    const deployments = async () => {
      const list = await kube.list('apps/v1', 'Deployment', { labelSelector: 'app.kubernetes.io/managed-by=driftless' });
      return list.items.filter((o) => o.metadata.namespace?.startsWith('rss-')).length;
    };
    for (const variant of variants) {
      // Each variant starts from an empty cluster share: remove what the previous one applied.
      for (let c = 0; c < 4; c++) await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: `rss-${c}` });
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'driftless-system' });
      const agentProcess = spawn(process.execPath, variant.args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
      const t = performance.now();
      while ((await deployments()) < 4 * Math.floor(499 / 3)) await new Promise((r) => setTimeout(r, 250));
      const convergedMs = Math.round(performance.now() - t);
      // Let it settle (workload statuses, health) and take steady-state samples.
      await new Promise((r) => setTimeout(r, 5_000));
      const samples = [];
      for (let i = 0; i < 5; i++) {
        samples.push(rssOf(agentProcess.pid ?? 0));
        await new Promise((r) => setTimeout(r, 500));
      }
      out[variant.label] = {
        managedObjects: 2000,
        convergedMs,
        rssMb: Number(Math.max(...samples.map((x) => x.rssMb)).toFixed(1)),
        peakRssMb: Number(Math.max(...samples.map((x) => x.peakMb)).toFixed(1)),
        target: '< 120 MB',
      };
      agentProcess.kill('SIGTERM');
      await new Promise((r) => agentProcess.once('exit', r));
    }
  } finally {
    kube.close();
    await removeResources(nc, names);
    await nc.close();
  }
  return out;
}

async function main(): Promise<void> {
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const dir = mkdtempSync(join(tmpdir(), 'driftless-bench-'));
  const { child, kubeconfigPath } = await startSim(dir);
  const sim: Sim = { pid: child.pid ?? 0, dir, kubeconfigPath, kubeconfig: readFileSync(kubeconfigPath, 'utf8') };
  const results: Record<string, unknown> = { latencyMs: LATENCY_MS };
  try {
    if (only === undefined || only === 'apply') console.log('A. apply 500 objects', (results['apply500'] = await benchApply(sim)));
    if (only === undefined || only === 'resync') console.log('B. no-change resync', (results['resync1000'] = await benchResync(sim)));
    if (only === undefined || only === 'rss') console.log('C. agent process with 2,000 managed objects', (results['rss2000'] = await benchRss(sim)));
  } finally {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

await main();
