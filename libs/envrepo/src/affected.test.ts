import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { affectedPlacements, loadEnvironment, memoryReader, type Environment } from './index.js';
import { baseRepo, type Files } from './testdata/repos.js';

const load = (files: Files): Promise<Environment> => loadEnvironment(memoryReader(files));
const keys = (model: Environment, paths: string[], previous?: Environment) => affectedPlacements(model, paths, previous).map((p) => `${p.cluster}/${p.component}`);

describe('affectedPlacements', () => {
  it('maps a change inside a component folder to that component on every cluster', async () => {
    const model = await load(baseRepo());
    assert.deepEqual(keys(model, ['components/payment/all.yaml']), ['dev-1/payment', 'prod-eu/payment', 'prod-us/payment']);
    assert.deepEqual(keys(model, ['components/cart/config/configmap.yml', 'README.md']), ['dev-1/cart', 'prod-eu/cart', 'prod-us/cart']);
  });

  it('maps a stage version file to that stage, narrowed to changed lines when the previous model is given', async () => {
    const before = await load(baseRepo());
    const after = await load({ ...baseRepo(), 'versions/prod.yaml': 'cart: 1.0.1\npayment: "1.10"\n' });
    assert.deepEqual(keys(after, ['versions/prod.yaml']), ['prod-eu/cart', 'prod-eu/payment', 'prod-us/cart', 'prod-us/payment']);
    assert.deepEqual(keys(after, ['versions/prod.yaml'], before), ['prod-eu/cart', 'prod-us/cart']);
  });

  it('maps a cluster pin file to that cluster', async () => {
    const before = await load(baseRepo());
    const after = await load({ ...baseRepo(), 'versions/clusters/prod-us.yaml': 'payment: 1.9.9\n' });
    assert.deepEqual(keys(after, ['versions/clusters/prod-us.yaml'], before), ['prod-us/payment']);
    assert.deepEqual(keys(after, ['versions/clusters/prod-us.yaml']), ['prod-us/cart', 'prod-us/payment']);
  });

  it('treats a change to driftless.yaml as affecting everything, and unrelated files as affecting nothing', async () => {
    const model = await load(baseRepo());
    assert.equal(keys(model, ['driftless.yaml']).length, model.placements.length);
    assert.deepEqual(keys(model, ['README.md', 'docs/x.md', 'components/cartx/a.yaml']), []);
  });
});
