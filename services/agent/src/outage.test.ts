import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeJson, type DriftlessEvent } from '@driftless/contracts';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { isolatedNames, removeResources, startNatsServer, type NatsServer } from '@driftless/nats/testing';
import type { Provisioned } from '@driftless/nats';
import { eventually, NATS_URL, toolPath, uniqueName } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { configMap } from './testing/desired.js';
import { connectAndProvision, EventCollector, putDesired, startAgent, type AgentHarness } from './testing/harness.js';

const run = promisify(execFile);

/** Every event stored in the events stream (what the audit service would read), in order. */
async function storedEvents(provisioned: Provisioned): Promise<DriftlessEvent[]> {
  const info = await provisioned.jsm.streams.info(provisioned.names.eventsStream);
  const out: DriftlessEvent[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const msg = await provisioned.jsm.streams.getMessage(provisioned.names.eventsStream, { seq }).catch(() => null);
    if (msg) out.push(decodeJson(msg.data));
  }
  return out;
}

describe('API server outage', () => {
  const cluster = uniqueName('api');
  const names = isolatedNames('agent-api');
  let sim: KubeSim;
  let nc: NatsConnection;
  let provisioned: Provisioned;
  let harness: AgentHarness;
  const collector = new EventCollector();

  before(async () => {
    sim = await startKubeSim({ controllerDelayMs: 50 });
    ({ nc, provisioned } = await connectAndProvision(NATS_URL, names));
    collector.start(nc, names);
    harness = startAgent({ cluster, kubeconfig: sim.kubeconfig, nc, provisioned, maxBackoffMs: 500 });
  });
  after(async () => {
    await harness.stop();
    collector.stop();
    await removeResources(nc, names);
    await nc.close();
    await sim.stop();
  });

  it('backs off while the API server drops every connection, and converges when it answers again', async () => {
    await putDesired(provisioned, { cluster, component: 'web', objects: [configMap('a', 'default', { v: '1' })] });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'web');
    const clear = sim.cluster.injectFault({ path: /.*/, isConnectionDropped: true, times: Number.POSITIVE_INFINITY });
    await putDesired(provisioned, { cluster, component: 'web', version: '2.0.0', objects: [configMap('a', 'default', { v: '2' })] });
    await collector.waitFor('driftless.agent.apply_failed.v1', (e) => e.data.component === 'web' && e.data.attempt >= 3);
    const failures = collector.of('driftless.agent.apply_failed.v1', 'web');
    assert.ok(failures.every((e) => !e.data.isTerminal && e.data.status === undefined), 'transient, no HTTP status');
    assert.deepEqual(failures.slice(0, 3).map((e) => e.data.attempt), [1, 2, 3], 'each retry counted');
    clear();
    const applied = await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'web' && e.data.version === '2.0.0');
    assert.equal(applied.data.objects.applied, 1);
    assert.equal((sim.cluster.get('v1', 'ConfigMap', 'default', 'a') as { data: Record<string, string> }).data['v'], '2');
  });

  it('survives the API server stopping and coming back empty on the same port, and recreates everything', async () => {
    const port = Number(new URL(sim.url).port);
    await sim.stop();
    await new Promise((r) => setTimeout(r, 300));
    sim = await startKubeSim({ port, tokens: sim.tokens, controllerDelayMs: 50 });
    await eventually(() => sim.cluster.get('v1', 'ConfigMap', 'default', 'a'), { timeoutMs: 30_000, what: 'object recreated' });
    await eventually(() => sim.cluster.get('v1', 'ConfigMap', 'driftless-system', 'driftless-inventory-web'), { timeoutMs: 30_000, what: 'inventory recreated' });
    assert.equal((sim.cluster.get('v1', 'ConfigMap', 'default', 'a') as { data: Record<string, string> }).data['v'], '2');
  });
});

describe('NATS outage', () => {
  const cluster = uniqueName('nats');
  const names = isolatedNames('agent-nats');
  let nats: NatsServer;
  let sim: KubeSim;
  let nc: NatsConnection;
  let provisioned: Provisioned;
  let harness: AgentHarness;
  let dir: string;
  let kubeconfigPath: string;
  const collector = new EventCollector();

  before(async () => {
    nats = await startNatsServer();
    sim = await startKubeSim({ controllerDelayMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'driftless-agent-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, sim.kubeconfig);
    ({ nc, provisioned } = await connectAndProvision(nats.url, names));
    collector.start(nc, names);
    harness = startAgent({ cluster, kubeconfig: sim.kubeconfig, nc, provisioned, maxBackoffMs: 500 });
  });
  after(async () => {
    await harness.stop();
    collector.stop();
    await nc.close();
    await nats.destroy();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the cluster as desired while NATS is down, and reports and takes new state when it is back', async () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
    };
    await putDesired(provisioned, { cluster, component: 'web', objects: [deployment] });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'web');

    await nats.kill();
    // Drift while NATS is away is still healed: the desired state is kept in memory.
    await run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfigPath, 'scale', '-n', 'default', 'deployment/web', '--replicas=7']);
    await eventually(() => (sim.cluster.get('apps/v1', 'Deployment', 'default', 'web') as { spec: { replicas: number } }).spec.replicas === 2, { what: 'drift corrected without NATS' });
    await eventually(() => harness.events.pending() >= 2, { what: 'drift events waiting in the outbox' });

    await nats.start();
    await eventually(() => harness.events.pending() === 0, { timeoutMs: 30_000, what: 'outbox drained' });
    const stored = await storedEvents(provisioned);
    assert.ok(stored.some((e) => e.type === 'driftless.agent.drift_detected.v1' && e.data.object.name === 'web'), 'drift_detected delivered after the outage');
    assert.ok(stored.some((e) => e.type === 'driftless.agent.drift_corrected.v1'), 'drift_corrected delivered after the outage');

    // The desired-state watch is back too.
    await eventually(() => harness.agent.readiness().isReady, { timeoutMs: 30_000, what: 'agent ready again' });
    await putDesired(provisioned, { cluster, component: 'web', version: '2.0.0', objects: [{ ...deployment, spec: { ...deployment.spec, replicas: 3 } }] });
    await eventually(() => (sim.cluster.get('apps/v1', 'Deployment', 'default', 'web') as { spec: { replicas: number } }).spec.replicas === 3, { timeoutMs: 30_000, what: 'new desired state applied' });
    await eventually(async () => (await storedEvents(provisioned)).some((e) => e.type === 'driftless.agent.applied.v1' && e.data.version === '2.0.0'), { timeoutMs: 30_000, what: 'applied 2.0.0 stored' });
  });
});
