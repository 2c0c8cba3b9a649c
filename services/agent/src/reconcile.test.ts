import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@driftless/telemetry';
import { Agent } from './agent.js';
import { configMap, desiredState } from './testing/desired.js';
import { FakeEvents, FakeKube, FakeManifests, FakeSource, httpError } from './testing/fakes.js';

const CLUSTER = 'test-1';
const log = createLogger({ name: 'agent-test', level: 'silent' });

function harness() {
  const kube = new FakeKube();
  const source = new FakeSource();
  const events = new FakeEvents();
  const manifests = new FakeManifests();
  const agent = new Agent({
    cluster: CLUSTER,
    kube,
    source,
    events,
    manifests,
    log,
    inventoryNamespace: 'driftless-system',
    maxConcurrentReconciles: 2,
    applyConcurrency: 4,
    heartbeatIntervalMs: 60_000,
    resyncIntervalMs: 600_000,
    crdWaitTimeoutMs: 5_000,
    maxBackoffMs: 200,
    healthRecheckMs: 60_000,
  });
  agent.start();
  return { kube, source, events, manifests, agent };
}

const cms = (n: number, prefix = 'cm', ns = 'shop') => Array.from({ length: n }, (_, i) => configMap(`${prefix}${i}`, ns));

async function settle(agent: Agent): Promise<void> {
  // Two rounds: a reconcile may queue a follow-up (live changes it caused).
  await agent.idle();
  await new Promise((r) => setTimeout(r, 10));
  await agent.idle();
}

describe('reconcile against a fake API server', () => {
  let h: ReturnType<typeof harness>;
  before(() => {
    h = harness();
  });
  after(async () => {
    await h.agent.stop();
  });

  it('applies a new component, records its inventory and reports applied + health', async () => {
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(3)] }));
    await settle(h.agent);
    assert.ok(h.kube.objects.has('/ConfigMap/shop/cm0'));
    const cm = h.kube.objects.get('/ConfigMap/shop/cm2');
    assert.equal(cm?.metadata.labels?.['app.kubernetes.io/managed-by'], 'driftless');
    assert.equal(cm?.metadata.labels?.['driftless.dev/component'], 'shop');
    const inventory = h.kube.objects.get('/ConfigMap/driftless-system/driftless-inventory-shop');
    assert.ok(inventory, 'inventory ConfigMap written');
    assert.equal(String((inventory['data'] as Record<string, string>)['objects']).split('\n').length, 4);
    const applied = h.events.ofType('driftless.agent.applied.v1');
    assert.equal(applied.length, 1);
    assert.deepEqual(applied[0]?.data.objects, { applied: 4, unchanged: 0, pruned: 0 });
    assert.equal(applied[0]?.subject, `driftless.evt.agent.${CLUSTER}.shop.applied`);
    const health = h.events.ofType('driftless.agent.health_changed.v1');
    assert.equal(health.at(-1)?.data.to, 'Healthy');
    assert.ok(h.kube.calls.indexOf('apply Namespace/shop') < h.kube.calls.indexOf('apply ConfigMap/cm0'), 'namespace first');
  });

  it('makes no write on a resync of an unchanged component', async () => {
    const writes = h.kube.writes;
    const events = h.events.events.length;
    h.agent.reconciler.invalidateCaches();
    await h.agent.reconciler.reconcile('shop');
    assert.equal(h.kube.writes, writes);
    assert.equal(h.events.events.length, events, 'nothing new to report');
  });

  it('applies only what changed', async () => {
    const writes = h.kube.writes;
    const objects = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(3)];
    (objects[2] as { data: Record<string, string> }).data = { key: 'changed' };
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '1.1.0', objects }));
    await settle(h.agent);
    assert.equal(h.kube.writes - writes, 2, 'one object and the inventory');
    assert.deepEqual(h.events.ofType('driftless.agent.applied.v1').at(-1)?.data.objects, { applied: 1, unchanged: 3, pruned: 0 });
    assert.equal(h.events.ofType('driftless.agent.applied.v1').at(-1)?.data.version, '1.1.0');
  });

  it('prunes what is no longer desired, in reverse order', async () => {
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '1.2.0', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(2)] }));
    await settle(h.agent);
    assert.equal(h.kube.objects.has('/ConfigMap/shop/cm2'), false);
    assert.deepEqual(h.events.ofType('driftless.agent.applied.v1').at(-1)?.data.objects, { applied: 1, unchanged: 2, pruned: 1 }, 'cm1 goes back to its first content');
  });

  it('stops at the prune brake and reports prune_blocked, then prunes once allowed', async () => {
    const many = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(8)];
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '2.0.0', objects: many }));
    await settle(h.agent);
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '2.1.0', objects: many.slice(0, 3) }));
    await settle(h.agent);
    const blocked = h.events.ofType('driftless.agent.prune_blocked.v1');
    assert.equal(blocked.length, 1);
    assert.equal(blocked[0]?.data.wouldDelete.length, 6);
    assert.equal(blocked[0]?.data.totalObjects, 9);
    assert.match(blocked[0]?.data.reason ?? '', /6 of 9/);
    assert.ok(h.kube.objects.has('/ConfigMap/shop/cm7'), 'nothing deleted');
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '2.1.1', objects: many.slice(0, 3), options: { maxPruneShare: 1 } }));
    await settle(h.agent);
    assert.equal(h.kube.objects.has('/ConfigMap/shop/cm7'), false);
    assert.equal(h.events.ofType('driftless.agent.applied.v1').at(-1)?.data.objects.pruned, 6);
  });

  it('never prunes a Namespace unless allowed', async () => {
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '3.0.0', objects: cms(2), options: { maxPruneShare: 1 } }));
    await settle(h.agent);
    assert.ok(h.kube.objects.has('/Namespace//shop'));
    assert.match(h.events.ofType('driftless.agent.prune_blocked.v1').at(-1)?.data.reason ?? '', /Namespace shop/);
  });

  it('reports drift with the manager and corrects it', async () => {
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '3.1.0', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(2)] }));
    await settle(h.agent);
    h.kube.tamper({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cm1' }, (o) => ((o['data'] as Record<string, string>)['key'] = 'edited'), 'kubectl-edit', { 'f:data': { 'f:key': {} } });
    await settle(h.agent);
    const detected = h.events.ofType('driftless.agent.drift_detected.v1').at(-1);
    assert.equal(detected?.data.manager, 'kubectl-edit');
    assert.deepEqual(detected?.data.fields, ['data.key']);
    assert.equal(detected?.data.object.name, 'cm1');
    assert.equal((h.kube.objects.get('/ConfigMap/shop/cm1')?.['data'] as Record<string, string>)['key'], 'cm1', 're-applied');
    assert.deepEqual(h.events.ofType('driftless.agent.drift_corrected.v1').at(-1)?.data.fields, ['data.key']);
  });

  it('only reports drift, once, when correction is off', async () => {
    h.source.put('shop', desiredState({ cluster: CLUSTER, component: 'shop', version: '3.2.0', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, ...cms(2)], options: { isDriftCorrectionEnabled: false } }));
    await settle(h.agent);
    const before = h.events.ofType('driftless.agent.drift_detected.v1').length;
    h.kube.tamper({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'cm0' }, (o) => ((o['data'] as Record<string, string>)['key'] = 'edited'), 'kubectl-patch', { 'f:data': { 'f:key': {} } });
    await settle(h.agent);
    await h.agent.reconciler.reconcile('shop');
    const detected = h.events.ofType('driftless.agent.drift_detected.v1');
    assert.equal(detected.length, before + 1, 'reported once');
    assert.equal(detected.at(-1)?.data.isCorrectionEnabled, false);
    assert.equal((h.kube.objects.get('/ConfigMap/shop/cm0')?.['data'] as Record<string, string>)['key'], 'edited', 'left alone');
  });
});

describe('failures', () => {
  let h: ReturnType<typeof harness>;
  before(() => {
    h = harness();
  });
  after(async () => {
    await h.agent.stop();
  });

  it('a 403 is terminal for the revision: reported once, not retried until a new revision', async () => {
    h.kube.failWith = (verb, ref) => (verb === 'apply' && ref.name === 'secret-ish' ? httpError(403, 'Forbidden') : undefined);
    h.source.put('app', desiredState({ cluster: CLUSTER, component: 'app', objects: [configMap('ok', 'default'), configMap('secret-ish', 'default')] }));
    await settle(h.agent);
    const failed = h.events.ofType('driftless.agent.apply_failed.v1');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.data.isTerminal, true);
    assert.equal(failed[0]?.data.status, 403);
    assert.equal(failed[0]?.data.object?.name, 'secret-ish');
    const applies = h.kube.calls.filter((c) => c === 'apply ConfigMap/secret-ish').length;
    await h.agent.reconciler.reconcile('app');
    assert.equal(h.kube.calls.filter((c) => c === 'apply ConfigMap/secret-ish').length, applies, 'not retried');
    assert.equal(h.events.ofType('driftless.agent.applied.v1').length, 0);
    h.kube.failWith = undefined;
    h.source.put('app', desiredState({ cluster: CLUSTER, component: 'app', version: '1.0.1', objects: [configMap('ok', 'default'), configMap('secret-ish', 'default', { fixed: 'yes' })] }));
    await settle(h.agent);
    assert.ok(h.kube.objects.has('/ConfigMap/default/secret-ish'));
    assert.equal(h.events.ofType('driftless.agent.applied.v1').length, 1);
  });

  it('a transient failure is retried with backoff until it succeeds', async () => {
    let failures = 2;
    h.kube.failWith = (verb, ref) => (verb === 'apply' && ref.name === 'flaky' && failures-- > 0 ? httpError(503, 'ServiceUnavailable') : undefined);
    h.source.put('flaky', desiredState({ cluster: CLUSTER, component: 'flaky', objects: [configMap('flaky', 'default')] }));
    const deadline = Date.now() + 10_000;
    while (!h.kube.objects.has('/ConfigMap/default/flaky') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await settle(h.agent);
    const failed = h.events.ofType('driftless.agent.apply_failed.v1').filter((e) => e.data.component === 'flaky');
    assert.equal(failed.length, 2);
    assert.deepEqual(failed.map((e) => [e.data.isTerminal, e.data.attempt]), [[false, 1], [false, 2]]);
    assert.equal(h.events.ofType('driftless.agent.applied.v1').filter((e) => e.data.component === 'flaky').length, 1);
  });

  it('invalid desired state is terminal and applies nothing', async () => {
    const writes = h.kube.writes;
    h.source.put('broken', '{"not": "a desired state"}');
    h.source.put('wrong', desiredState({ cluster: 'other-cluster', component: 'wrong', objects: [] }));
    h.source.put('bad-objects', desiredState({ cluster: CLUSTER, component: 'bad-objects', objects: [{ kind: 'ConfigMap', metadata: { name: 'x' } }] }));
    await settle(h.agent);
    assert.equal(h.kube.writes, writes);
    const reasons = h.events.ofType('driftless.agent.apply_failed.v1').filter((e) => ['broken', 'wrong', 'bad-objects'].includes(e.data.component));
    assert.equal(reasons.length, 3);
    assert.ok(reasons.every((e) => e.data.isTerminal));
    assert.match(reasons.find((e) => e.data.component === 'wrong')?.data.reason ?? '', /names other-cluster.wrong/);
    assert.match(reasons.find((e) => e.data.component === 'bad-objects')?.data.reason ?? '', /object 1 has no apiVersion/);
    await h.agent.reconciler.reconcile('broken');
    assert.equal(h.events.ofType('driftless.agent.apply_failed.v1').filter((e) => e.data.component === 'broken').length, 1, 'reported once per revision');
  });

  it('a failed delete stays in the inventory and is retried', async () => {
    h.source.put('pr', desiredState({ cluster: CLUSTER, component: 'pr', objects: cms(4, 'p', 'default') }));
    await settle(h.agent);
    let failures = 1;
    h.kube.failWith = (verb, ref) => (verb === 'delete' && ref.name === 'p3' && failures-- > 0 ? httpError(500, 'InternalError') : undefined);
    h.source.put('pr', desiredState({ cluster: CLUSTER, component: 'pr', version: '2', objects: cms(3, 'p', 'default') }));
    const deadline = Date.now() + 10_000;
    while (h.kube.objects.has('/ConfigMap/default/p3') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await settle(h.agent);
    assert.equal(h.kube.objects.has('/ConfigMap/default/p3'), false);
    const inventory = h.kube.objects.get('/ConfigMap/driftless-system/driftless-inventory-pr');
    assert.doesNotMatch(String((inventory?.['data'] as Record<string, string>)['objects']), / p3$/m);
    h.kube.failWith = undefined;
  });

  it('waits for a CRD to be served before applying its custom resources', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [{ name: 'v1', served: true, storage: true }] },
    };
    const widget = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 1 } };
    h.kube.crdServeDelayMs = 300;
    h.source.put('crd', desiredState({ cluster: CLUSTER, component: 'crd', objects: [widget, crd] }));
    await settle(h.agent);
    const calls = h.kube.calls.filter((c) => c.includes('Widget') || c.includes('CustomResourceDefinition'));
    assert.deepEqual(calls, ['apply CustomResourceDefinition/widgets.example.com', 'apply Widget/w1']);
    assert.equal(h.kube.objects.get('example.com/Widget/default/w1')?.metadata.namespace, 'default', 'scope from the CRD');
  });

  it('removing a component honours the brake, and removes everything when allowed', async () => {
    h.source.put('gone', desiredState({ cluster: CLUSTER, component: 'gone', objects: cms(2, 'g', 'default') }));
    await settle(h.agent);
    h.source.remove('gone');
    await settle(h.agent);
    assert.ok(h.kube.objects.has('/ConfigMap/default/g0'), 'blocked by default');
    assert.equal(h.events.ofType('driftless.agent.prune_blocked.v1').at(-1)?.data.component, 'gone');
    h.source.put('gone2', desiredState({ cluster: CLUSTER, component: 'gone2', objects: cms(2, 'h', 'default'), options: { maxPruneShare: 1 } }));
    await settle(h.agent);
    h.source.remove('gone2');
    await settle(h.agent);
    assert.equal(h.kube.objects.has('/ConfigMap/default/h0'), false);
    assert.equal(h.kube.objects.has('/ConfigMap/driftless-system/driftless-inventory-gone2'), false);
    assert.equal(h.events.ofType('driftless.agent.applied.v1').at(-1)?.data.objects.pruned, 2);
  });
});
