import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { removeResources, isolatedNames } from '@driftless/nats/testing';
import type { Provisioned } from '@driftless/nats';
import { eventually, NATS_URL, toolPath, uniqueName } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { configMap } from './testing/desired.js';
import { connectAndProvision, deleteDesired, EventCollector, putDesired, startAgent, type AgentHarness } from './testing/harness.js';

const run = promisify(execFile);

const deployment = (name: string, ns: string, { replicas = 2, image = 'nginx:1.27', extra = {} } = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image, ports: [{ containerPort: 8080 }] }] } },
    ...extra,
  },
});
const service = (name: string, ns: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } });
const namespace = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

describe('agent against kube-sim and NATS', () => {
  const cluster = uniqueName('c');
  const names = isolatedNames('agent');
  let sim: KubeSim;
  let nc: NatsConnection;
  let provisioned: Provisioned;
  let harness: AgentHarness;
  const collector = new EventCollector();
  let dir: string;
  let kubeconfigPath: string;
  const kubectl = (...args: string[]) => run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfigPath, ...args]);
  const live = (apiVersion: string, kind: string, ns: string, name: string) => sim.cluster.get(apiVersion, kind, ns, name) as Record<string, unknown> | undefined;
  const replicasOf = (ns: string, name: string) => (live('apps/v1', 'Deployment', ns, name)?.['spec'] as { replicas?: number } | undefined)?.replicas;

  before(async () => {
    sim = await startKubeSim({ controllerDelayMs: 50 });
    dir = mkdtempSync(join(tmpdir(), 'driftless-agent-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, sim.kubeconfig);
    ({ nc, provisioned } = await connectAndProvision(NATS_URL, names));
    collector.start(nc, names);
    harness = startAgent({ cluster, kubeconfig: sim.kubeconfig, nc, provisioned, heartbeatIntervalMs: 1_000 });
  });
  after(async () => {
    await harness.stop();
    collector.stop();
    await removeResources(nc, names);
    await nc.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a new component in order, records the inventory and reports applied and Healthy', async () => {
    const objects = [deployment('web', 'shop'), service('web', 'shop'), configMap('web-config', 'shop'), namespace('shop')];
    const patches: string[] = [];
    const off = sim.cluster.onRequest((r) => r.method === 'PATCH' && patches.push(r.path));
    await putDesired(provisioned, { cluster, component: 'shop', objects });
    const applied = await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'shop');
    off();
    assert.deepEqual(applied.data.objects, { applied: 4, unchanged: 0, pruned: 0 });
    assert.equal(applied.data.version, '1.0.0');
    assert.equal(applied.subject, `driftless.evt.agent.${cluster}.shop.applied`);
    assert.ok(patches.findIndex((p) => p.includes('/namespaces/shop') && !p.includes('/namespaces/shop/')) < patches.findIndex((p) => p.includes('/deployments/web')), `namespace first: ${patches.join(' ')}`);
    const cm = live('v1', 'ConfigMap', 'shop', 'web-config') as { metadata: { labels: Record<string, string> } };
    assert.equal(cm.metadata.labels['app.kubernetes.io/managed-by'], 'driftless');
    const inventory = live('v1', 'ConfigMap', 'driftless-system', 'driftless-inventory-shop') as { data: { objects: string } } | undefined;
    assert.equal(inventory?.data.objects.split('\n').length, 4);
    await collector.waitFor('driftless.agent.health_changed.v1', (e) => e.data.component === 'shop' && e.data.to === 'Healthy');
  });

  it('publishes a heartbeat', async () => {
    const beat = await collector.waitFor('driftless.cluster.heartbeat.v1', (e) => e.data.cluster === cluster && e.data.components >= 1);
    assert.equal(beat.subject, `driftless.evt.cluster.${cluster}.heartbeat`);
  });

  it('makes no write call on a no-change resync', async () => {
    await harness.agent.idle();
    await sim.cluster.whenSettled();
    await harness.agent.idle();
    const writes: string[] = [];
    const off = sim.cluster.onRequest((r) => r.method !== 'GET' && writes.push(`${r.method} ${r.path}`));
    harness.agent.reconciler.invalidateCaches();
    await harness.agent.reconciler.reconcile('shop');
    off();
    assert.deepEqual(writes, []);
  });

  it('applies an update, continuing the trace of the desired state', async () => {
    const traceId = 'a'.repeat(31) + '1';
    const objects = [deployment('web', 'shop'), service('web', 'shop'), configMap('web-config', 'shop', { key: 'v2' }), namespace('shop')];
    await putDesired(provisioned, { cluster, component: 'shop', version: '1.1.0', objects }, `00-${traceId}-${'b'.repeat(16)}-01`);
    const applied = await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'shop' && e.data.version === '1.1.0');
    assert.deepEqual(applied.data.objects, { applied: 1, unchanged: 3, pruned: 0 });
    assert.equal(applied.traceparent?.split('-')[1], traceId, 'same trace as the desired state');
    assert.equal((live('v1', 'ConfigMap', 'shop', 'web-config')?.['data'] as Record<string, string>)['key'], 'v2');
  });

  it('prunes what is no longer desired', async () => {
    const objects = [deployment('web', 'shop'), service('web', 'shop'), namespace('shop')];
    await putDesired(provisioned, { cluster, component: 'shop', version: '1.2.0', objects });
    const applied = await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'shop' && e.data.version === '1.2.0');
    assert.equal(applied.data.objects.pruned, 1);
    assert.equal(live('v1', 'ConfigMap', 'shop', 'web-config'), undefined);
  });

  it('never deletes what it did not create', async () => {
    await kubectl('create', 'configmap', 'hand-made', '-n', 'shop', '--from-literal=a=b');
    await putDesired(provisioned, { cluster, component: 'shop', version: '1.2.1', objects: [deployment('web', 'shop'), service('web', 'shop'), namespace('shop')] });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'shop' && e.data.version === '1.2.1');
    assert.ok(live('v1', 'ConfigMap', 'shop', 'hand-made'));
  });

  it('stops at the prune brake', async () => {
    const many = [namespace('brake'), ...Array.from({ length: 6 }, (_, i) => configMap(`b${i}`, 'brake'))];
    await putDesired(provisioned, { cluster, component: 'brake', objects: many });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'brake');
    await putDesired(provisioned, { cluster, component: 'brake', version: '2.0.0', objects: many.slice(0, 3) });
    const blocked = await collector.waitFor('driftless.agent.prune_blocked.v1', (e) => e.data.component === 'brake');
    assert.equal(blocked.data.wouldDelete.length, 4);
    assert.equal(blocked.data.totalObjects, 7);
    assert.ok(live('v1', 'ConfigMap', 'brake', 'b5'), 'nothing deleted');
  });

  it('applies a CRD before its custom resource and waits until it is served', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    const gadget = { apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: 'shop' }, spec: { size: 2 } };
    const patches: string[] = [];
    const off = sim.cluster.onRequest((r) => r.method === 'PATCH' && patches.push(r.path));
    await putDesired(provisioned, { cluster, component: 'gadgets', objects: [gadget, crd] });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'gadgets');
    off();
    const crdAt = patches.findIndex((p) => p.includes('customresourcedefinitions'));
    const crAt = patches.findIndex((p) => p.includes('/gadgets/g1'));
    assert.ok(crdAt >= 0 && crAt > crdAt, patches.join(' '));
    assert.ok(live('example.com/v1', 'Gadget', 'shop', 'g1'));
  });

  it('reports a broken rollout as Degraded', async () => {
    await putDesired(provisioned, {
      cluster,
      component: 'broken',
      objects: [deployment('bad', 'shop', { image: 'nginx:broken', extra: { progressDeadlineSeconds: 1 } })],
    });
    await collector.waitFor('driftless.agent.health_changed.v1', (e) => e.data.component === 'broken' && e.data.to === 'Degraded');
    const progressing = collector.of('driftless.agent.health_changed.v1', 'broken').find((e) => e.data.to === 'Progressing');
    assert.ok(progressing, 'it was Progressing first');
  });

  it('detects drift by kubectl scale with kubectl\'s manager, and corrects it', async () => {
    await kubectl('scale', '-n', 'shop', 'deployment/web', '--replicas=5');
    const detected = await collector.waitFor('driftless.agent.drift_detected.v1', (e) => e.data.object.name === 'web' && e.data.fields.includes('spec.replicas'));
    assert.match(detected.data.manager, /^kubectl/);
    assert.equal(detected.data.isCorrectionEnabled, true);
    const corrected = await collector.waitFor('driftless.agent.drift_corrected.v1', (e) => e.data.object.name === 'web');
    assert.deepEqual(corrected.data.fields, ['spec.replicas']);
    await eventually(() => replicasOf('shop', 'web') === 2, { what: 'replicas back to 2' });
  });

  it('detects drift by kubectl edit with the kubectl-edit manager', async () => {
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/image: nginx:1.27/image: nginx:edited/" "$1"\n');
    chmodSync(editor, 0o755);
    await run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfigPath, 'edit', '-n', 'shop', 'deployment/web'], { env: { ...process.env, KUBE_EDITOR: editor, EDITOR: editor } });
    const detected = await collector.waitFor('driftless.agent.drift_detected.v1', (e) => e.data.object.name === 'web' && e.data.manager === 'kubectl-edit');
    assert.deepEqual(detected.data.fields, ['spec.template.spec.containers[name=web].image']);
    await collector.waitFor('driftless.agent.drift_corrected.v1', (e) => e.data.object.name === 'web' && e.data.fields.includes('spec.template.spec.containers[name=web].image'));
    await eventually(() => JSON.stringify(live('apps/v1', 'Deployment', 'shop', 'web')).includes('nginx:1.27'), { what: 'image restored' });
  });

  it('only reports drift when correction is off', async () => {
    await putDesired(provisioned, { cluster, component: 'manual', objects: [deployment('manual', 'shop')], options: { isDriftCorrectionEnabled: false } });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'manual');
    await kubectl('scale', '-n', 'shop', 'deployment/manual', '--replicas=4');
    const detected = await collector.waitFor('driftless.agent.drift_detected.v1', (e) => e.data.component === 'manual');
    assert.equal(detected.data.isCorrectionEnabled, false);
    await harness.agent.idle();
    await harness.agent.reconciler.reconcile('manual');
    assert.equal(replicasOf('shop', 'manual'), 4, 'left as the operator set it');
    assert.equal(collector.of('driftless.agent.drift_corrected.v1', 'manual').length, 0);
    assert.equal(collector.of('driftless.agent.drift_detected.v1', 'manual').length, 1, 'reported once');
  });

  it('removes a component whose desired state was deleted, when its options allow it', async () => {
    await putDesired(provisioned, { cluster, component: 'temp', objects: [configMap('t1', 'shop'), configMap('t2', 'shop')], options: { maxPruneShare: 1 } });
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'temp');
    await deleteDesired(provisioned, cluster, 'temp');
    await collector.waitFor('driftless.agent.applied.v1', (e) => e.data.component === 'temp' && e.data.objects.pruned === 2);
    assert.equal(live('v1', 'ConfigMap', 'shop', 't1'), undefined);
    await eventually(() => live('v1', 'ConfigMap', 'driftless-system', 'driftless-inventory-temp') === undefined, { what: 'inventory removed' });
  });
});

describe('agent with a read-only token', () => {
  const cluster = uniqueName('ro');
  const names = isolatedNames('agent-ro');
  let sim: KubeSim;
  let nc: NatsConnection;
  let provisioned: Provisioned;
  let harness: AgentHarness;
  const collector = new EventCollector();

  before(async () => {
    sim = await startKubeSim({ controllerDelayMs: 50 });
    ({ nc, provisioned } = await connectAndProvision(NATS_URL, names));
    collector.start(nc, names);
    harness = startAgent({ cluster, kubeconfig: sim.readOnlyKubeconfig, nc, provisioned });
  });
  after(async () => {
    await harness.stop();
    collector.stop();
    await removeResources(nc, names);
    await nc.close();
    await sim.stop();
  });

  it('treats 403 as terminal for the revision', async () => {
    await putDesired(provisioned, { cluster, component: 'denied', objects: [configMap('x', 'default')] });
    const failed = await collector.waitFor('driftless.agent.apply_failed.v1', (e) => e.data.component === 'denied');
    assert.equal(failed.data.status, 403);
    assert.equal(failed.data.isTerminal, true);
    await harness.agent.idle();
    await harness.agent.reconciler.reconcile('denied');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(collector.of('driftless.agent.apply_failed.v1', 'denied').length, 1, 'not retried');
    assert.equal(sim.cluster.get('v1', 'ConfigMap', 'default', 'x'), undefined);
  });
});
