/**
 * Many simulated clusters in one process (as the fleet benchmark runs them): independent
 * state, one kubeconfig context each, latency applied per cluster, and a clean shutdown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeSims } from './index.js';
import type { KubeSimFleet } from './index.js';

let fleet: KubeSimFleet;

function clientFor(context: string): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromString(fleet.kubeconfig);
  kc.setCurrentContext(context);
  return kc.makeApiClient(CoreV1Api);
}

before(async () => {
  fleet = await startKubeSims(3, { namePrefix: 'edge', latencyMs: 5, isControllerEnabled: false });
});

after(async () => {
  await fleet.stop();
});

describe('a fleet of simulated clusters', () => {
  it('names the clusters and gives each its own port, tokens and context', () => {
    assert.deepEqual(fleet.clusters.map((c) => c.name), ['edge-1', 'edge-2', 'edge-3']);
    assert.equal(new Set(fleet.clusters.map((c) => c.url)).size, 3);
    assert.equal(new Set(fleet.clusters.map((c) => c.tokens.admin)).size, 3);
    const kc = new KubeConfig();
    kc.loadFromString(fleet.kubeconfig);
    assert.deepEqual(kc.getContexts().map((c) => c.name), ['edge-1', 'edge-2', 'edge-3']);
    assert.equal(kc.getCurrentContext(), 'edge-1');
  });

  it('keeps the clusters\' state apart', async () => {
    await clientFor('edge-2').createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'only-here' } } });
    const names = async (ctx: string) => (await clientFor(ctx).listNamespacedConfigMap({ namespace: 'default' })).items.map((i) => i.metadata?.name);
    assert.deepEqual(await names('edge-2'), ['only-here']);
    assert.deepEqual(await names('edge-1'), []);
    assert.deepEqual(await names('edge-3'), []);
    assert.equal(fleet.clusters[1]?.cluster.get('v1', 'ConfigMap', 'default', 'only-here') !== undefined, true);
  });

  it('refuses a token of another cluster', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(fleet.clusters[0]?.kubeconfig ?? '');
    const user = kc.getCurrentUser();
    assert.ok(user);
    (user as { token?: string }).token = fleet.clusters[1]?.tokens.admin ?? '';
    await assert.rejects(kc.makeApiClient(CoreV1Api).listNamespace(), (err: { code?: number }) => err.code === 401);
  });

  it('stops every cluster', async () => {
    const local = await startKubeSims(2, { namePrefix: 'short' });
    const kc = new KubeConfig();
    kc.loadFromString(local.kubeconfig);
    const api = kc.makeApiClient(CoreV1Api);
    assert.ok((await api.listNamespace()).items.length > 0);
    await local.stop();
    await assert.rejects(api.listNamespace());
  });
});
