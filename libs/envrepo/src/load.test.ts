import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError, UnavailableError } from '@driftless/contracts';
import { RenderError, loadEnvironment, memoryReader, type RepoReader } from './index.js';
import { baseRepo, withEnvironment, type Files } from './testdata/repos.js';

async function loadError(files: Files, limits = {}): Promise<RenderError> {
  try {
    await loadEnvironment(memoryReader(files), limits);
  } catch (err) {
    assert.ok(err instanceof RenderError, `expected a RenderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadEnvironment to fail');
}

describe('loadEnvironment', () => {
  it('reads stages, clusters, components, apps and versions into a model', async () => {
    const model = await loadEnvironment(memoryReader(baseRepo()));
    assert.deepEqual(model.stages, ['dev', 'prod']);
    assert.deepEqual([...model.clusters.keys()], ['dev-1', 'prod-eu', 'prod-us']);
    assert.deepEqual(model.clusters.get('prod-eu')?.labels, { region: 'eu' });
    assert.equal(model.components.get('cart')?.path, 'components/cart');
    assert.deepEqual(model.components.get('cart')?.options, { isDriftCorrectionEnabled: true, maxPruneShare: 0.5, isNamespacePruneAllowed: false });
    assert.deepEqual(model.components.get('payment')?.options, { isDriftCorrectionEnabled: false, maxPruneShare: 0.2, isNamespacePruneAllowed: true });
    const prod = model.stageVersions.get('prod');
    assert.deepEqual(prod?.entries.get('cart'), { version: '1.0.0', line: 2 });
    assert.deepEqual(prod?.entries.get('payment'), { version: '1.10', line: 3 });
    assert.deepEqual(model.warnings, []);
  });

  it('places each component once per cluster, naming every app that wants it there', async () => {
    const model = await loadEnvironment(memoryReader(baseRepo()));
    assert.deepEqual(
      model.placements.map((p) => `${p.cluster}/${p.component}@${p.stage}:${p.apps.join('+')}`),
      ['dev-1/cart@dev:kiosk+shop', 'dev-1/payment@dev:shop', 'prod-eu/cart@prod:kiosk+shop', 'prod-eu/payment@prod:shop', 'prod-us/cart@prod:shop', 'prod-us/payment@prod:shop'],
    );
  });

  it('selects clusters by stages, labels and names together', async () => {
    const files = withEnvironment(baseRepo(), 'clusters: { labels: { region: eu } }', 'clusters: { stages: [prod], labels: { region: eu }, names: [prod-eu, dev-1] }');
    const model = await loadEnvironment(memoryReader(files));
    assert.deepEqual(
      model.placements.filter((p) => p.apps.includes('kiosk')).map((p) => p.cluster),
      ['prod-eu'],
    );
  });

  it('reads versions as strings, so 1.10 is not the number 1.1', async () => {
    const model = await loadEnvironment(memoryReader({ ...baseRepo(), 'versions/dev.yaml': 'cart: 1.10\npayment: 2\n' }));
    assert.equal((model.stageVersions.get('dev')?.entries.get('cart') as { version: string }).version, '1.10');
    assert.equal((model.stageVersions.get('dev')?.entries.get('payment') as { version: string }).version, '2');
  });

  it('names the path, line and the known stages for an unknown stage', async () => {
    const err = await loadError(withEnvironment(baseRepo(), 'stage: prod\n    labels: { region: us }', 'stage: production\n    labels: { region: us }'));
    assert.equal(err.file, 'driftless.yaml');
    assert.equal(err.line, 11);
    assert.equal(err.reason, 'clusters.prod-us.stage: unknown stage "production"; stages are dev, prod');
    assert.match(err.message, /^driftless\.yaml:11: clusters\.prod-us\.stage: unknown stage "production"/);
    assert.ok(err instanceof InvalidInputError, 'a content problem is not retryable');
  });

  it('suggests the likely name for a typo', async () => {
    const err = await loadError(withEnvironment(baseRepo(), 'components: [cart, payment]', 'components: [cart, paymnt]'));
    assert.equal(err.reason, 'apps.shop.components[1]: unknown component "paymnt" (did you mean "payment"?); components are cart, payment');
  });

  it('refuses a name that is not a DNS label, saying which name and why', async () => {
    const err = await loadError(withEnvironment(baseRepo(), 'prod-us:', 'Prod_US:'));
    assert.equal(err.problems.length, 1);
    assert.equal(err.problems[0]?.path, 'clusters.Prod_US');
    assert.match(err.reason, /cluster "Prod_US" is not a DNS label: use 1-63 lowercase letters/);
    assert.equal(err.line, 10);
  });

  it('reports every problem in driftless.yaml at once, in line order', async () => {
    let files = withEnvironment(baseRepo(), 'apiVersion: driftless.dev/v1alpha1', 'apiVersion: driftless.dev/v1');
    files = withEnvironment(files, 'stage: dev', 'stage: dve');
    files = withEnvironment(files, 'path: components/payment', 'path: ../payment\n    colour: blue');
    files = withEnvironment(files, 'clusters: { stages: [dev, prod] }', 'clusters: {}');
    const err = await loadError(files);
    assert.deepEqual(
      err.problems.map((p) => `${p.line}: ${p.path}: ${p.reason}`),
      [
        '1: apiVersion: must be "driftless.dev/v1alpha1", not "driftless.dev/v1"',
        '5: clusters.dev-1.stage: unknown stage "dve" (did you mean "dev"?); stages are dev, prod',
        '19: components.payment.path: "../payment" must be a plain folder path: no empty, "." or ".." parts',
        '20: components.payment.colour: unknown field "colour"; fields are path, values, options',
        '25: apps.shop.clusters: selects nothing: give stages, labels and/or names (every one given must match)',
      ],
    );
    assert.match(err.reason, /^5 problems: line 1: apiVersion: must be/);
  });

  it('asks for quotes when YAML read a version as a number', async () => {
    const files = withEnvironment(baseRepo(), 'components: [cart]', 'components: [cart]\n    overrides: { cart: { version: 1.10 } }');
    const err = await loadError(files);
    assert.equal(err.problems[0]?.path, 'apps.kiosk.overrides.cart.version');
    assert.match(err.reason, /must be a string, not number 1\.1: put it in quotes/);
  });

  it('refuses overrides for a component the app does not use', async () => {
    const files = withEnvironment(baseRepo(), 'components: [cart]', 'components: [cart]\n    overrides: { payment: { values: { a: 1 } } }');
    const err = await loadError(files);
    assert.match(err.reason, /apps\.kiosk\.overrides\.payment: overrides component "payment", which this app does not list/);
  });

  it('reports invalid YAML with file and line', async () => {
    const err = await loadError({ ...baseRepo(), 'driftless.yaml': 'apiVersion: driftless.dev/v1alpha1\nkind: Environment\nstages: [dev, prod\nclusters: {}\n' });
    assert.equal(err.file, 'driftless.yaml');
    assert.ok(err.line !== undefined && err.line >= 3, `line ${err.line}`);
    assert.match(err.reason, /invalid YAML/);
  });

  it('refuses duplicate keys, a missing file, an empty file and several documents', async () => {
    assert.match((await loadError({ ...baseRepo(), 'driftless.yaml': `${baseRepo()['driftless.yaml']}stages: [dev]\n` })).reason, /invalid YAML: Map keys must be unique/);
    const files = baseRepo();
    delete files['driftless.yaml'];
    assert.match((await loadError(files)).reason, /there is no driftless\.yaml at the root/);
    assert.match((await loadError({ ...baseRepo(), 'driftless.yaml': '# nothing\n' })).reason, /driftless\.yaml is empty/);
    assert.match((await loadError({ ...baseRepo(), 'driftless.yaml': `${ENV_TEXT}---\nkind: Environment\n` })).reason, /single YAML document/);
  });

  it('refuses a driftless.yaml bigger than the file limit', async () => {
    const err = await loadError({ ...baseRepo(), 'driftless.yaml': `${ENV_TEXT}# ${'x'.repeat(2048)}\n` }, { maxFileBytes: 1024 });
    assert.match(err.reason, /file is \d+ bytes, more than the limit of 1024/);
  });

  it('refuses an alias bomb in driftless.yaml', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) bomb.push(`${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10).fill(`*${'abcdefgh'[i - 1]}`).join(', ')}]`);
    const err = await loadError({ ...baseRepo(), 'driftless.yaml': `${bomb.join('\n')}\n` });
    assert.match(err.reason, /aliases expand to too many nodes \(limit 100\); this looks like an alias bomb/);
  });

  it('refuses nesting deeper than the limit', async () => {
    const err = await loadError({ ...baseRepo(), 'driftless.yaml': `${ENV_TEXT}x: ${'['.repeat(50)}${']'.repeat(50)}\n` }, { maxDepth: 20 });
    assert.match(err.reason, /nested more than 20 deep/);
  });

  it('keeps a broken version file as an error of that stage only', async () => {
    const model = await loadEnvironment(memoryReader({ ...baseRepo(), 'versions/prod.yaml': 'cart: [1\n' }));
    assert.ok(model.stageVersions.get('prod')?.error instanceof RenderError);
    assert.equal(model.stageVersions.get('prod')?.error?.file, 'versions/prod.yaml');
    assert.equal(model.stageVersions.get('dev')?.error, undefined);
  });

  it('keeps a bad version line as an error of that component only', async () => {
    const model = await loadEnvironment(memoryReader({ ...baseRepo(), 'versions/prod.yaml': 'cart: "1.0 beta"\npayment: 1.9.0\n' }));
    const cart = model.stageVersions.get('prod')?.entries.get('cart');
    assert.ok(cart instanceof RenderError);
    assert.equal(cart.line, 1);
    assert.match(cart.reason, /version "1\.0 beta" is not valid/);
    assert.deepEqual(model.stageVersions.get('prod')?.entries.get('payment'), { version: '1.9.0', line: 2 });
  });

  it('warns about a component on no cluster, an app selecting none, and stray or useless version files', async () => {
    let files = withEnvironment(baseRepo(), 'apps:', '  legacy: { path: components/legacy }\napps:');
    files = withEnvironment(files, 'apps:', 'apps:\n  ghost:\n    components: [payment]\n    clusters: { labels: { region: mars } }');
    files = { ...files, 'versions/staging.yaml': 'cart: 1.0.0\n', 'versions/clusters/prod-us.yaml': 'cart: 0.9.0\nlegacy: 1.0.0\nnope: 1.0.0\n', 'versions/clusters/prod-asia.yaml': '' };
    const model = await loadEnvironment(memoryReader(files));
    assert.deepEqual(model.warnings, [
      'apps.ghost.clusters: selects no cluster, so the app is deployed nowhere',
      'components.legacy: no app uses it, so it is deployed nowhere',
      'versions/clusters/prod-asia.yaml: there is no cluster "prod-asia" (did you mean "prod-us"?); clusters are dev-1, prod-eu, prod-us; the file is ignored',
      'versions/clusters/prod-us.yaml: pins legacy, which no app places on cluster prod-us; the pin does nothing',
      'versions/clusters/prod-us.yaml:3: "nope" is not a component; components are cart, payment, legacy; the line is ignored',
      'versions/staging.yaml: there is no stage "staging"; stages are dev, prod; the file is ignored',
    ]);
    assert.equal(model.placements.some((p) => p.component === 'legacy'), false);
  });

  it('turns a refused read into a RenderError and lets an outage through', async () => {
    const base = memoryReader(baseRepo());
    const symlinked: RepoReader = {
      ...base,
      readFile: (path) => (path === 'driftless.yaml' ? Promise.reject(new Error('driftless.yaml is a symlink, which is refused')) : base.readFile(path)),
    };
    const err = await loadEnvironment(symlinked).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RenderError);
    assert.equal(err.file, 'driftless.yaml');
    assert.match(err.reason, /symlink/);

    const down: RepoReader = { ...base, readFile: () => Promise.reject(new UnavailableError('object database unavailable')) };
    await assert.rejects(loadEnvironment(down), UnavailableError);
  });
});

const ENV_TEXT = baseRepo()['driftless.yaml'] ?? '';
