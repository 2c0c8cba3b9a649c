import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Health, InvalidInputError } from '@driftless/contracts';
import {
  applyWaves,
  backoffDelayMs,
  decideForStatus,
  decideObject,
  DEFAULT_PRUNE_OPTIONS,
  emptyInventory,
  healthOf,
  InvalidInventoryError,
  inventoryFromConfigMap,
  inventoryToConfigMap,
  isSameInventory,
  kindsDefinedBy,
  objectHash,
  planPrune,
  prepareObject,
  refKey,
  sortForDelete,
  validateManifests,
  withPending,
  type Inventory,
  type InventoryEntry,
  type KubeObject,
} from './index.js';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: namespace === undefined ? { name } : { name, namespace },
  ...extra,
});

function inventoryOf(objects: KubeObject[], component = 'shop'): Inventory {
  const entries = new Map<string, InventoryEntry>();
  for (const o of objects) {
    const ref = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace === undefined ? {} : { namespace: o.metadata.namespace }) };
    entries.set(refKey(ref), { ref, hash: objectHash(o) });
  }
  return { component, entries };
}

describe('apply ordering', () => {
  const objects = [
    obj('apps/v1', 'Deployment', 'web', 'shop'),
    obj('example.com/v1', 'Widget', 'w1', 'shop'),
    obj('v1', 'ConfigMap', 'cfg', 'shop'),
    obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'reader'),
    obj('v1', 'Namespace', 'shop'),
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
    obj('v1', 'ServiceAccount', 'web', 'shop'),
  ];
  it('puts CRDs, then Namespaces, then cluster-scoped, then namespaced, custom resources last', () => {
    const waves = applyWaves(objects).map((w) => w.map((o) => o.kind));
    assert.deepEqual(waves, [['CustomResourceDefinition'], ['Namespace'], ['ClusterRole'], ['ServiceAccount'], ['ConfigMap'], ['Deployment'], ['Widget']]);
  });
  it('deletes in reverse', () => {
    const refs = objects.map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name }));
    assert.deepEqual(sortForDelete(refs).map((r) => r.kind), ['Widget', 'Deployment', 'ConfigMap', 'ServiceAccount', 'ClusterRole', 'Namespace', 'CustomResourceDefinition']);
  });
  it('is deterministic within a wave', () => {
    const a = applyWaves([obj('v1', 'ConfigMap', 'b', 'x'), obj('v1', 'ConfigMap', 'a', 'x')]);
    assert.deepEqual(a[0]?.map((o) => o.metadata.name), ['a', 'b']);
  });
  it('reads the kinds a CRD defines', () => {
    const crd = obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, {
      spec: { group: 'example.com', names: { kind: 'Widget', plural: 'widgets' }, scope: 'Namespaced', versions: [{ name: 'v1' }] },
    });
    assert.deepEqual(kindsDefinedBy([crd]), [{ group: 'example.com', kind: 'Widget', versions: ['v1'], isNamespaced: true }]);
  });
});

describe('manifest validation', () => {
  it('lists every problem', () => {
    assert.throws(
      () => validateManifests([{ kind: 'ConfigMap', metadata: { name: 'a' } }, 'nope', obj('v1', 'ConfigMap', 'Bad_Name'), obj('v1', 'ConfigMap', 'a', 'x'), obj('v1', 'ConfigMap', 'a', 'x')]),
      (err: unknown) => {
        assert.ok(err instanceof InvalidInputError);
        assert.match(err.message, /object 1 has no apiVersion/);
        assert.match(err.message, /object 2 is not an object/);
        assert.match(err.message, /object 3 has an invalid metadata.name "Bad_Name"/);
        assert.match(err.message, /object 5 .* duplicates object 4/);
        return true;
      },
    );
  });
  it('accepts good manifests', () => assert.equal(validateManifests([obj('v1', 'ConfigMap', 'a', 'x')]).length, 1));
});

describe('inventory', () => {
  const inv = inventoryOf([obj('v1', 'Namespace', 'shop'), obj('apps/v1', 'Deployment', 'web', 'shop')]);
  inv.applied = { version: '1.2.0', hash: `sha256:${'a'.repeat(64)}` };
  inv.options = { maxPruneShare: 0.25, isNamespacePruneAllowed: true };
  it('round-trips through its ConfigMap', () => {
    const cm = inventoryToConfigMap(inv, 'driftless-system');
    assert.equal(cm.metadata.name, 'driftless-inventory-shop');
    assert.equal(cm.metadata.namespace, 'driftless-system');
    const back = inventoryFromConfigMap(cm, 'shop');
    assert.ok(isSameInventory(inv, back));
    assert.deepEqual(back.applied, inv.applied);
    assert.deepEqual([...back.entries.keys()].sort(), [...inv.entries.keys()].sort());
  });
  it('refuses a corrupt ConfigMap instead of reading it as empty', () => {
    assert.throws(() => inventoryFromConfigMap(obj('v1', 'ConfigMap', 'x', 'y', { data: { objects: 'garbage line' } }), 'shop'), InvalidInventoryError);
    assert.throws(() => inventoryFromConfigMap(obj('v1', 'ConfigMap', 'x', 'y'), 'shop'), InvalidInventoryError);
  });
  it('withPending adds desired objects without a hash and keeps the last applied hashes', () => {
    const pending = withPending(inv, [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'shop', name: 'new' }, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }]);
    assert.equal(pending.entries.size, 3);
    assert.equal(pending.entries.get('/ConfigMap/shop/new')?.hash, undefined);
    assert.equal(pending.entries.get('apps/Deployment/shop/web')?.hash, inv.entries.get('apps/Deployment/shop/web')?.hash);
    assert.ok(!isSameInventory(inv, pending));
  });
  it('keys ignore the API version', () => {
    assert.equal(refKey({ apiVersion: 'example.com/v1beta1', kind: 'W', name: 'a' }), refKey({ apiVersion: 'example.com/v1', kind: 'W', name: 'a' }));
  });
});

describe('prune plan and brake', () => {
  const cms = Array.from({ length: 10 }, (_, i) => obj('v1', 'ConfigMap', `cm${i}`, 'shop'));
  const keys = (objects: KubeObject[]) => new Set(objects.map((o) => refKey({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: 'shop' })));
  it('deletes what the inventory has and the desired state does not', () => {
    const plan = planPrune(inventoryOf(cms), keys(cms.slice(0, 7)));
    assert.equal(plan.kind, 'prune');
    assert.deepEqual(plan.kind === 'prune' && plan.toDelete.map((r) => r.name), ['cm9', 'cm8', 'cm7']);
  });
  it('never deletes what the inventory does not list', () => {
    const plan = planPrune(emptyInventory('shop'), keys([]));
    assert.deepEqual(plan, { kind: 'prune', toDelete: [], totalObjects: 0 });
  });
  it('blocks more than the allowed share', () => {
    const plan = planPrune(inventoryOf(cms), keys(cms.slice(0, 4)));
    assert.equal(plan.kind, 'blocked');
    assert.equal(plan.kind === 'blocked' && plan.wouldDelete.length, 6);
    assert.match(plan.kind === 'blocked' ? plan.reason : '', /6 of 10 objects \(60 %, more than the allowed 50 %\)/);
    assert.equal(planPrune(inventoryOf(cms), keys(cms.slice(0, 5))).kind, 'prune', 'exactly 50 % is allowed');
    assert.equal(planPrune(inventoryOf(cms), keys([]), { ...DEFAULT_PRUNE_OPTIONS, maxPruneShare: 1 }).kind, 'prune');
  });
  it('blocks any Namespace unless allowed', () => {
    const withNs = [...cms, obj('v1', 'Namespace', 'old')];
    const plan = planPrune(inventoryOf(withNs), keys(cms));
    assert.equal(plan.kind, 'blocked');
    assert.match(plan.kind === 'blocked' ? plan.reason : '', /Namespace old/);
    assert.equal(planPrune(inventoryOf(withNs), keys(cms), { maxPruneShare: 0.5, isNamespacePruneAllowed: true }).kind, 'prune');
  });
});

describe('object decisions', () => {
  const base = { desiredHash: 'h1', isDriftCorrectionEnabled: true };
  it('applies new, changed, missing and drifted objects; skips unchanged ones', () => {
    assert.deepEqual(decideObject({ ...base, appliedHash: undefined, live: undefined }), { action: 'apply', reason: 'new' });
    assert.deepEqual(decideObject({ ...base, appliedHash: 'h0', live: { exists: true, drift: [] } }), { action: 'apply', reason: 'changed' });
    assert.deepEqual(decideObject({ ...base, appliedHash: 'h1', live: { exists: false, drift: [] } }), { action: 'apply', reason: 'missing' });
    assert.deepEqual(decideObject({ ...base, appliedHash: 'h1', live: { exists: true, drift: [{ manager: 'kubectl', fields: ['spec.replicas'] }] } }), { action: 'apply', reason: 'drift' });
    assert.deepEqual(decideObject({ ...base, appliedHash: 'h1', live: { exists: true, drift: [] } }), { action: 'unchanged' });
  });
  it('only reports drift when correction is off', () => {
    const facts = { ...base, isDriftCorrectionEnabled: false, appliedHash: 'h1' };
    assert.deepEqual(decideObject({ ...facts, live: { exists: true, drift: [{ manager: 'kubectl', fields: ['x'] }] } }), { action: 'report-drift' });
    assert.deepEqual(decideObject({ ...facts, appliedHash: 'h0', live: { exists: true, drift: [] } }), { action: 'apply', reason: 'changed' });
  });
});

describe('prepare', () => {
  it('labels, defaults the namespace, strips server fields and hashes what is sent', () => {
    const manifest = obj('apps/v1', 'Deployment', 'web', undefined, { status: { replicas: 1 }, spec: { replicas: 1 } });
    manifest.metadata.resourceVersion = '5';
    const p = prepareObject(manifest, { component: 'shop', isNamespaced: () => true });
    assert.equal(p.object.metadata.namespace, 'default');
    assert.equal(p.object.metadata.labels?.['app.kubernetes.io/managed-by'], 'driftless');
    assert.equal(p.object.metadata.labels?.['driftless.dev/component'], 'shop');
    assert.equal(p.object['status'], undefined);
    assert.equal(p.object.metadata.resourceVersion, undefined);
    assert.equal(p.key, 'apps/Deployment/default/web');
    assert.equal(manifest.metadata.namespace, undefined, 'the input is not modified');
    const again = prepareObject({ ...manifest, spec: { replicas: 1 } }, { component: 'shop', isNamespaced: () => true });
    assert.equal(again.hash, p.hash);
    assert.notEqual(prepareObject({ ...manifest, spec: { replicas: 2 } }, { component: 'shop', isNamespaced: () => true }).hash, p.hash);
    assert.equal(prepareObject(obj('v1', 'Namespace', 'x', 'y'), { component: 'shop', isNamespaced: () => false }).object.metadata.namespace, undefined);
  });
  it('hashes independently of key order', () => assert.equal(objectHash({ a: 1, b: { c: 2, d: 3 } }), objectHash({ b: { d: 3, c: 2 }, a: 1 })));
});

describe('decision taxonomy and backoff', () => {
  it('sorts statuses into retry, backoff and terminal', () => {
    assert.equal(decideForStatus(403), 'terminal');
    assert.equal(decideForStatus(422), 'terminal');
    assert.equal(decideForStatus(400), 'terminal');
    assert.equal(decideForStatus(409), 'retry');
    assert.equal(decideForStatus(404), 'backoff');
    assert.equal(decideForStatus(429), 'backoff');
    assert.equal(decideForStatus(503), 'backoff');
    assert.equal(decideForStatus(undefined), 'backoff');
  });
  it('grows exponentially with jitter, capped, never below half the base', () => {
    const lo = () => 0;
    const hi = () => 0.999999;
    assert.equal(backoffDelayMs(1, { baseDelayMs: 100, random: lo }), 50);
    assert.equal(backoffDelayMs(1, { baseDelayMs: 100, random: hi }), 100);
    assert.equal(backoffDelayMs(4, { baseDelayMs: 100, random: lo }), 400);
    assert.equal(backoffDelayMs(40, { baseDelayMs: 100, maxDelayMs: 5000, random: hi }), 5000);
    assert.equal(backoffDelayMs(40, { baseDelayMs: 100, maxDelayMs: 5000, random: lo }), 2500);
    assert.equal(backoffDelayMs(0, { baseDelayMs: 100, random: lo }), 50);
  });
  it('health of a missing object is Missing', () => assert.equal(healthOf(undefined).health, Health.Missing));
});
