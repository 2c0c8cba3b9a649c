/**
 * kube-sim driven by the unmodified @kubernetes/client-node over HTTPS: typed clients,
 * the generic KubernetesObjectApi (server-side apply), a Watch, and the error answers a
 * client has to handle.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, Watch, makeInformer, setHeaderOptions } from '@kubernetes/client-node';
import type { KubernetesObject, V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { eventually, uniqueName } from '@driftless/testkit';
import { startKubeSim } from './index.js';
import type { KubeSim } from './index.js';

let sim: KubeSim;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let objects: KubernetesObjectApi;

/** The HTTP code and Status body of a failed client-node call. */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    assert.equal(typeof e.code, 'number', `not an API error: ${String(err)}`);
    const status = typeof e.body === 'string' && e.body !== '' ? (JSON.parse(e.body) as Record<string, unknown>) : {};
    return { code: e.code ?? 0, status };
  }
  assert.fail('the call succeeded');
}

/** A raw HTTPS request with the admin token, for what the typed clients cannot send. */
function raw(method: string, path: string, body: string | Buffer, contentType: string, token = sim.tokens.admin): Promise<{ code: number; body: string }> {
  const url = new URL(path, sim.url);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: sim.caCert, headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function deployment(namespace: string, name: string, image: string, replicas = 2): V1Deployment & KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
    },
  };
}

async function namespace(): Promise<string> {
  const name = uniqueName('ns');
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

before(async () => {
  sim = await startKubeSim({ controllerDelayMs: 20 });
  kc = new KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  objects = KubernetesObjectApi.makeApiClient(kc);
});

after(async () => {
  await sim.stop();
});

describe('client-node against kube-sim', () => {
  it('lists the initial namespaces over HTTPS verified by the kubeconfig CA', async () => {
    const list = await core.listNamespace();
    const names = list.items.map((n) => n.metadata?.name);
    assert.ok(names.includes('default') && names.includes('kube-system'), names.join(','));
    assert.equal(list.items.find((n) => n.metadata?.name === 'default')?.status?.phase, 'Active');
  });

  it('creates, reads, replaces and deletes a ConfigMap, keeping uid and creationTimestamp', async () => {
    const ns = await namespace();
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg', labels: { a: '1' } }, data: { k: 'v' } } });
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'cfg' });
    assert.deepEqual(read.data, { k: 'v' });
    read.data = { k: 'w' };
    const replaced = await core.replaceNamespacedConfigMap({ namespace: ns, name: 'cfg', body: read });
    assert.equal(replaced.metadata?.uid, created.metadata?.uid);
    assert.notEqual(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);
    const entries = replaced.metadata?.managedFields ?? [];
    assert.ok(entries.every((e) => e.operation === 'Update' && e.fieldsType === 'FieldsV1'), JSON.stringify(entries));
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'cfg' });
    assert.equal((await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'cfg' }))).code, 404);
  });

  it('answers 409 Conflict to an update with a stale resourceVersion', async () => {
    const ns = await namespace();
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' }, data: { k: '1' } } });
    await core.replaceNamespacedConfigMap({ namespace: ns, name: 'cfg', body: { ...created, data: { k: '2' } } });
    const { code, status } = await failure(core.replaceNamespacedConfigMap({ namespace: ns, name: 'cfg', body: { ...created, data: { k: '3' } } }));
    assert.equal(code, 409);
    assert.equal(status['reason'], 'Conflict');
    assert.match(String(status['message']), /the object has been modified/);
  });

  it('selects by every label operator and by metadata.name / metadata.namespace', async () => {
    const ns = await namespace();
    const make = (name: string, labels: Record<string, string>) => core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels } } });
    await make('a', { tier: 'web', env: 'prod' });
    await make('b', { tier: 'api', env: 'prod' });
    await make('c', { tier: 'web' });
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: ns, ...(labelSelector ? { labelSelector } : {}), ...(fieldSelector ? { fieldSelector } : {}) })).items.map((c) => c.metadata?.name).sort().join(',');
    assert.equal(await names('tier=web'), 'a,c');
    assert.equal(await names('tier==web,env=prod'), 'a');
    assert.equal(await names('tier!=web'), 'b');
    assert.equal(await names('tier in (api,db)'), 'b');
    assert.equal(await names('tier notin (api)'), 'a,c');
    assert.equal(await names('env'), 'a,b');
    assert.equal(await names('!env'), 'c');
    assert.equal(await names(undefined, 'metadata.name=b'), 'b');
    assert.equal(await names(undefined, 'metadata.name!=b'), 'a,c');
    const across = await core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.namespace=${ns}`, labelSelector: 'tier=web' });
    assert.equal(across.items.length, 2);
    assert.equal((await failure(core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'tier in (web' }))).code, 400);
    assert.equal((await failure(core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'data.k=v' }))).code, 400);
  });

  it('pages lists with limit and continue', async () => {
    const ns = await namespace();
    for (const n of ['a', 'b', 'c']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: n } } });
    const first = await core.listNamespacedConfigMap({ namespace: ns, limit: 2 });
    assert.deepEqual(first.items.map((i) => i.metadata?.name), ['a', 'b']);
    assert.ok(first.metadata?._continue);
    const second = await core.listNamespacedConfigMap({ namespace: ns, limit: 2, _continue: first.metadata?._continue ?? '' });
    assert.deepEqual(second.items.map((i) => i.metadata?.name), ['c']);
    assert.equal(second.metadata?._continue, undefined);
  });

  it('server-side applies through KubernetesObjectApi with managedFields, and a no-op re-apply writes nothing', async () => {
    const ns = await namespace();
    const applied = await objects.patch(deployment(ns, 'web', 'nginx:1'), undefined, undefined, 'driftless-agent', true, PatchStrategy.ServerSideApply);
    const entry = applied.metadata?.managedFields?.find((e) => e.manager === 'driftless-agent');
    assert.equal(entry?.operation, 'Apply');
    assert.equal(entry?.apiVersion, 'apps/v1');
    assert.ok(entry?.time);
    const fields = entry?.fieldsV1 as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(fields).sort(), ['f:metadata', 'f:spec']);
    assert.ok(JSON.stringify(fields).includes('k:{\\"name\\":\\"app\\"}'));
    const stable = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
      return d.status?.observedGeneration === 1 ? d : undefined;
    }, { what: 'the simulated controller' });
    await sim.cluster.whenSettled();
    const settledRv = sim.cluster.resourceVersion;
    const writes = sim.cluster.stats().writes;
    const again = await objects.patch(deployment(ns, 'web', 'nginx:1'), undefined, undefined, 'driftless-agent', true, PatchStrategy.ServerSideApply);
    assert.equal(again.metadata?.resourceVersion, (await apps.readNamespacedDeployment({ namespace: ns, name: 'web' })).metadata?.resourceVersion);
    assert.ok(Number(again.metadata?.resourceVersion) >= Number(stable.metadata?.resourceVersion));
    assert.equal(sim.cluster.stats().writes, writes);
    assert.equal(sim.cluster.resourceVersion, settledRv);
  });

  it('reports a field-manager conflict as 409 with FieldManagerConflict causes', async () => {
    const ns = await namespace();
    await objects.patch(deployment(ns, 'web', 'nginx:1'), undefined, undefined, 'driftless-agent', false, PatchStrategy.ServerSideApply);
    const { code, status } = await failure(objects.patch(deployment(ns, 'web', 'nginx:2'), undefined, undefined, 'someone-else', false, PatchStrategy.ServerSideApply));
    assert.equal(code, 409);
    assert.equal(status['reason'], 'Conflict');
    assert.equal(status['message'], 'Apply failed with 1 conflict: conflict with "driftless-agent": .spec.template.spec.containers[name="app"].image');
    assert.deepEqual((status['details'] as { causes: unknown[] }).causes, [
      { reason: 'FieldManagerConflict', message: 'conflict with "driftless-agent"', field: '.spec.template.spec.containers[name="app"].image' },
    ]);
  });

  it('tells which manager changed a field: a merge patch records an Update entry', async () => {
    const ns = await namespace();
    await objects.patch(deployment(ns, 'web', 'nginx:1'), undefined, undefined, 'driftless-agent', true, PatchStrategy.ServerSideApply);
    const patched = await apps.patchNamespacedDeployment(
      { namespace: ns, name: 'web', fieldManager: 'hotfix', body: { spec: { replicas: 7 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const hotfix = patched.metadata?.managedFields?.find((e) => e.manager === 'hotfix');
    assert.equal(hotfix?.operation, 'Update');
    assert.deepEqual(hotfix?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    const agent = patched.metadata?.managedFields?.find((e) => e.manager === 'driftless-agent');
    assert.equal(JSON.stringify(agent?.fieldsV1).includes('f:replicas'), false, 'the applier no longer owns replicas');
    assert.equal(patched.metadata?.generation, 2);
  });

  it('dryRun=All changes nothing on create, patch and delete', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dry' } }, dryRun: 'All' });
    assert.equal((await failure(core.readNamespacedConfigMap({ namespace: ns, name: 'dry' }))).code, 404);
    const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' }, data: { k: '1' } } });
    await sim.cluster.whenSettled();
    const rv = sim.cluster.resourceVersion;
    const dryPatched = await core.patchNamespacedConfigMap({ namespace: ns, name: 'cfg', body: { data: { k: '2' } }, dryRun: 'All' }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    assert.equal(dryPatched.data?.['k'], '2');
    await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: ns }, data: { k: '3' } }, undefined, 'All', 'x', true, PatchStrategy.ServerSideApply);
    await core.deleteNamespacedConfigMap({ namespace: ns, name: 'cfg', dryRun: 'All' });
    const still = await core.readNamespacedConfigMap({ namespace: ns, name: 'cfg' });
    assert.equal(still.data?.['k'], '1');
    assert.equal(still.metadata?.resourceVersion, cm.metadata?.resourceVersion);
    assert.equal(sim.cluster.resourceVersion, rv);
  });

  it('answers 413 to an oversized body and 400 to malformed JSON or YAML, and keeps serving', async () => {
    const ns = await namespace();
    const huge = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge' }, data: { k: 'x'.repeat(4 * 1024 * 1024) } });
    const big = await raw('POST', `/api/v1/namespaces/${ns}/configmaps`, huge, 'application/json');
    assert.equal(big.code, 413);
    assert.equal(JSON.parse(big.body).reason, 'RequestEntityTooLarge');
    const badJson = await raw('POST', `/api/v1/namespaces/${ns}/configmaps`, '{"apiVersion": "v1", "kind":', 'application/json');
    assert.equal(badJson.code, 400);
    assert.equal(JSON.parse(badJson.body).kind, 'Status');
    const badYaml = await raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/x?fieldManager=t`, 'apiVersion: v1\nkind: [ConfigMap\n', 'application/apply-patch+yaml');
    assert.equal(badYaml.code, 400);
    const badMerge = await raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/x`, 'not json', 'application/merge-patch+json');
    assert.equal(badMerge.code, 400);
    const wrongType = await raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/x`, '{}', 'text/plain');
    assert.equal(wrongType.code, 415);
    const yamlCreate = await raw('POST', `/api/v1/namespaces/${ns}/configmaps`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n', 'application/yaml');
    assert.equal(yamlCreate.code, 201);
    assert.ok(await core.readNamespacedConfigMap({ namespace: ns, name: 'from-yaml' }));
  });

  it('answers 404 for an unknown kind, and the generic client reports it', async () => {
    const unknown = await raw('GET', '/apis/example.com/v1/namespaces/default/gizmos', '', 'application/json');
    assert.equal(unknown.code, 404);
    assert.equal(JSON.parse(unknown.body).reason, 'NotFound');
    const unknownResource = await raw('GET', '/apis/apps/v1/namespaces/default/gizmos', '', 'application/json');
    assert.equal(unknownResource.code, 404);
    await assert.rejects(objects.create({ apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g', namespace: 'default' } }));
  });

  it('answers 401 without a valid token and 403 to writes with the read-only token', async () => {
    const anonymous = await raw('GET', '/api/v1/namespaces', '', 'application/json', 'wrong-token');
    assert.equal(anonymous.code, 401);
    const ro = new KubeConfig();
    ro.loadFromString(sim.readOnlyKubeconfig);
    const roCore = ro.makeApiClient(CoreV1Api);
    assert.ok((await roCore.listNamespace()).items.length > 0, 'reads are allowed');
    const { code, status } = await failure(roCore.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'nope' } } }));
    assert.equal(code, 403);
    assert.equal(status['reason'], 'Forbidden');
    assert.equal(status['message'], 'configmaps is forbidden: User "kube-sim:read-only" cannot create resource "configmaps" in API group "" in the namespace "default"');
    const del = await failure(roCore.deleteNamespace({ name: 'kube-public' }));
    assert.equal(del.code, 403);
  });

  it('removes every object of a deleted namespace', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' } } });
    await objects.patch(deployment(ns, 'web', 'nginx:1'), undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    await core.deleteNamespace({ name: ns });
    assert.equal((await failure(core.readNamespace({ name: ns }))).code, 404);
    assert.equal((await core.listConfigMapForAllNamespaces({ fieldSelector: `metadata.namespace=${ns}` })).items.length, 0);
    assert.equal((await apps.listDeploymentForAllNamespaces({ fieldSelector: `metadata.namespace=${ns}` })).items.length, 0);
    assert.equal((await failure(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' } } }))).code, 404);
  });

  it('streams ADDED, MODIFIED and DELETED to a client-node Watch, with bookmarks', async () => {
    const ns = await namespace();
    const seen: string[] = [];
    const watch = new Watch(kc);
    const controller = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { allowWatchBookmarks: true },
      (phase, obj: V1ConfigMap) => seen.push(`${phase}:${obj.metadata?.name ?? ''}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'w' }, data: { k: '1' } } });
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'w', body: { data: { k: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'w' });
      await eventually(() => seen.includes('DELETED:w'), { what: 'the DELETED event' });
      assert.deepEqual(seen.filter((s) => !s.startsWith('BOOKMARK')), ['ADDED:w', 'MODIFIED:w', 'DELETED:w']);
    } finally {
      controller.abort();
    }
  });

  it('resumes a watch from a resourceVersion, and answers 410 Gone once that version is compacted', async () => {
    const ns = await namespace();
    const first = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' } } });
    const resumed: string[] = [];
    const watch = new Watch(kc);
    const ctl = await watch.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata?.resourceVersion }, (phase, obj: V1ConfigMap) => resumed.push(`${phase}:${obj.metadata?.name ?? ''}`), () => undefined);
    await eventually(() => resumed.includes('ADDED:b'), { what: 'the replayed event' });
    ctl.abort();
    assert.deepEqual(resumed, ['ADDED:b']);
    sim.cluster.compactWatchHistory();
    const errors: Array<{ phase: string; code: unknown }> = [];
    let isDone = false;
    await watch.watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: first.metadata?.resourceVersion }, (phase, obj: { code?: number }) => errors.push({ phase, code: obj.code }), () => {
      isDone = true;
    });
    await eventually(() => isDone, { what: 'the expired watch to end' });
    assert.deepEqual(errors, [{ phase: 'ERROR', code: 410 }]);
  });

  it('feeds a client-node informer (list, then watch from the list\'s resourceVersion)', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before', labels: { app: 'x' } } } });
    const informer = makeInformer<V1ConfigMap>(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=x' }), 'app=x');
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name ?? ''}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name ?? ''}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name ?? ''}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after', labels: { app: 'x' } } } });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other', labels: { app: 'y' } } } });
      await core.patchNamespacedConfigMap({ namespace: ns, name: 'after', body: { data: { k: 'v' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'before' });
      await eventually(() => seen.includes('delete:before'), { what: 'the informer to see the delete' });
      assert.deepEqual(seen, ['add:before', 'add:after', 'update:after', 'delete:before']);
      assert.deepEqual(informer.list().map((o) => o.metadata?.name), ['after']);
    } finally {
      await informer.stop();
    }
  });

  it('serves watch-lists (sendInitialEvents) and ends a watch after timeoutSeconds', async () => {
    const ns = await namespace();
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } });
    const events: Array<{ phase: string; name: string | undefined; annotations: Record<string, string> | undefined }> = [];
    let isDone = false;
    const watch = new Watch(kc);
    await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: true, timeoutSeconds: 1 },
      (phase, obj: V1ConfigMap) => events.push({ phase, name: obj.metadata?.name, annotations: obj.metadata?.annotations }),
      () => {
        isDone = true;
      },
    );
    await eventually(() => isDone, { what: 'the server to end the watch after timeoutSeconds' });
    assert.equal(events[0]?.phase, 'ADDED');
    assert.equal(events[0]?.name, 'x');
    assert.equal(events[1]?.phase, 'BOOKMARK');
    assert.equal(events[1]?.annotations?.['k8s.io/initial-events-end'], 'true');
  });

  it('simulates rollouts: a Deployment becomes available, a broken image never does', async () => {
    const ns = await namespace();
    await objects.patch(deployment(ns, 'good', 'nginx:1', 3), undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    await objects.patch(deployment(ns, 'bad', 'nginx:broken', 2), undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    const good = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'good' });
      return d.status?.availableReplicas === 3 ? d : undefined;
    }, { what: 'the good rollout' });
    assert.equal(good.status?.observedGeneration, 1);
    assert.equal(good.status?.conditions?.find((c) => c.type === 'Available')?.status, 'True');
    assert.ok(good.metadata?.managedFields?.some((e) => e.manager === 'kube-controller-manager' && e.subresource === 'status'));
    const bad = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ namespace: ns, name: 'bad' });
      return d.status?.observedGeneration === 1 ? d : undefined;
    }, { what: 'the broken rollout to be observed' });
    assert.equal(bad.status?.availableReplicas, undefined);
    assert.equal(bad.status?.unavailableReplicas, 2);
    assert.equal(bad.status?.conditions?.find((c) => c.type === 'Available')?.status, 'False');
  });

  it('marks a broken rollout ProgressDeadlineExceeded after spec.progressDeadlineSeconds', async () => {
    const ns = await namespace();
    const d = deployment(ns, 'stuck', 'app:broken', 1);
    d.spec!.progressDeadlineSeconds = 1;
    await objects.patch(d, undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    const stuck = await eventually(async () => {
      const got = await apps.readNamespacedDeployment({ namespace: ns, name: 'stuck' });
      return got.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    }, { what: 'the progress deadline' });
    assert.equal(stuck.status, 'False');
  });

  it('completes a Job and scales a Deployment through the scale subresource', async () => {
    const ns = await namespace();
    await objects.patch(
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'migrate', namespace: ns },
        spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrate:1' }] } } },
      } as KubernetesObject,
      undefined,
      undefined,
      'agent',
      true,
      PatchStrategy.ServerSideApply,
    );
    const job = await eventually(async () => {
      const j = await kc.makeApiClient((await import('@kubernetes/client-node')).BatchV1Api).readNamespacedJob({ namespace: ns, name: 'migrate' });
      return j.status?.succeeded === 1 ? j : undefined;
    }, { what: 'the job to complete' });
    assert.equal(job.status?.conditions?.find((c) => c.type === 'Complete')?.status, 'True');
    await objects.patch(deployment(ns, 'web', 'nginx:1', 1), undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    const scale = await apps.replaceNamespacedDeploymentScale({ namespace: ns, name: 'web', body: { metadata: { name: 'web', namespace: ns }, spec: { replicas: 4 } } });
    assert.equal(scale.spec?.replicas, 4);
    const read = await apps.readNamespacedDeploymentScale({ namespace: ns, name: 'web' });
    assert.equal(read.spec?.replicas, 4);
    assert.equal(read.status?.selector, `app=web`);
  });

  it('makes a CRD\'s kind discoverable and usable, and removes its objects with it', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.test.driftless.dev' },
      spec: {
        group: 'test.driftless.dev',
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', shortNames: ['gd'] },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } }, subresources: { status: {} } }],
      },
    } as KubernetesObject;
    await objects.patch(crd, undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    const ns = await namespace();
    const gadget = { apiVersion: 'test.driftless.dev/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: ns }, spec: { size: 2 } } as KubernetesObject;
    await objects.patch(gadget, undefined, undefined, 'agent', true, PatchStrategy.ServerSideApply);
    const read = await objects.read<KubernetesObject & { spec: { size: number } }>({ apiVersion: 'test.driftless.dev/v1', kind: 'Gadget', metadata: { name: 'g1', namespace: ns } });
    assert.equal(read.spec.size, 2);
    await objects.delete(crd);
    const gone = await raw('GET', `/apis/test.driftless.dev/v1/namespaces/${ns}/gadgets/g1`, '', 'application/json');
    assert.equal(gone.code, 404);
  });

  it('adds the configured latency and fails requests on injected faults', async () => {
    const removeFault = sim.cluster.injectFault({ method: 'GET', path: '/api/v1/namespaces/default/configmaps', status: 503, times: 1 });
    const { code, status } = await failure(core.listNamespacedConfigMap({ namespace: 'default' }));
    assert.equal(code, 503);
    assert.equal(status['reason'], 'ServiceUnavailable');
    assert.ok(await core.listNamespacedConfigMap({ namespace: 'default' }), 'the fault was used up');
    removeFault();
    sim.cluster.latencyMs = 30;
    try {
      const started = process.hrtime.bigint();
      await core.listNamespacedConfigMap({ namespace: 'default' });
      assert.ok(Number(process.hrtime.bigint() - started) / 1e6 >= 25, 'the latency is a lower bound');
    } finally {
      sim.cluster.latencyMs = 0;
    }
  });
});
