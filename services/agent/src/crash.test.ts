import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson } from '@driftless/contracts';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { freePort, isolatedNames, removeResources } from '@driftless/nats/testing';
import type { Provisioned } from '@driftless/nats';
import { eventually, NATS_URL, uniqueName } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { configMap } from './testing/desired.js';
import { connectAndProvision, putDesired } from './testing/harness.js';

const MAIN = join(import.meta.dirname, 'main.ts');

interface Child {
  process: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

function spawnAgent(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output, exited };
}

describe('agent process', () => {
  const cluster = uniqueName('crash');
  const names = isolatedNames('agent-crash');
  let sim: KubeSim;
  let nc: NatsConnection;
  let provisioned: Provisioned;
  let dir: string;
  let env: Record<string, string>;
  let child: Child | undefined;
  let httpPort: number;
  const total = 300;
  const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crash' } }, ...Array.from({ length: total }, (_, i) => configMap(`cm${i}`, 'crash'))];
  const countIn = (ns: string) => sim.cluster.list('v1', 'ConfigMap', ns).length;

  before(async () => {
    sim = await startKubeSim({ latencyMs: 25, controllerDelayMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'driftless-crash-'));
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig);
    ({ nc, provisioned } = await connectAndProvision(NATS_URL, names));
    httpPort = await freePort();
    env = {
      DRIFTLESS_CLUSTER: cluster,
      DRIFTLESS_NATS_URL: NATS_URL,
      DRIFTLESS_NATS_SUBJECT_PREFIX: names.subjectPrefix,
      DRIFTLESS_DESIRED_BUCKET: names.desired,
      DRIFTLESS_MANIFESTS_STORE: names.manifests,
      DRIFTLESS_KUBECONFIG: join(dir, 'kubeconfig'),
      DRIFTLESS_APPLY_CONCURRENCY: '4',
      DRIFTLESS_MAX_BACKOFF_MS: '1000',
      DRIFTLESS_HTTP_PORT: String(httpPort),
      DRIFTLESS_HTTP_HOST: '127.0.0.1',
      DRIFTLESS_LOG_LEVEL: 'warn',
    };
  });
  after(async () => {
    child?.process.kill('SIGKILL');
    await removeResources(nc, names);
    await nc.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad configuration with every problem listed', async () => {
    const bad = spawnAgent({ DRIFTLESS_CLUSTER: 'Not_A_Label', DRIFTLESS_NATS_URL: 'http://x', DRIFTLESS_HTTP_PORT: 'abc' });
    assert.equal(await bad.exited, 2);
    const text = bad.output.join('\n');
    assert.match(text, /DRIFTLESS_CLUSTER="Not_A_Label"/);
    assert.match(text, /DRIFTLESS_NATS_URL=/);
    assert.match(text, /DRIFTLESS_HTTP_PORT="abc" must be a whole number/);
  });

  it('converges after kill -9 in the middle of an apply, pruning what it applied before the crash if no longer desired', async () => {
    await putDesired(provisioned, { cluster, component: 'big', objects, options: { maxPruneShare: 0.5 } });
    child = spawnAgent(env);
    await eventually(() => countIn('crash') >= 40, { timeoutMs: 60_000, what: 'apply under way' });
    child.process.kill('SIGKILL');
    await child.exited;
    const atCrash = countIn('crash');
    assert.ok(atCrash < total, `killed mid-apply (${atCrash} of ${total} applied)`);
    const appliedBeforeCrash = sim.cluster.list('v1', 'ConfigMap', 'crash').map((o) => (o as { metadata: { name: string } }).metadata.name);

    // While it is down, the desired state drops some objects it had already applied.
    const dropped = new Set(appliedBeforeCrash.slice(0, 10));
    const remaining = objects.filter((o) => !dropped.has((o as { metadata: { name: string } }).metadata.name));
    await putDesired(provisioned, { cluster, component: 'big', version: '2.0.0', objects: remaining });

    child = spawnAgent(env);
    await eventually(() => countIn('crash') === total - dropped.size && [...dropped].every((n) => !sim.cluster.get('v1', 'ConfigMap', 'crash', n)), {
      timeoutMs: 90_000,
      what: 'converged on the new desired state',
    });
    await eventually(
      async () => {
        const info = await provisioned.jsm.streams.info(names.eventsStream);
        const last = await provisioned.jsm.streams.getMessage(names.eventsStream, { last_by_subj: `${names.subjectPrefix}.driftless.evt.agent.${cluster}.big.applied` }).catch(() => null);
        return info.state.messages > 0 && last !== null && (decodeJson(last.data) as { data: { version: string } }).data.version === '2.0.0';
      },
      { timeoutMs: 30_000, what: 'applied 2.0.0 reported' },
    );
    const inventory = sim.cluster.get('v1', 'ConfigMap', 'driftless-system', 'driftless-inventory-big') as { data: { objects: string } };
    assert.equal(inventory.data.objects.split('\n').length, total - dropped.size + 1);
  });

  it('serves /healthz, /readyz and /metrics on its optional port, and stops cleanly on SIGTERM', async () => {
    const base = `http://127.0.0.1:${httpPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, { what: 'ready' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /driftless_agent_writes_total \d+/);
    assert.match(metrics, /driftless_agent_components 1/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    child?.process.kill('SIGTERM');
    assert.equal(await child?.exited, 0);
    child = undefined;
  });
});
