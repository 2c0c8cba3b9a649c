import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Target, WriteOptions } from './api.js';
import { KubeApi, PatchType } from './api.js';
import type { Json, KubeObject } from './json.js';
import { getIn, str } from './json.js';
import { ApiError } from './status.js';
import type { WatchEventType } from './store.js';

let tick = 0;
function newApi(): KubeApi {
  return new KubeApi(
    { now: () => new Date(Date.UTC(2025, 0, 1, 0, 0, tick++)), uid: () => `uid-${tick++}`, nameSuffix: () => `x${tick++}` },
    { eventLogSize: 100 },
  );
}

const opts = (fieldManager: string, extra: Partial<WriteOptions> = {}): WriteOptions => ({ isDryRun: false, fieldManager, isForce: false, userAgent: 'test/1.0', ...extra });

function target(api: KubeApi, gv: string, plural: string, name: string, namespace = 'default', subresource: Target['subresource'] = ''): Target {
  const [group, version] = gv.includes('/') ? (gv.split('/') as [string, string]) : ['', gv];
  return { rt: api.mustLookup(group, version, plural), namespace, name, subresource };
}

function deployment(extra: { replicas?: number; image?: string; labels?: Record<string, string>; env?: Json[] } = {}): KubeObject {
  const container: Record<string, Json> = { name: 'app', image: extra.image ?? 'app:1' };
  if (extra.env) container['env'] = extra.env;
  const spec: Record<string, Json> = {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [container] } },
  };
  if (extra.replicas !== undefined) spec['replicas'] = extra.replicas;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: extra.labels ?? { app: 'web' } }, spec };
}

function managers(obj: KubeObject): Array<[string, string]> {
  const mf = getIn(obj, ['metadata', 'managedFields']) as Array<Record<string, string>>;
  return mf.map((e) => [e['manager'] ?? '', e['operation'] ?? '']);
}

function catchApi(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  assert.fail('expected an ApiError');
}

describe('server-side apply', () => {
  it('creates the object with an Apply entry, generation 1 and a resourceVersion', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    const { object, isCreated } = api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent'));
    assert.equal(isCreated, true);
    assert.deepEqual(managers(object), [['agent', 'Apply']]);
    assert.equal(getIn(object, ['metadata', 'generation']), 1);
    assert.match(str(getIn(object, ['metadata', 'resourceVersion'])) ?? '', /^\d+$/);
    assert.equal(getIn(object, ['spec', 'revisionHistoryLimit']), 10, 'defaults are filled in');
  });

  it('makes no write, no new resourceVersion and no watch event when nothing changes', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    const first = api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent')).object;
    const events: WatchEventType[] = [];
    const stop = api.watch(t.rt, 'default', { selector: { labels: [], fields: [] }, resourceVersion: Number(getIn(first, ['metadata', 'resourceVersion'])), isSendInitialEvents: false }, (type) => events.push(type));
    const writes = api.writeCount;
    const again = api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent')).object;
    stop();
    assert.equal(getIn(again, ['metadata', 'resourceVersion']), getIn(first, ['metadata', 'resourceVersion']));
    assert.equal(api.writeCount, writes);
    assert.deepEqual(events, []);
  });

  it('refuses a second applier changing an owned field, naming manager and field; force takes it over', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent'));
    const err = catchApi(() => api.patch(t, PatchType.Apply, deployment({ replicas: 5 }), opts('other')));
    assert.equal(err.code, 409);
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "agent": .spec.replicas');
    assert.deepEqual(err.details?.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "agent"', field: '.spec.replicas' }]);
    const forced = api.patch(t, PatchType.Apply, deployment({ replicas: 5 }), opts('other', { isForce: true })).object;
    assert.equal(getIn(forced, ['spec', 'replicas']), 5);
    const mf = getIn(forced, ['metadata', 'managedFields']) as Array<Record<string, Json>>;
    const agent = mf.find((e) => e['manager'] === 'agent');
    assert.equal(getIn(agent, ['fieldsV1', 'f:spec', 'f:replicas']), undefined, 'the agent lost .spec.replicas');
    assert.notEqual(getIn(agent, ['fieldsV1', 'f:spec', 'f:selector']), undefined, 'but kept the rest');
  });

  it('shares ownership when a second applier sets the same value', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent'));
    const shared = api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('other')).object;
    assert.deepEqual(managers(shared).map(([m]) => m).sort(), ['agent', 'other']);
  });

  it('removes fields the applier stopped sending, unless another manager owns them', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ labels: { app: 'web', team: 'a', keep: 'y' }, env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }), opts('agent'));
    api.patch(t, PatchType.Merge, { metadata: { labels: { keep: 'z' } } }, opts('kubectl-label'));
    const after = api.patch(t, PatchType.Apply, deployment({ labels: { app: 'web' }, env: [{ name: 'A', value: '1' }] }), opts('agent')).object;
    assert.deepEqual(getIn(after, ['metadata', 'labels']), { app: 'web', keep: 'z' });
    const containers = getIn(after, ['spec', 'template', 'spec', 'containers']) as Array<Record<string, Json>>;
    assert.deepEqual(containers[0]?.['env'], [{ name: 'A', value: '1' }]);
  });

  it('re-defaults a defaulted field when its applier drops it', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ replicas: 4 }), opts('agent'));
    const after = api.patch(t, PatchType.Apply, deployment(), opts('agent')).object;
    assert.equal(getIn(after, ['spec', 'replicas']), 1);
  });

  it('records an Update entry for a patch and moves ownership of what it changed', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ image: 'app:1' }), opts('agent'));
    const patched = api.patch(t, PatchType.Strategic, { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } }, opts('kubectl-edit')).object;
    const mf = getIn(patched, ['metadata', 'managedFields']) as Array<Record<string, Json>>;
    const edit = mf.find((e) => e['manager'] === 'kubectl-edit');
    assert.equal(edit?.['operation'], 'Update');
    assert.equal(edit?.['apiVersion'], 'apps/v1');
    assert.deepEqual(getIn(edit, ['fieldsV1', 'f:spec', 'f:template', 'f:spec', 'f:containers']), { 'k:{"name":"app"}': { 'f:image': {} } });
    const err = catchApi(() => api.patch(t, PatchType.Apply, deployment({ image: 'app:1' }), opts('agent')));
    assert.equal(err.message, 'Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.template.spec.containers[name="app"].image');
  });

  it('bumps generation for spec changes only, never for metadata or status', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ replicas: 1 }), opts('agent'));
    const labelled = api.patch(t, PatchType.Merge, { metadata: { labels: { x: 'y' } } }, opts('kubectl-label')).object;
    assert.equal(getIn(labelled, ['metadata', 'generation']), 1);
    const status = api.writeStatus(t.rt, 'default', 'web', { observedGeneration: 1, replicas: 1 }, 'kube-controller-manager');
    assert.equal(getIn(status, ['metadata', 'generation']), 1);
    const scaled = api.patch(t, PatchType.Merge, { spec: { replicas: 3 } }, opts('kubectl-patch')).object;
    assert.equal(getIn(scaled, ['metadata', 'generation']), 2);
  });

  it('ignores status sent to the main resource and spec sent to the status subresource', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    const created = api.patch(t, PatchType.Apply, { ...deployment(), status: { replicas: 9 } }, opts('agent')).object;
    assert.deepEqual(created['status'], {});
    const st = target(api, 'apps/v1', 'deployments', 'web', 'default', 'status');
    const viaStatus = api.patch(st, PatchType.Merge, { spec: { replicas: 7 }, status: { replicas: 1 } }, opts('ctl')).object;
    assert.equal(getIn(viaStatus, ['spec', 'replicas']), 1);
    assert.equal(getIn(viaStatus, ['status', 'replicas']), 1);
  });

  it('takes managedFields a write sends, and clears them on [{}]', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    api.patch(t, PatchType.Apply, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, opts('agent'));
    const renamed = api.patch(t, PatchType.Json, [{ op: 'replace', path: '/metadata/managedFields/0/manager', value: 'renamed' }], opts('x')).object;
    assert.deepEqual(managers(renamed), [['renamed', 'Apply']]);
    const cleared = api.patch(t, PatchType.Merge, { metadata: { managedFields: [{}] } }, opts('x')).object;
    assert.equal(getIn(cleared, ['metadata', 'managedFields']), undefined);
  });

  it('folds a Secret\'s stringData into data, and re-applying it changes nothing', () => {
    const api = newApi();
    const t = target(api, 'v1', 'secrets', 's');
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { pw: 'hunter2' } };
    const first = api.patch(t, PatchType.Apply, secret, opts('agent')).object;
    assert.deepEqual(first['data'], { pw: Buffer.from('hunter2').toString('base64') });
    assert.equal(first['stringData'], undefined);
    const again = api.patch(t, PatchType.Apply, secret, opts('agent')).object;
    assert.equal(getIn(again, ['metadata', 'resourceVersion']), getIn(first, ['metadata', 'resourceVersion']));
  });

  it('honours dryRun: the answer shows the result, nothing is stored', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    const dry = api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, opts('x', { isDryRun: true }));
    assert.deepEqual(dry.object['data'], { a: '1' });
    assert.throws(() => api.get(t), (e: unknown) => e instanceof ApiError && e.code === 404);
  });
});

describe('writes', () => {
  it('answers 409 for a stale resourceVersion', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    const created = api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, opts('x')).object;
    api.update(t, { ...created, data: { a: '2' } }, opts('x'));
    const err = catchApi(() => api.update(t, { ...created, data: { a: '3' } }, opts('x')));
    assert.equal(err.code, 409);
    assert.match(err.message, /the object has been modified/);
  });

  it('applies JSON patches (RFC 6902) and rejects failed tests with 422', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }, opts('x'));
    const out = api.patch(t, PatchType.Json, [{ op: 'test', path: '/data/a', value: '1' }, { op: 'add', path: '/data/b', value: '2' }, { op: 'remove', path: '/data/a' }], opts('x')).object;
    assert.deepEqual(out['data'], { b: '2' });
    assert.equal(catchApi(() => api.patch(t, PatchType.Json, [{ op: 'test', path: '/data/b', value: 'no' }], opts('x'))).code, 422);
  });

  it('applies strategic merge patches by merge key, with $patch: delete and $setElementOrder', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    const base = deployment();
    (getIn(base, ['spec', 'template', 'spec', 'containers']) as Json[]).push({ name: 'side', image: 'side:1' });
    api.create(t, base, opts('x'));
    const out = api.patch(
      t,
      PatchType.Strategic,
      { spec: { template: { spec: { containers: [{ name: 'app', $patch: 'delete' }, { name: 'side', image: 'side:2' }, { name: 'new', image: 'new:1' }] } } } },
      opts('x'),
    ).object;
    const containers = getIn(out, ['spec', 'template', 'spec', 'containers']) as Array<Record<string, Json>>;
    assert.deepEqual(containers.map((c) => [c['name'], c['image']]), [['side', 'side:2'], ['new', 'new:1']]);
    const reordered = api.patch(t, PatchType.Strategic, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'new' }, { name: 'side' }] } } } }, opts('x')).object;
    assert.deepEqual((getIn(reordered, ['spec', 'template', 'spec', 'containers']) as Array<Record<string, Json>>).map((c) => c['name']), ['new', 'side']);
  });

  it('creates with generateName, refuses duplicates and objects in a missing namespace', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', '');
    const made = api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } }, opts('x')).object;
    const name = str(getIn(made, ['metadata', 'name'])) ?? '';
    assert.match(name, /^cfg-/);
    assert.equal(catchApi(() => api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }, opts('x'))).code, 409);
    const missing = catchApi(() => api.create({ ...t, namespace: 'nowhere' }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, opts('x')));
    assert.equal(missing.code, 404);
    assert.equal(missing.message, 'namespaces "nowhere" not found');
  });

  it('refuses invalid names and a selector that does not match the template with 422', () => {
    const api = newApi();
    const bad = catchApi(() => api.create(target(api, 'v1', 'configmaps', ''), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } }, opts('x')));
    assert.equal(bad.code, 422);
    assert.match(bad.message, /ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value/);
    const d = deployment();
    (getIn(d, ['spec', 'template', 'metadata']) as Record<string, Json>)['labels'] = { app: 'other' };
    assert.equal(catchApi(() => api.create(target(api, 'apps/v1', 'deployments', ''), d, opts('x'))).code, 422);
  });

  it('deletes an object with finalizers only once they are removed', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', finalizers: ['example.com/hold'] } }, opts('x'));
    const pending = api.delete(t, { isDryRun: false }).object;
    assert.notEqual(getIn(pending, ['metadata', 'deletionTimestamp']), undefined);
    assert.ok(api.get(t));
    api.patch(t, PatchType.Merge, { metadata: { finalizers: null } }, opts('x'));
    assert.throws(() => api.get(t), (e: unknown) => e instanceof ApiError && e.code === 404);
  });

  it('empties a deleted namespace and protects the system namespaces', () => {
    const api = newApi();
    const ns = target(api, 'v1', 'namespaces', 'shop', '');
    api.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, opts('x'));
    api.create(target(api, 'v1', 'configmaps', 'cfg', 'shop'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }, opts('x'));
    api.patch(target(api, 'apps/v1', 'deployments', 'web', 'shop'), PatchType.Apply, deployment(), opts('x'));
    api.delete(ns, { isDryRun: false });
    assert.equal(api.store.list('/configmaps', 'shop').length, 0);
    assert.equal(api.store.list('apps/deployments', 'shop').length, 0);
    assert.equal(catchApi(() => api.delete(target(api, 'v1', 'namespaces', 'default', ''), { isDryRun: false })).code, 403);
  });

  it('scales through the scale subresource, recording the manager with subresource "scale"', () => {
    const api = newApi();
    const t = target(api, 'apps/v1', 'deployments', 'web');
    api.patch(t, PatchType.Apply, deployment({ replicas: 2 }), opts('agent'));
    const scale = api.patch({ ...t, subresource: 'scale' }, PatchType.Merge, { spec: { replicas: 4 } }, opts('kubectl')).object;
    assert.equal(scale['kind'], 'Scale');
    assert.deepEqual(scale['status'], { replicas: 0, selector: 'app=web' });
    const obj = api.get(t);
    assert.equal(getIn(obj, ['spec', 'replicas']), 4);
    const mf = getIn(obj, ['metadata', 'managedFields']) as Array<Record<string, Json>>;
    assert.ok(mf.some((e) => e['manager'] === 'kubectl' && e['subresource'] === 'scale' && getIn(e, ['fieldsV1', 'f:spec', 'f:replicas']) !== undefined));
  });

  it('serves custom resources once their CRD exists and refuses strategic merge patches for them', () => {
    const api = newApi();
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    };
    assert.equal(api.registry.lookup('example.com', 'v1', 'widgets'), undefined);
    api.patch(target(api, 'apiextensions.k8s.io/v1', 'customresourcedefinitions', 'widgets.example.com', ''), PatchType.Apply, crd, opts('agent'));
    const established = api.get(target(api, 'apiextensions.k8s.io/v1', 'customresourcedefinitions', 'widgets.example.com', ''));
    assert.ok((getIn(established, ['status', 'conditions']) as Array<Record<string, Json>>).some((c) => c['type'] === 'Established' && c['status'] === 'True'));
    const t = target(api, 'example.com/v1', 'widgets', 'w1');
    const w = api.patch(t, PatchType.Apply, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } }, opts('agent')).object;
    assert.equal(getIn(w, ['spec', 'size']), 3);
    assert.equal(catchApi(() => api.patch(t, PatchType.Strategic, { spec: { size: 4 } }, opts('x'))).code, 415);
    api.delete(target(api, 'apiextensions.k8s.io/v1', 'customresourcedefinitions', 'widgets.example.com', ''), { isDryRun: false });
    assert.equal(api.registry.lookup('example.com', 'v1', 'widgets'), undefined);
    assert.equal(api.store.count('example.com/widgets'), 0);
  });

  it('turns changes across a watch\'s label selector into ADDED and DELETED', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    const events: string[] = [];
    const stop = api.watch(t.rt, 'default', { selector: { labels: [{ key: 'tier', operator: '=', values: ['web'] }], fields: [] }, resourceVersion: undefined, isSendInitialEvents: false }, (type) => events.push(type));
    api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', labels: { tier: 'db' } } }, opts('x'));
    api.patch(t, PatchType.Merge, { metadata: { labels: { tier: 'web' } } }, opts('x'));
    api.patch(t, PatchType.Merge, { data: { a: '1' } }, opts('x'));
    api.patch(t, PatchType.Merge, { metadata: { labels: { tier: 'db' } } }, opts('x'));
    stop();
    assert.deepEqual(events, ['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('garbage-collects objects whose only owner was deleted', () => {
    const api = newApi();
    const owner = api.create(target(api, 'v1', 'configmaps', ''), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } }, opts('x')).object;
    const other = api.create(target(api, 'v1', 'configmaps', ''), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }, opts('x')).object;
    const ref = (o: KubeObject) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: str(getIn(o, ['metadata', 'name'])) ?? '', uid: str(getIn(o, ['metadata', 'uid'])) ?? '' });
    api.create(target(api, 'v1', 'secrets', ''), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'only-owned', ownerReferences: [ref(owner)] } }, opts('x'));
    api.create(target(api, 'v1', 'secrets', ''), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'co-owned', ownerReferences: [ref(owner), ref(other)] } }, opts('x'));
    api.delete(target(api, 'v1', 'configmaps', 'owner'), { isDryRun: false });
    assert.deepEqual(api.store.list('/secrets', 'default').map((s) => getIn(s, ['metadata', 'name'])), ['co-owned']);
  });

  it('answers 410 when a watch resumes from a compacted resourceVersion', () => {
    const api = newApi();
    const t = target(api, 'v1', 'configmaps', 'cfg');
    const created = api.create(t, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' } }, opts('x')).object;
    api.store.compact();
    const err = catchApi(() => api.watch(t.rt, 'default', { selector: { labels: [], fields: [] }, resourceVersion: Number(getIn(created, ['metadata', 'resourceVersion'])) - 1, isSendInitialEvents: false }, () => undefined));
    assert.equal(err.code, 410);
    assert.match(err.message, /too old resource version/);
  });
});
