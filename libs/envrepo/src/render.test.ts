import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError, UnavailableError } from '@driftless/contracts';
import {
  COMPONENT_LABEL,
  MANAGED_BY_LABEL,
  REVISION_ANNOTATION,
  RenderError,
  VERSION_ANNOTATION,
  createTemplateCache,
  loadEnvironment,
  memoryReader,
  renderAll,
  renderOne,
  type FailedComponent,
  type RenderResult,
  type RenderedComponent,
  type RepoReader,
} from './index.js';
import { baseRepo, withEnvironment, type Files } from './testdata/repos.js';

async function render(files: Files, limits = {}): Promise<Map<string, RenderResult>> {
  const reader = memoryReader(files);
  const results = await renderAll(await loadEnvironment(reader, limits), reader);
  return new Map(results.map((r) => [`${r.cluster}/${r.component}`, r]));
}

function ok(results: Map<string, RenderResult>, key: string): RenderedComponent {
  const result = results.get(key);
  assert.ok(result, `no result for ${key}`);
  assert.ok(result.ok, `${key} failed: ${result.ok ? '' : result.error.message}`);
  return result;
}

function failure(results: Map<string, RenderResult>, key: string): FailedComponent {
  const result = results.get(key);
  assert.ok(result, `no result for ${key}`);
  assert.ok(!result.ok, `${key} rendered but should have failed`);
  return result;
}

/** The value at a dotted path (`spec.template.spec.containers.0.image`) in the result's object of `kind`. */
function pick(result: RenderedComponent, kind: string, path: string): unknown {
  const object = result.objects.find((o) => o['kind'] === kind);
  assert.ok(object, `no ${kind} in ${result.cluster}/${result.component}`);
  let value: unknown = object;
  for (const part of path.split('.')) {
    assert.ok(typeof value === 'object' && value !== null, `${kind} has nothing at ${path}`);
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

describe('renderAll', () => {
  it('renders every placed pair with its stage version, merged values and options', async () => {
    const results = await render(baseRepo());
    assert.deepEqual([...results.keys()], ['dev-1/cart', 'dev-1/payment', 'prod-eu/cart', 'prod-eu/payment', 'prod-us/cart', 'prod-us/payment']);
    const dev = ok(results, 'dev-1/cart');
    assert.equal(dev.version, '1.1.0');
    assert.equal(dev.stage, 'dev');
    assert.deepEqual(dev.apps, ['kiosk', 'shop']);
    assert.deepEqual(
      dev.objects.map((o) => o['kind']),
      ['ConfigMap', 'Deployment'], // components/cart/config/configmap.yml sorts before components/cart/deployment.yaml; README.md is not a template
    );
    assert.equal(pick(dev, 'Deployment', 'spec.replicas'), 1);
    assert.equal(pick(dev, 'Deployment', 'spec.template.spec.containers.0.image'), 'ghcr.io/driftless-demo/cart:1.1.0');
    assert.equal(ok(results, 'prod-eu/cart').version, '1.0.0');
    assert.equal(ok(results, 'prod-us/payment').version, '1.10');
    assert.deepEqual(ok(results, 'prod-us/payment').options, { isDriftCorrectionEnabled: false, maxPruneShare: 0.2, isNamespacePruneAllowed: true });
    assert.deepEqual(dev.options, { isDriftCorrectionEnabled: true, maxPruneShare: 0.5, isNamespacePruneAllowed: false });
  });

  it('substitutes cluster name, stage, labels, values, version and component name', async () => {
    const results = await render(baseRepo());
    assert.deepEqual(pick(ok(results, 'prod-us/cart'), 'ConfigMap', 'data'), {
      greeting: 'hello from prod-us (prod, us)',
      replicas: '5',
      component: 'cart',
      literal: '${not.a.variable}',
    });
  });

  it('gives an unquoted whole-value substitution the value\'s own type and a quoted one a string', async () => {
    const results = await render(baseRepo());
    assert.equal(pick(ok(results, 'prod-eu/cart'), 'Deployment', 'spec.replicas'), 3);
    assert.deepEqual(pick(ok(results, 'prod-eu/cart'), 'Deployment', 'spec.template.spec.containers.0.resources'), { limits: { cpu: '100m' } });
    assert.equal(pick(ok(results, 'prod-eu/cart'), 'ConfigMap', 'data.replicas'), '3');
  });

  it('never lets a value inject YAML structure', async () => {
    const files = withEnvironment(baseRepo(), 'greeting: hello', 'greeting: "hi\\nkind: Secret\\nx: {a: 1}"');
    const cart = ok(await render(files), 'dev-1/cart');
    assert.deepEqual(cart.objects.map((o) => o['kind']), ['ConfigMap', 'Deployment']);
    assert.equal(pick(cart, 'ConfigMap', 'data.greeting'), 'hi\nkind: Secret\nx: {a: 1} from dev-1 (dev, eu)');
  });

  it('labels and annotates every object so an agent can find what it owns', async () => {
    const files = { ...baseRepo(), 'components/payment/all.yaml': `${baseRepo()['components/payment/all.yaml']}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: { app.kubernetes.io/managed-by: helm, team: pay }\n  annotations: { note: keep }\n` };
    const payment = ok(await render(files), 'prod-eu/payment');
    assert.equal(payment.objects.length, 3);
    for (const object of payment.objects) {
      const metadata = object['metadata'] as { labels: Record<string, string>; annotations: Record<string, string> };
      assert.equal(metadata.labels[MANAGED_BY_LABEL], 'driftless');
      assert.equal(metadata.labels[COMPONENT_LABEL], 'payment');
      assert.equal(metadata.annotations[REVISION_ANNOTATION], payment.hash);
      assert.equal(metadata.annotations[VERSION_ANNOTATION], '1.10');
    }
    assert.equal(pick(payment, 'Secret', 'metadata.labels.team'), 'pay');
    assert.equal(pick(payment, 'Secret', 'metadata.annotations.note'), 'keep');
    assert.match(payment.hash, /^sha256:[0-9a-f]{64}$/);
  });

  it('applies per-cluster values and per-cluster component values over component defaults', async () => {
    const files = withEnvironment(baseRepo(), '    values: { replicas: 5 }', '    values: { replicas: 5 }\n    componentValues: { cart: { replicas: 7, limits: { memory: 1Gi } } }');
    const results = await render(files);
    assert.equal(pick(ok(results, 'prod-us/cart'), 'Deployment', 'spec.replicas'), 7);
    assert.deepEqual(pick(ok(results, 'prod-us/cart'), 'Deployment', 'spec.template.spec.containers.0.resources'), { limits: { cpu: '100m', memory: '1Gi' } });
    assert.equal(pick(ok(results, 'prod-eu/cart'), 'Deployment', 'spec.replicas'), 3);
  });

  it('lets a cluster pin a version over its stage version', async () => {
    const results = await render({ ...baseRepo(), 'versions/clusters/prod-us.yaml': 'cart: 0.9.1\n' });
    assert.equal(ok(results, 'prod-us/cart').version, '0.9.1');
    assert.equal(pick(ok(results, 'prod-us/cart'), 'Deployment', 'spec.template.spec.containers.0.image'), 'ghcr.io/driftless-demo/cart:0.9.1');
    assert.equal(ok(results, 'prod-eu/cart').version, '1.0.0');
  });

  it('deploys a shared component once when its apps agree, even with identical overrides', async () => {
    let files = withEnvironment(baseRepo(), 'components: [cart, payment]', 'components: [cart, payment]\n    overrides: { cart: { values: { greeting: hey } } }');
    files = withEnvironment(files, 'components: [cart]', 'components: [cart]\n    overrides: { cart: { values: { greeting: hey } } }');
    const results = await render(files);
    assert.equal([...results.keys()].filter((k) => k.endsWith('/cart')).length, 3);
    assert.deepEqual(ok(results, 'prod-eu/cart').apps, ['kiosk', 'shop']);
    assert.match(pick(ok(results, 'prod-eu/cart'), 'ConfigMap', 'data.greeting') as string, /^hey /);
  });

  it('fails a shared component whose apps disagree about values, naming both apps and the cluster', async () => {
    const files = withEnvironment(baseRepo(), 'components: [cart]', 'components: [cart]\n    overrides:\n      cart: { values: { limits: { cpu: 200m } } }');
    const results = await render(files);
    const error = failure(results, 'prod-eu/cart').error;
    assert.equal(error.cluster, 'prod-eu');
    assert.equal(error.component, 'cart');
    assert.equal(error.file, 'driftless.yaml');
    assert.equal(error.line, 28);
    assert.equal(
      error.reason,
      'apps.kiosk.overrides.cart: apps kiosk and shop disagree about component cart on cluster prod-eu: values.limits.cpu is "200m" for kiosk but "100m" for shop; make their overrides agree',
    );
    assert.ok(failure(results, 'dev-1/cart'));
    // Where only one app places it, its override is simply used; other pairs are untouched.
    assert.equal(ok(results, 'prod-us/cart').version, '1.0.0');
    assert.ok(ok(results, 'prod-eu/payment'));
  });

  it('fails a shared component whose apps disagree about the version, unless the cluster pins one', async () => {
    const files = withEnvironment(baseRepo(), 'components: [cart]', 'components: [cart]\n    overrides: { cart: { version: "0.8.0" } }');
    let results = await render(files);
    assert.match(failure(results, 'prod-eu/cart').error.reason, /apps kiosk and shop disagree about component cart on cluster prod-eu: kiosk wants version 0\.8\.0, shop wants 1\.0\.0/);
    results = await render({ ...files, 'versions/clusters/prod-eu.yaml': 'cart: 1.0.1\n' });
    assert.equal(ok(results, 'prod-eu/cart').version, '1.0.1');
    assert.ok(failure(results, 'dev-1/cart'));
  });

  it('fails on an unknown variable, naming it, the file and the line, and only where it is unknown', async () => {
    const files = { ...baseRepo(), 'components/cart/deployment.yaml': baseRepo()['components/cart/deployment.yaml']?.replace('namespace: shop', 'namespace: ${values.namespace}') ?? '' };
    const results = await render(withEnvironment(files, '    values: { replicas: 5 }', '    values: { replicas: 5, namespace: us-shop }'));
    const error = failure(results, 'prod-eu/cart').error;
    assert.equal(error.file, 'components/cart/deployment.yaml');
    assert.equal(error.line, 5);
    assert.equal(error.reason, 'metadata.namespace: unknown variable ${values.namespace}: no such value for component cart on cluster prod-eu (set it in the component\'s values, the app\'s overrides or the cluster\'s values)');
    assert.equal(pick(ok(results, 'prod-us/cart'), 'Deployment', 'metadata.namespace'), 'us-shop');
  });

  it('fails on a variable that exists nowhere and on a missing label', async () => {
    const results = await render({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\ndata:\n  a: ${cluster.region}\n' });
    assert.match(failure(results, 'dev-1/payment').error.reason, /^data\.a: unknown variable \$\{cluster\.region\}; variables are cluster\.name, cluster\.stage, cluster\.labels\.<key>, values\.<path>, version, component\.name$/);
    assert.equal(failure(results, 'dev-1/payment').error.line, 5);
    const labels = await render({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\ndata:\n  a: "${cluster.labels.tier}"\n' });
    assert.match(failure(labels, 'prod-us/payment').error.reason, /unknown variable \$\{cluster\.labels\.tier\}: cluster prod-us has no label "tier"/);
  });

  it('refuses a map or list inside a string, and an unterminated ${', async () => {
    let results = await render({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\ndata:\n  a: "x${values.m}"\n' });
    results = await render(withEnvironment({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\ndata:\n  a: "x${values.m}"\n' }, 'path: components/payment', 'path: components/payment\n    values: { m: { k: v } }'));
    assert.match(failure(results, 'dev-1/payment').error.reason, /\$\{values\.m\} is a map and cannot be put inside a string/);
    results = await render({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\ndata:\n  a: "x${version"\n' });
    assert.match(failure(results, 'dev-1/payment').error.reason, /unterminated \$\{/);
  });

  it('fails a component whose folder is missing, pointing at its path in driftless.yaml', async () => {
    const files = baseRepo();
    delete files['components/payment/all.yaml'];
    const results = await render(files);
    for (const cluster of ['dev-1', 'prod-eu', 'prod-us']) {
      const error = failure(results, `${cluster}/payment`).error;
      assert.equal(error.file, 'driftless.yaml');
      assert.equal(error.line, 19);
      assert.equal(error.reason, 'components.payment.path: component folder "components/payment" does not exist in the repository');
      assert.equal(error.cluster, cluster);
    }
    assert.ok(ok(results, 'dev-1/cart'));
  });

  it('fails a component with invalid YAML, with file and line, and leaves the others alone', async () => {
    const results = await render({ ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p\n   bad: indent\n' });
    const error = failure(results, 'prod-eu/payment').error;
    assert.equal(error.file, 'components/payment/all.yaml');
    assert.equal(error.line, 4);
    assert.match(error.reason, /invalid YAML/);
    assert.ok(ok(results, 'prod-eu/cart'));
  });

  it('fails an object without apiVersion, kind or metadata.name, and a duplicate object', async () => {
    const cases: [string, RegExp][] = [
      ['kind: ConfigMap\nmetadata: { name: p }\n', /object has no apiVersion/],
      ['apiVersion: v1\nmetadata: { name: p }\n', /object has no kind/],
      ['apiVersion: v1\nkind: ConfigMap\nmetadata: { namespace: x }\n', /ConfigMap has no metadata\.name/],
      ['- a\n- b\n', /document is not a map/],
      ['apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\n', /ConfigMap p is already defined in components\/payment\/all\.yaml/],
    ];
    for (const [text, reason] of cases) {
      const error = failure(await render({ ...baseRepo(), 'components/payment/all.yaml': text }), 'dev-1/payment').error;
      assert.match(error.reason, reason);
      assert.equal(error.file, 'components/payment/all.yaml');
    }
  });

  it('fails a stage without a version for a component, saying which line to add', async () => {
    const results = await render({ ...baseRepo(), 'versions/prod.yaml': 'cart: 1.0.0\n' });
    const error = failure(results, 'prod-eu/payment').error;
    assert.equal(error.file, 'versions/prod.yaml');
    assert.match(error.reason, /no version for component payment at stage prod: add the line "payment: <version>" to versions\/prod\.yaml/);
    assert.ok(ok(results, 'dev-1/payment'));
  });

  it('fails only the pairs a broken version file is needed for', async () => {
    const results = await render({ ...baseRepo(), 'versions/prod.yaml': 'cart: [1.0.0\n' });
    for (const key of ['prod-eu/cart', 'prod-eu/payment', 'prod-us/cart', 'prod-us/payment']) {
      assert.equal(failure(results, key).error.file, 'versions/prod.yaml');
    }
    assert.ok(ok(results, 'dev-1/cart'));
    const pinned = await render({ ...baseRepo(), 'versions/clusters/prod-us.yaml': 'cart: "bad version"\n' });
    assert.match(failure(pinned, 'prod-us/cart').error.reason, /version "bad version" is not valid/);
    assert.ok(ok(pinned, 'prod-us/payment'));
  });

  it('bounds file size, documents per file, objects per component, aliases and nesting', async () => {
    const huge = await render({ ...baseRepo(), 'components/payment/all.yaml': `${baseRepo()['components/payment/all.yaml']}# ${'x'.repeat(70_000)}\n` }, { maxFileBytes: 65_536 });
    assert.match(failure(huge, 'dev-1/payment').error.reason, /file is \d+ bytes, more than the limit of 65536/);
    assert.ok(ok(huge, 'dev-1/cart'));

    const many = Array.from({ length: 4 }, (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c${i} }\n`).join('---\n');
    const documents = await render({ ...baseRepo(), 'components/payment/all.yaml': many }, { maxDocumentsPerFile: 3 });
    assert.match(failure(documents, 'dev-1/payment').error.reason, /file has 4 YAML documents, more than the limit of 3/);
    const objects = await render({ ...baseRepo(), 'components/payment/all.yaml': many, 'components/payment/more.yaml': many }, { maxObjectsPerComponent: 6 });
    assert.match(failure(objects, 'dev-1/payment').error.reason, /component has 8 objects, more than the limit of 6/);

    const laughs = ['lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) laughs.push(`lol${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    const bomb = await render({ ...baseRepo(), 'components/payment/all.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: lol }\ndata:\n${laughs.map((l) => `  ${l}`).join('\n')}\n` });
    assert.match(failure(bomb, 'dev-1/payment').error.reason, /aliases expand to too many nodes \(limit 100\); this looks like an alias bomb/);

    const deep = await render({ ...baseRepo(), 'components/payment/all.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: deep }\ndata: ${'['.repeat(200)}${']'.repeat(200)}\n` });
    assert.match(failure(deep, 'dev-1/payment').error.reason, /nested more than 100 deep/);
  });

  it('allows a few aliases within the limit', async () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p, labels: &l { a: b } }\ndata: { x: "1" }\n';
    const payment = ok(await render({ ...baseRepo(), 'components/payment/all.yaml': `${text}---\napiVersion: v1\nkind: List\nmetadata: { name: l, labels: &m { c: d } }\nitems: [*m, *m]\n` }), 'dev-1/payment');
    assert.deepEqual(pick(payment, 'List', 'items'), [{ c: 'd' }, { c: 'd' }]);
    // An anchor does not reach into the next document.
    const across = await render({ ...baseRepo(), 'components/payment/all.yaml': `${text}---\napiVersion: v1\nkind: Secret\nmetadata: { name: p, labels: *l }\n` });
    assert.match(failure(across, 'dev-1/payment').error.reason, /YAML cannot be read: .*alias/i);
  });

  it('fails a component folder with no templates rather than rendering it to nothing', async () => {
    const files = baseRepo();
    delete files['components/payment/all.yaml'];
    files['components/payment/notes.txt'] = 'x';
    assert.match(failure(await render(files), 'dev-1/payment').error.reason, /has no \.yaml or \.yml files/);
  });

  it('turns a reader refusal (a symlink) into a render failure of that component, and lets an outage reject', async () => {
    const base = memoryReader(baseRepo());
    const model = await loadEnvironment(base);
    const refusing: RepoReader = { ...base, readFile: (path) => (path.startsWith('components/payment/') ? Promise.reject(new Error(`${path} is a symlink, which is refused`)) : base.readFile(path)) };
    const results = new Map((await renderAll(model, refusing)).map((r) => [`${r.cluster}/${r.component}`, r]));
    assert.match(failure(results, 'dev-1/payment').error.reason, /components\/payment\/all\.yaml is a symlink, which is refused/);
    assert.ok(ok(results, 'dev-1/cart'));
    const down: RepoReader = { ...base, listDir: () => Promise.reject(new UnavailableError('git object store gone')) };
    await assert.rejects(renderAll(model, down), UnavailableError);
  });
});

describe('hashes', () => {
  it('are the same for the same input', async () => {
    const first = await render(baseRepo());
    const second = await render(baseRepo());
    for (const key of first.keys()) assert.equal(ok(second, key).hash, ok(first, key).hash, key);
    assert.notEqual(ok(first, 'prod-eu/cart').hash, ok(first, 'prod-us/cart').hash);
  });

  it('change only for the clusters a values change affects', async () => {
    const before = await render(baseRepo());
    const after = await render(withEnvironment(baseRepo(), 'values: { replicas: 5 }', 'values: { replicas: 6 }'));
    const changed = [...before.keys()].filter((key) => ok(before, key).hash !== ok(after, key).hash);
    assert.deepEqual(changed, ['prod-us/cart']);
  });

  it('change when only the version changes, even if no template uses it', async () => {
    const files = { ...baseRepo(), 'components/payment/all.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: p }\n' };
    const before = await render(files);
    const after = await render({ ...files, 'versions/dev.yaml': 'cart: 1.1.0\npayment: 2.0.1\n' });
    assert.notEqual(ok(before, 'dev-1/payment').hash, ok(after, 'dev-1/payment').hash);
    assert.equal(ok(before, 'dev-1/cart').hash, ok(after, 'dev-1/cart').hash);
  });

  it('change when only the options change', async () => {
    const before = await render(baseRepo());
    const after = await render(withEnvironment(baseRepo(), 'maxShare: 0.2', 'maxShare: 0.3'));
    assert.notEqual(ok(before, 'dev-1/payment').hash, ok(after, 'dev-1/payment').hash);
    assert.equal(ok(before, 'dev-1/cart').hash, ok(after, 'dev-1/cart').hash);
  });

  it('do not depend on key order in the templates', async () => {
    const reordered = { ...baseRepo(), 'components/payment/all.yaml': 'kind: ConfigMap\napiVersion: v1\ndata: { version: "${version}" }\nmetadata: { namespace: shop, name: payment }\n---\nspec: { ports: [{ port: 80 }] }\nmetadata: { name: payment, namespace: shop }\nkind: Service\napiVersion: v1\n' };
    assert.equal(ok(await render(reordered), 'dev-1/payment').hash, ok(await render(baseRepo()), 'dev-1/payment').hash);
  });
});

describe('renderOne and the template cache', () => {
  it('renders one pair like renderAll does, and refuses a pair no app places', async () => {
    const reader = memoryReader(baseRepo());
    const model = await loadEnvironment(reader);
    const one = await renderOne(model, reader, 'prod-us', 'cart');
    const all = (await renderAll(model, reader)).find((r) => r.cluster === 'prod-us' && r.component === 'cart');
    assert.ok(one.ok && all?.ok);
    assert.equal(one.hash, all.hash);
    await assert.rejects(renderOne(model, reader, 'prod-us', 'nope'), NotFoundError);
  });

  it('reads a file again only when its content changed', async () => {
    const reads: string[] = [];
    const counting = (files: Files): RepoReader => {
      const inner = memoryReader(files);
      return { ...inner, readFile: (path) => (reads.push(path), inner.readFile(path)) };
    };
    const cache = createTemplateCache();
    const first = counting(baseRepo());
    await renderAll(await loadEnvironment(first), first, { cache });
    assert.ok(reads.includes('components/cart/deployment.yaml'));
    reads.length = 0;
    const changed = { ...baseRepo(), 'components/payment/all.yaml': `${baseRepo()['components/payment/all.yaml']}# changed\n` };
    const second = counting(changed);
    const results = await renderAll(await loadEnvironment(second), second, { cache });
    assert.deepEqual(reads.filter((p) => p.startsWith('components/')), ['components/payment/all.yaml']);
    assert.ok(results.every((r) => r.ok));
  });

  it('reuses a pair\'s result while nothing it depends on changes, and renders it again when something does', async () => {
    const cache = createTemplateCache();
    const renderWith = async (files: Files) => {
      const reader = memoryReader(files);
      return new Map((await renderAll(await loadEnvironment(reader, {}, { cache }), reader, { cache })).map((r) => [`${r.cluster}/${r.component}`, r]));
    };
    const first = await renderWith(baseRepo());
    // kiosk moves from the EU clusters to the prod ones: same objects everywhere, so results are reused with new app lists.
    const second = await renderWith(withEnvironment(baseRepo(), 'clusters: { labels: { region: eu } }', 'clusters: { stages: [prod] }'));
    assert.equal(second.get('prod-eu/cart'), first.get('prod-eu/cart'));
    assert.deepEqual(ok(second, 'prod-us/cart').apps, ['kiosk', 'shop']);
    assert.deepEqual(ok(second, 'dev-1/cart').apps, ['shop']);
    assert.equal(ok(second, 'prod-us/cart').hash, ok(first, 'prod-us/cart').hash);
    // A label changes: only pairs whose templates read it render differently, but every pair of that cluster is rendered again.
    const third = await renderWith(withEnvironment(baseRepo(), 'labels: { region: us }', 'labels: { region: us-east }'));
    assert.notEqual(ok(third, 'prod-us/cart').hash, ok(first, 'prod-us/cart').hash);
    assert.equal(ok(third, 'prod-us/payment').hash, ok(first, 'prod-us/payment').hash);
    assert.equal(third.get('prod-eu/cart'), first.get('prod-eu/cart'));
    assert.equal(cache.resultCount, 6);
  });

  it('does not read driftless.yaml or a version file again while its content is unchanged', async () => {
    const reads: string[] = [];
    const cache = createTemplateCache();
    const counting = (files: Files): RepoReader => {
      const inner = memoryReader(files);
      return { ...inner, readFile: (path) => (reads.push(path), inner.readFile(path)) };
    };
    const first = await loadEnvironment(counting(baseRepo()), {}, { cache });
    assert.deepEqual(reads.sort(), ['driftless.yaml', 'versions/dev.yaml', 'versions/prod.yaml']);
    reads.length = 0;
    const second = await loadEnvironment(counting({ ...baseRepo(), 'versions/dev.yaml': 'cart: 1.2.0\npayment: 2.0.0\n' }), {}, { cache });
    assert.deepEqual(reads, ['versions/dev.yaml']);
    assert.equal(second.placements, first.placements);
    assert.equal((second.stageVersions.get('dev')?.entries.get('cart') as { version: string }).version, '1.2.0');
    await assert.rejects(loadEnvironment(counting({ ...baseRepo(), 'driftless.yaml': 'kind: Nope\n' }), {}, { cache }), RenderError);
    await assert.rejects(loadEnvironment(counting({ ...baseRepo(), 'driftless.yaml': 'kind: Nope\n' }), {}, { cache }), RenderError);
  });

  it('fails only the component whose file the reader refuses even to identify', async () => {
    const base = memoryReader(baseRepo());
    const refusing: RepoReader = {
      ...base,
      blobId: (path) => (path === 'components/payment/all.yaml' ? Promise.reject(new Error('components/payment/all.yaml is a symlink')) : (base.blobId?.(path) ?? Promise.resolve(undefined))),
    };
    const results = new Map((await renderAll(await loadEnvironment(refusing), refusing)).map((r) => [`${r.cluster}/${r.component}`, r]));
    assert.match(failure(results, 'prod-us/payment').error.reason, /is a symlink/);
    assert.ok(ok(results, 'prod-us/cart'));
  });

  it('works without blob ids too', async () => {
    const reader = memoryReader(baseRepo(), { hasBlobIds: false });
    const cache = createTemplateCache();
    const model = await loadEnvironment(reader);
    const first = await renderAll(model, reader, { cache });
    const second = await renderAll(model, reader, { cache });
    assert.deepEqual(second.map((r) => r.ok && r.hash), first.map((r) => r.ok && r.hash));
    assert.ok(cache.size >= 3);
  });

  it('keeps every RenderError a RenderError scoped to its pair', async () => {
    const files = baseRepo();
    delete files['components/payment/all.yaml'];
    for (const result of (await render(files)).values()) {
      if (result.ok) continue;
      assert.ok(result.error instanceof RenderError);
      assert.match(result.error.message, new RegExp(`^cluster ${result.cluster}, component ${result.component}: driftless\\.yaml:19: `));
    }
  });
});
