import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { eventually, toolPath, uniqueName } from '@driftless/testkit';
import {
  createKubeClient,
  detectDrift,
  KubeForbiddenError,
  KubeInvalidError,
  KubeUnavailableError,
  prepareObject,
  startInformer,
  type KubeClient,
  type KubeObject,
} from '../index.js';

const run = promisify(execFile);

describe('client-node adapter against kube-sim', () => {
  let sim: KubeSim;
  let kube: KubeClient & { close(): void };
  let dir: string;
  let kubeconfigPath: string;
  const ns = uniqueName('kube');

  const kubectl = (...args: string[]) => run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfigPath, ...args]);
  const deployment = (replicas: number, image = 'nginx:1.27'): KubeObject =>
    prepareObject(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } },
        },
      },
      { component: 'web', isNamespaced: () => true },
    ).object;

  before(async () => {
    sim = await startKubeSim({ controllerDelayMs: 20 });
    dir = mkdtempSync(join(tmpdir(), 'driftless-kube-'));
    kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(kubeconfigPath, sim.kubeconfig);
    kube = createKubeClient({ kubeconfig: sim.kubeconfig, requestTimeoutMs: 10_000 });
    await kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  after(async () => {
    kube.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies server-side under the driftless field manager and reads back plain JSON', async () => {
    const live = await kube.apply(deployment(2));
    assert.equal(live.metadata.namespace, ns);
    const entry = live.metadata.managedFields?.find((e) => e.manager === 'driftless');
    assert.equal(entry?.operation, 'Apply');
    assert.equal(typeof entry?.time, 'string', 'timestamps stay strings (no typed models)');
    const got = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    assert.equal((got?.['spec'] as { replicas: number }).replicas, 2);
    assert.deepEqual(detectDrift(deployment(2), got!), []);
  });

  it('a no-op apply changes nothing', async () => {
    await kube.apply(deployment(2));
    await sim.cluster.whenSettled();
    const before = sim.cluster.stats().writes;
    const first = await kube.apply(deployment(2));
    const again = await kube.apply(deployment(2));
    assert.equal(again.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(sim.cluster.stats().writes, before);
  });

  it('dry-run applies change nothing', async () => {
    const dry = await kube.apply(deployment(7), { isDryRun: true });
    assert.equal((dry['spec'] as { replicas: number }).replicas, 7);
    const got = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    assert.equal((got?.['spec'] as { replicas: number }).replicas, 2);
  });

  it('detects drift by kubectl scale and by kubectl edit-style patches, naming kubectl\'s manager', async () => {
    await kubectl('scale', '-n', ns, 'deployment/web', '--replicas=5');
    let live = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    const byScale = detectDrift(deployment(2), live!);
    assert.equal(byScale.length, 1, JSON.stringify(live?.metadata.managedFields));
    assert.match(byScale[0]!.manager, /^kubectl/);
    assert.deepEqual(byScale[0]!.fields, ['spec.replicas']);

    // Re-applying with force takes the field back.
    live = await kube.apply(deployment(2));
    assert.deepEqual(detectDrift(deployment(2), live), []);

    await kubectl('patch', '-n', ns, 'deployment/web', '--type=merge', '-p', JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:hotfix' }] } } } }));
    live = await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    const byPatch = detectDrift(deployment(2), live!);
    assert.equal(byPatch[0]?.manager, 'kubectl-patch');
    assert.ok(byPatch[0]?.fields.includes('spec.template.spec.containers[name=web].image'), JSON.stringify(byPatch));
    await kube.apply(deployment(2));
  });

  it('lists by label and watches changes', async () => {
    const list = await kube.list('apps/v1', 'Deployment', { labelSelector: 'app.kubernetes.io/managed-by=driftless' });
    assert.ok(list.items.some((d) => d.metadata.name === 'web' && d.metadata.namespace === ns));
    assert.match(list.resourceVersion, /^\d+$/);
    const page = await kube.list('v1', 'Namespace', { limit: 1 });
    assert.equal(page.items.length, 1);
    assert.ok(page.continueToken, 'more pages follow');
    const next = await kube.list('v1', 'Namespace', { limit: 1, continueToken: page.continueToken });
    assert.notEqual(next.items[0]?.metadata.name, page.items[0]?.metadata.name);
    const seen: string[] = [];
    const controller = new AbortController();
    const informer = startInformer(
      kube,
      { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app.kubernetes.io/managed-by=driftless' },
      { onUpsert: (o) => seen.push(`upsert ${o.metadata.name}`), onDelete: (key) => seen.push(`delete ${key}`) },
      controller.signal,
    );
    await eventually(() => informer.isSynced(), { what: 'informer synced' });
    const cm = prepareObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched', namespace: ns }, data: { a: '1' } }, { component: 'c', isNamespaced: () => true }).object;
    await kube.apply(cm);
    await kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unmanaged', namespace: ns }, data: { a: '1' } });
    assert.equal(await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'watched' }), 'deleted');
    await eventually(() => seen.includes(`delete /ConfigMap/${ns}/watched`), { what: 'delete event' });
    assert.ok(seen.includes('upsert watched'));
    assert.ok(!seen.some((s) => s.includes('unmanaged')), 'the label selector keeps others out');
    controller.abort();
    await informer.done;
  });

  it('relists after 410 Gone', async () => {
    const seen: string[] = [];
    const controller = new AbortController();
    let synced = 0;
    const informer = startInformer(
      kube,
      { apiVersion: 'v1', kind: 'ConfigMap', labelSelector: 'app.kubernetes.io/managed-by=driftless', backoff: { baseDelayMs: 20 }, pageSize: 1 },
      { onUpsert: (o) => seen.push(o.metadata.name), onDelete: () => undefined, onSynced: () => (synced += 1) },
      controller.signal,
    );
    await eventually(() => synced === 1, { what: 'first sync' });
    sim.cluster.compactWatchHistory();
    // Make the running watch end so it resumes from a now-compacted version.
    sim.cluster.injectFault({ path: 'watch=true', isConnectionDropped: true, times: 1 });
    const cm = prepareObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-gone', namespace: ns } }, { component: 'c', isNamespaced: () => true }).object;
    await kube.apply(cm);
    await eventually(() => seen.includes('after-gone'), { what: 'object seen after relist' });
    controller.abort();
    await informer.done;
  });

  it('discovers a CRD\'s kind once it is served, and scope', async () => {
    assert.equal(await kube.resource('example.com/v1', 'Widget'), undefined);
    await kube.apply({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
        scope: 'Namespaced',
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    const info = await eventually(() => kube.resource('example.com/v1', 'Widget'), { what: 'Widget served' });
    assert.deepEqual(info, { apiVersion: 'example.com/v1', kind: 'Widget', plural: 'widgets', isNamespaced: true });
    const widget = await kube.apply({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: ns }, spec: { size: 3 } });
    assert.equal((widget['spec'] as { size: number }).size, 3);
    assert.deepEqual(await kube.resource('v1', 'ConfigMap'), { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', isNamespaced: true });
  });

  it('maps failures to domain errors with their status', async () => {
    const readOnly = createKubeClient({ kubeconfig: sim.readOnlyKubeconfig });
    try {
      await assert.rejects(readOnly.apply(deployment(3)), (err: unknown) => err instanceof KubeForbiddenError && err.statusCode === 403);
      assert.ok(await readOnly.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' }), 'reads are allowed');
    } finally {
      readOnly.close();
    }
    assert.equal(await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'nope' }), undefined);
    assert.equal(await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'nope' }), 'absent');
    await assert.rejects(
      kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad-label', namespace: ns, labels: { 'a/b/c': 'x' } }, data: { n: 1 } }),
      (err: unknown) => err instanceof KubeInvalidError && err.statusCode === 422,
    );
    const unreachable = createKubeClient({ kubeconfig: sim.kubeconfig.replace(sim.url, 'https://127.0.0.1:1'), requestTimeoutMs: 2_000 });
    try {
      await assert.rejects(unreachable.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'x' }), (err: unknown) => err instanceof KubeUnavailableError && err.statusCode === undefined);
    } finally {
      unreachable.close();
    }
  });
});
