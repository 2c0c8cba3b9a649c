import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DesiredStateSchema, type DesiredState } from '@driftless/contracts';
import { eventually } from '@driftless/testkit';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { createHarness, storedEventCount, syncOf, type Harness } from './testing/harness.js';

const desiredCheck = TypeCompiler.Compile(DesiredStateSchema);
const ALL_PAIRS = [
  'dev-1.cart', 'dev-1.payment', 'dev-1.shipping',
  'prod-eu.cart', 'prod-eu.payment', 'prod-eu.shipping',
  'prod-us.cart', 'prod-us.payment', 'prod-us.shipping',
  'test-1.cart', 'test-1.payment', 'test-1.shipping',
];

async function desired(h: Harness, key: string): Promise<DesiredState | undefined> {
  const entry = await h.nats.desired.get(key);
  if (!entry || entry.operation !== 'PUT') return undefined;
  const value = entry.json<DesiredState>();
  assert.ok(desiredCheck.Check(value), `desired ${key} does not match DesiredStateSchema: ${[...desiredCheck.Errors(value)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
  return value;
}

/** The value at a dotted path (numbers index arrays). */
function pick(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((at, key) => (at === null || typeof at !== 'object' ? undefined : (at as Record<string, unknown>)[key]), value);
}

function deployment(state: DesiredState | undefined): unknown {
  assert.ok(state && 'inline' in state.manifests);
  return state.manifests.inline.find((o) => o['kind'] === 'Deployment');
}

describe('repo-watcher end to end: commit → KV + events', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ label: 'rw-e2e' });
  });
  after(async () => h.close());

  it('publishes every (cluster, component) of the first commit, then only what each later commit changes', async () => {
    const watcher = await h.watcher();
    const seed = h.repo.head();
    const first = await syncOf(watcher).sync();
    assert.equal(first.kind, 'published');
    assert.deepEqual(Object.keys(await h.desiredRevisions()).sort(), ALL_PAIRS);
    const changed = h.eventsOf('driftless.desired.changed.v1');
    assert.equal(changed.length, 12);
    assert.ok(changed.every((e) => e.data.commit.sha === seed && e.data.previous === null && e.data.objectCount === 4));

    // Per-stage versions, per-cluster pins and per-cluster values.
    assert.equal((await desired(h, 'dev-1.cart'))?.version, '1.5.0');
    assert.equal((await desired(h, 'prod-eu.payment'))?.version, '3.0.4');
    assert.equal((await desired(h, 'prod-us.payment'))?.version, '3.0.3');
    assert.equal(pick(deployment(await desired(h, 'prod-us.cart')), 'spec.replicas'), 5);
    assert.equal(pick(deployment(await desired(h, 'prod-eu.cart')), 'spec.replicas'), 3);
    // A component shared by two apps is deployed once, naming both.
    assert.deepEqual((await desired(h, 'prod-eu.cart'))?.apps, ['candystore', 'hipsterstore']);
    assert.deepEqual((await desired(h, 'prod-us.cart'))?.apps, ['candystore']);

    // Promote cart to 1.4.0 in prod: only the two prod carts change, attributed to the author.
    h.repo.write({ 'versions/prod.yaml': 'cart: 1.4.0\nshipping: 2.2.0\npayment: 3.0.4\n' });
    const promote = h.repo.commit('promote cart 1.4.0 to prod', { author: { name: 'Grace Hopper', email: 'grace@example.com' } });
    const before = await h.desiredRevisions();
    const second = await syncOf(watcher).sync();
    assert.equal(second.kind, 'published');
    const promoted = h.eventsOf('driftless.desired.changed.v1').slice(12);
    assert.deepEqual(promoted.map((e) => `${e.data.cluster}.${e.data.component}`).sort(), ['prod-eu.cart', 'prod-us.cart']);
    for (const event of promoted) {
      assert.equal(event.data.version, '1.4.0');
      assert.equal(event.data.previous?.version, '1.3.2');
      assert.deepEqual(event.data.commit.author, { name: 'Grace Hopper', email: 'grace@example.com' });
      assert.equal(event.data.commit.sha, promote);
      assert.equal(event.data.commit.message, 'promote cart 1.4.0 to prod\n');
    }
    const afterPromote = await h.desiredRevisions();
    for (const key of ALL_PAIRS) {
      if (key === 'prod-eu.cart' || key === 'prod-us.cart') assert.notEqual(afterPromote[key], before[key], key);
      else assert.equal(afterPromote[key], before[key], `${key} must not be rewritten`);
    }
    assert.equal(pick(deployment(await desired(h, 'prod-us.cart')), 'spec.template.spec.containers.0.image'), 'ghcr.io/driftless-demo/cart:1.4.0');

    // A no-op commit publishes nothing at all.
    const stored = await storedEventCount(h);
    const seen = h.events.length;
    h.repo.write({ 'README.md': 'only docs changed\n' });
    h.repo.commit('docs only');
    const noop = await syncOf(watcher).sync();
    assert.ok(noop.kind === 'published' && noop.commits.every((c) => c.puts === 0 && c.removals === 0 && c.failures === 0));
    assert.equal(await storedEventCount(h), stored);
    assert.equal(h.events.length, seen);
    assert.deepEqual(await h.desiredRevisions(), afterPromote);

    // Taking prod away from candystore removes its prod-us pairs (prod-eu stays through hipsterstore).
    const driftless = h.repo.git('show', 'HEAD:driftless.yaml').replace('clusters: { stages: [dev, test, prod] }', 'clusters: { stages: [dev, test] }');
    h.repo.write({ 'driftless.yaml': `${driftless}\n` });
    h.repo.commit('candystore leaves prod');
    await syncOf(watcher).sync();
    const removed = h.eventsOf('driftless.desired.removed.v1');
    assert.deepEqual(removed.map((e) => `${e.data.cluster}.${e.data.component}`).sort(), ['prod-us.cart', 'prod-us.payment', 'prod-us.shipping']);
    assert.equal(removed.find((e) => e.data.component === 'payment')?.data.previous.version, '3.0.3');
    assert.equal(await desired(h, 'prod-us.cart'), undefined);
    assert.deepEqual((await desired(h, 'prod-eu.cart'))?.apps, ['candystore', 'hipsterstore'], 'an apps-only change is not re-published');
  });

  it('processes commits that arrived together one by one, each attributed to its own commit', async () => {
    const watcher = await h.watcher({ holderId: 'watcher-1' });
    await syncOf(watcher).sync();
    const count = h.eventsOf('driftless.desired.changed.v1').length;
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.3.0\npayment: 3.2.0\n' });
    const a = h.repo.commit('cart 1.6.0 to dev', { author: { name: 'A', email: 'a@example.com' } });
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.4.0\npayment: 3.2.0\n' });
    const b = h.repo.commit('shipping 2.4.0 to dev', { author: { name: 'B', email: 'b@example.com' } });
    const outcome = await syncOf(watcher).sync();
    assert.ok(outcome.kind === 'published');
    assert.deepEqual(outcome.commits.map((c) => c.sha), [a, b]);
    const latest = h.eventsOf('driftless.desired.changed.v1').slice(count);
    assert.deepEqual(latest.map((e) => [e.data.component, e.data.commit.sha]), [['cart', a], ['shipping', b]]);
  });

  it('puts manifests larger than the inline limit in the object store by content hash', async () => {
    const watcher = await h.watcher({ holderId: 'watcher-1', settings: { maxInlineManifestBytes: 0 } });
    h.repo.write({ 'versions/test.yaml': 'cart: 1.4.1\nshipping: 2.2.1\npayment: 3.1.0\n' });
    h.repo.commit('cart 1.4.1 to test');
    await syncOf(watcher).sync();
    const state = await desired(h, 'test-1.cart');
    assert.ok(state && 'objectStore' in state.manifests);
    assert.equal(state.manifests.name, state.hash);
    assert.equal(state.manifests.objectCount, 4);
    const blob = await h.nats.manifests.getBlob(state.manifests.name);
    assert.ok(blob);
    const objects = JSON.parse(new TextDecoder().decode(blob)) as Record<string, unknown>[];
    assert.equal(pick(objects.find((o) => o['kind'] === 'Deployment'), 'spec.template.spec.containers.0.image'), 'ghcr.io/driftless-demo/cart:1.4.1');
  });
});

describe('repo-watcher with bad repositories', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ label: 'rw-bad' });
  });
  after(async () => h.close());

  const cases: { name: string; apply: (h: Harness) => void; reason: RegExp; file?: RegExp; isLineExpected?: boolean; pairs?: number }[] = [
    { name: 'invalid YAML', apply: (x) => x.repo.write({ 'driftless.yaml': 'apiVersion: driftless.dev/v1alpha1\nkind: Environment\nstages: [dev, test\n' }), reason: /./, file: /^driftless\.yaml$/, isLineExpected: true },
    {
      name: 'unknown variable',
      apply: (x) => x.repo.write({ 'components/cart/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  X: ${values.doesNotExist}\n' }),
      reason: /values\.doesNotExist/,
      file: /^components\/cart\/extra\.yaml$/,
      isLineExpected: true,
      pairs: 4,
    },
    { name: 'symlink escape', apply: (x) => x.repo.symlink('components/cart/evil.yaml', '../../../../../etc/passwd'), reason: /symbolic link/, file: /components\/cart\/evil\.yaml/, pairs: 4 },
    { name: 'huge file', apply: (x) => x.repo.write({ 'components/shipping/huge.yaml': `# ${'x'.repeat(2 * 1024 * 1024)}\n` }), reason: /limit|too large|bytes/i, file: /components\/shipping\/huge\.yaml/, pairs: 4 },
    {
      name: 'YAML alias bomb',
      apply: (x) =>
        x.repo.write({
          'components/payment/bomb.yaml': [
            'apiVersion: v1', 'kind: ConfigMap', 'metadata: { name: bomb }', 'data:',
            '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
            '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
            '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]', '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]', '  g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]', '',
          ].join('\n'),
        }),
      reason: /alias/i,
      file: /components\/payment\/bomb\.yaml/,
      pairs: 4,
    },
    {
      name: 'missing component folder',
      apply: (x) => x.repo.write({ 'driftless.yaml': `${x.repo.git('show', 'HEAD:driftless.yaml').replace('path: components/shipping', 'path: components/shiping')}\n` }),
      reason: /components\/shiping/,
      pairs: 4,
    },
  ];

  it('publishes a clear render.failed for each, changes no published state, and recovers on the next good commit', async () => {
    const watcher = await h.watcher();
    await syncOf(watcher).sync();
    const good = h.repo.head();
    const published = await h.desiredRevisions();
    assert.equal(Object.keys(published).length, 12);
    for (const c of cases) {
      const failuresBefore = h.eventsOf('driftless.render.failed.v1').length;
      const changedBefore = h.eventsOf('driftless.desired.changed.v1').length;
      c.apply(h);
      const bad = h.repo.commit(`break: ${c.name}`);
      const outcome = await syncOf(watcher).sync();
      assert.equal(outcome.kind, 'published', c.name);
      await eventually(() => h.eventsOf('driftless.render.failed.v1').length > failuresBefore, { what: `render.failed for ${c.name}` });
      const failures = h.eventsOf('driftless.render.failed.v1').slice(failuresBefore);
      assert.equal(failures.length, c.pairs ?? 1, `${c.name}: ${failures.map((f) => f.data.reason).join(' | ')}`);
      for (const failure of failures) {
        assert.equal(failure.data.commit.sha, bad, c.name);
        assert.match(failure.data.reason, c.reason, c.name);
        if (c.file) assert.match(failure.data.file ?? '', c.file, `${c.name}: file`);
        if (c.isLineExpected) assert.ok((failure.data.line ?? 0) >= 1, `${c.name}: line`);
      }
      assert.equal(h.eventsOf('driftless.desired.changed.v1').length, changedBefore, `${c.name}: nothing else published`);
      assert.deepEqual(await h.desiredRevisions(), published, `${c.name}: published state unchanged`);
      // Back to the good content: nothing to publish, since the published state never moved.
      h.repo.git('read-tree', '-u', '--reset', good);
      h.repo.commit(`fix: ${c.name}`);
      const fixed = await syncOf(watcher).sync();
      assert.ok(fixed.kind === 'published' && fixed.commits.every((x) => x.puts === 0 && x.removals === 0 && x.failures === 0), c.name);
    }
  });
});

describe('repo-watcher restart, lease and rewrites', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ label: 'rw-lease', leaseTtlMs: 2_000 });
  });
  after(async () => h.close());

  it('resumes after a restart without publishing anything twice', async () => {
    const first = await h.watcher({ holderId: 'pod-a' });
    await syncOf(first).sync();
    const stored = await storedEventCount(h);
    const seen = h.events.length;
    await first.stop();
    const restarted = await h.watcher({ holderId: 'pod-a-restarted' });
    const outcome = await syncOf(restarted).sync();
    assert.equal(outcome.kind, 'unchanged');
    assert.equal(h.events.length, seen);
    assert.equal(await storedEventCount(h), stored);
    h.repo.write({ 'versions/test.yaml': 'cart: 1.4.0\nshipping: 2.2.1\npayment: 3.1.1\n' });
    h.repo.commit('payment 3.1.1 to test');
    await syncOf(restarted).sync();
    assert.deepEqual(h.events.slice(seen).map((e) => e.subject.split('.').slice(3, 5).join('.')), ['test-1.payment']);
    await restarted.stop();
  });

  it('lets only the lease holder publish; another watcher takes over when the lease expires', async () => {
    const a = await h.watcher({ holderId: 'pod-a' });
    const b = await h.watcher({ holderId: 'pod-b' });
    assert.equal((await syncOf(a).sync()).kind, 'unchanged');
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.5.1\nshipping: 2.3.0\npayment: 3.2.0\n' });
    const sha = h.repo.commit('cart 1.5.1 to dev');
    const seen = h.events.length;
    assert.equal((await syncOf(b).sync()).kind, 'not-leader');
    assert.equal(h.events.length, seen, 'the second watcher published nothing');
    // pod-a dies without releasing its lease: pod-b takes over once it expires, and publishes once.
    const outcome = await eventually(async () => {
      const result = await syncOf(b).sync();
      return result.kind === 'not-leader' ? undefined : result;
    }, { timeoutMs: 20_000, intervalMs: 250, what: 'pod-b to take over the lease' });
    assert.equal(outcome.kind, 'published');
    const fresh = h.eventsOf('driftless.desired.changed.v1').filter((e) => e.data.commit.sha === sha);
    assert.deepEqual(fresh.map((e) => `${e.data.cluster}.${e.data.component}`), ['dev-1.cart']);
    assert.equal((await syncOf(a).sync()).kind, 'not-leader', 'the old holder cannot publish any more');
    await b.stop();
  });

  it('announces a force-push before publishing anything from the older commit', async () => {
    const watcher = await h.watcher({ holderId: 'pod-c' });
    await eventually(async () => ((await syncOf(watcher).sync()).kind === 'not-leader' ? undefined : true), { timeoutMs: 20_000, intervalMs: 250, what: 'lease' });
    const base = h.repo.head();
    h.repo.write({ 'versions/dev.yaml': 'cart: 9.9.9\nshipping: 2.3.0\npayment: 3.2.0\n' });
    const mistake = h.repo.commit('oops');
    await syncOf(watcher).sync();
    assert.equal((await desired(h, 'dev-1.cart'))?.version, '9.9.9');
    const seen = h.events.length;
    h.repo.resetAndForcePush(base);
    const outcome = await syncOf(watcher).sync();
    assert.ok(outcome.kind === 'published' && outcome.move === 'rewound');
    const after = h.events.slice(seen);
    assert.equal(after[0]?.type, 'driftless.repo.rewritten.v1');
    assert.ok(after[0]?.type === 'driftless.repo.rewritten.v1');
    assert.equal(after[0].data.fromSha, mistake);
    assert.equal(after[0].data.toSha, base);
    assert.match(after[0].data.reason, /rewind/);
    assert.deepEqual(after.slice(1).map((e) => e.type), ['driftless.desired.changed.v1']);
    assert.equal((await desired(h, 'dev-1.cart'))?.version, '1.5.1');

    // A rewritten history (not an ancestor either way) is a force-push.
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.5.2\nshipping: 2.3.0\npayment: 3.2.0\n' });
    h.repo.commit('cart 1.5.2 to dev');
    await syncOf(watcher).sync();
    h.repo.resetAndForcePush(base);
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.5.3\nshipping: 2.3.0\npayment: 3.2.0\n' });
    h.repo.commit('cart 1.5.3 to dev, rewritten');
    const forced = await syncOf(watcher).sync();
    assert.ok(forced.kind === 'published' && forced.move === 'force-pushed');
    assert.equal(h.eventsOf('driftless.repo.rewritten.v1').length, 2);
    await watcher.stop();
  });
});
