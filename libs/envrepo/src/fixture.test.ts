import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadEnvironment, memoryReader, renderAll, type RenderedComponent } from './index.js';
import { readTree, repoPath } from './testdata/repos.js';

const files = readTree(repoPath('test/fixtures/envrepo'));

describe('the example environment in test/fixtures/envrepo', () => {
  it('loads without problems or warnings', async () => {
    const model = await loadEnvironment(memoryReader(files));
    assert.deepEqual(model.stages, ['dev', 'test', 'prod']);
    assert.deepEqual([...model.clusters.keys()].sort(), ['dev-1', 'prod-eu', 'prod-us', 'test-1']);
    assert.deepEqual([...model.apps.keys()].sort(), ['candystore', 'hipsterstore']);
    assert.deepEqual(model.warnings, []);
  });

  it('renders every pair with no errors and the expected placements', async () => {
    const reader = memoryReader(files);
    const results = await renderAll(await loadEnvironment(reader), reader);
    const failures = results.filter((r) => !r.ok);
    assert.deepEqual(failures, []);
    const rendered = results as RenderedComponent[];
    assert.deepEqual(
      rendered.map((r) => `${r.cluster}/${r.component}:${r.apps.join('+')}`),
      [
        'dev-1/cart:candystore+hipsterstore',
        'dev-1/payment:candystore+hipsterstore',
        'dev-1/shipping:candystore+hipsterstore',
        'prod-eu/cart:candystore+hipsterstore',
        'prod-eu/payment:candystore+hipsterstore',
        'prod-eu/shipping:candystore+hipsterstore',
        'prod-us/cart:candystore',
        'prod-us/payment:candystore',
        'prod-us/shipping:candystore',
        'test-1/cart:candystore+hipsterstore',
        'test-1/payment:candystore+hipsterstore',
        'test-1/shipping:candystore+hipsterstore',
      ],
    );
    const get = (cluster: string, component: string) => rendered.find((r) => r.cluster === cluster && r.component === component) as RenderedComponent;
    const deployment = (r: RenderedComponent) => r.objects.find((o) => o['kind'] === 'Deployment') as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };

    // Dev ahead of test ahead of prod, and prod-us holding payment back with a pin.
    assert.deepEqual(['dev-1', 'test-1', 'prod-eu', 'prod-us'].map((c) => get(c, 'cart').version), ['1.5.0', '1.4.0', '1.3.2', '1.3.2']);
    assert.deepEqual(['dev-1', 'test-1', 'prod-eu', 'prod-us'].map((c) => get(c, 'payment').version), ['3.2.0', '3.1.0', '3.0.4', '3.0.3']);
    assert.equal(deployment(get('dev-1', 'cart')).spec.template.spec.containers[0]?.image, 'ghcr.io/driftless-demo/cart:1.5.0');

    // The two prod clusters differ in values.
    assert.deepEqual(['dev-1', 'test-1', 'prod-eu', 'prod-us'].map((c) => deployment(get(c, 'cart')).spec.replicas), [1, 1, 3, 5]);
    assert.equal(deployment(get('prod-us', 'payment')).spec.replicas, 6);
    const paymentConfig = (cluster: string) => (get(cluster, 'payment').objects.find((o) => o['kind'] === 'ConfigMap') as { data: Record<string, string> }).data;
    assert.equal(paymentConfig('prod-eu')['PROVIDER'], 'psp-europe');
    assert.equal(paymentConfig('prod-us')['PROVIDER'], 'psp-americas');
    assert.equal(paymentConfig('prod-us')['CURRENCY'], 'USD');

    for (const result of rendered) {
      assert.deepEqual(result.objects.map((o) => o['kind']).sort(), ['ConfigMap', 'Deployment', 'Namespace', 'Service']);
      assert.match(result.hash, /^sha256:[0-9a-f]{64}$/);
    }
    assert.equal(get('prod-eu', 'payment').options.maxPruneShare, 0.25);
  });
});
