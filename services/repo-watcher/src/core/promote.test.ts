import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidInputError, NotFoundError, type PromoteRequest } from '@driftless/contracts';
import { loadEnvironment, memoryReader, renderPlacements, type Environment } from '@driftless/envrepo';
import { filesToRead, resolvePromotion } from './promote-edits.js';
import { checkMessageFields, promotionIdOf, promotionMessage } from './promote-message.js';
import { overlayReader } from './promote-overlay.js';
import { pairsToRender, planPromotion } from './promote-plan.js';

const ENVIRONMENT = `apiVersion: driftless.dev/v1alpha1
kind: Environment
stages: [dev, test, prod]
clusters:
  dev-1: { stage: dev }
  test-1: { stage: test }
  prod-eu: { stage: prod, labels: { region: eu } }
  prod-us: { stage: prod, labels: { region: us } }
components:
  cart: { path: components/cart }
  search: { path: components/search }
apps:
  shop:
    components: [cart]
    clusters: { stages: [dev, test, prod] }
  finder:
    components: [search]
    clusters: { names: [dev-1, test-1, prod-us] }
    overrides:
      search: { version: "0.9.0" }
`;

const CART = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-${version}\n  namespace: shop\ndata:\n  version: ${version}\n';
const SEARCH = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: search\n  namespace: shop\n';

function repo(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'driftless.yaml': ENVIRONMENT,
    'components/cart/cm.yaml': CART,
    'components/search/cm.yaml': SEARCH,
    'versions/dev.yaml': 'cart: 1.2.0\nsearch: 1.0.0\n',
    'versions/test.yaml': '# test\ncart: 1.1.0\nsearch: 1.0.0\n',
    'versions/prod.yaml': '# prod\ncart: 1.0.0\nsearch: 1.0.0\n',
    ...extra,
  };
}

const request = (overrides: Partial<PromoteRequest> = {}): PromoteRequest => ({
  op: 'plan',
  promotionId: 'p-1',
  kind: 'promote',
  repo: 'envs',
  stage: 'prod',
  components: [{ component: 'cart' }],
  requester: { name: 'Grace Hopper', email: 'grace@example.com' },
  ...overrides,
});

async function resolve(req: PromoteRequest, files = repo()) {
  const model = await loadEnvironment(memoryReader(files));
  const texts = new Map(filesToRead(model, req.stage).map((path) => [path, files[path]] as const));
  return { model, resolved: resolvePromotion(req, model, texts), files };
}

describe('resolvePromotion', () => {
  it('takes the version at the previous stage and edits one line of the stage file', async () => {
    const { resolved } = await resolve(request());
    assert.equal(resolved.previousStage, 'test');
    assert.deepEqual(resolved.components, [{ component: 'cart', version: '1.1.0', currentVersion: '1.0.0', previousStageVersion: '1.1.0' }]);
    assert.deepEqual([...resolved.edits], [['versions/prod.yaml', '# prod\ncart: 1.1.0\nsearch: 1.0.0\n']]);
  });

  it('takes a named version, even one no stage has', async () => {
    const { resolved } = await resolve(request({ components: [{ component: 'cart', version: 'sha-abc' }] }));
    assert.equal(resolved.components[0]?.version, 'sha-abc');
  });

  it('refuses what it cannot do, with the reason', async () => {
    await assert.rejects(resolve(request({ stage: 'dev' })), (err: Error) => err instanceof InvalidInputError && err.message === 'dev has no previous stage: name a version');
    await assert.rejects(resolve(request({ stage: 'qa' })), (err: Error) => err instanceof NotFoundError && /stage qa is not in driftless.yaml \(stages: dev, test, prod\)/.test(err.message));
    await assert.rejects(resolve(request({ components: [{ component: 'basket' }] })), (err: Error) => err instanceof NotFoundError && /components: cart, search/.test(err.message));
    await assert.rejects(resolve(request({ components: [{ component: 'cart' }, { component: 'cart' }] })), /cart is named twice/);
    await assert.rejects(resolve(request({ components: [{ component: 'cart', version: '-1' }] })), /version "-1" of cart is not valid/);
    await assert.rejects(resolve(request(), repo({ 'versions/test.yaml': 'search: 1.0.0\n' })), /component cart has no version at test \(versions\/test.yaml\): name a version/);
    await assert.rejects(resolve(request({ clusters: ['dev-1'] })), /cluster dev-1 is at stage dev, not prod/);
    await assert.rejects(resolve(request({ clusters: ['nowhere'] })), NotFoundError);
  });

  it('pins only the named clusters, creating the pin file, and only for components they run', async () => {
    const { resolved } = await resolve(request({ components: [{ component: 'cart' }, { component: 'search' }], clusters: ['prod-eu'] }));
    // search does not run on prod-eu: no pin for it there.
    assert.deepEqual([...resolved.edits], [['versions/clusters/prod-eu.yaml', 'cart: 1.1.0\n']]);
  });

  it('drops pins equal to the promoted version with the stage commit, deleting a pin file left empty, keeping other pins', async () => {
    const files = repo({ 'versions/clusters/prod-eu.yaml': 'cart: 1.1.0\n', 'versions/clusters/prod-us.yaml': '# hold\ncart: 0.9.0\nsearch: 1.0.1\n' });
    const { resolved } = await resolve(request(), files);
    assert.deepEqual(
      [...resolved.edits].sort(),
      [
        ['versions/clusters/prod-eu.yaml', null],
        ['versions/prod.yaml', '# prod\ncart: 1.1.0\nsearch: 1.0.0\n'],
      ],
    );
  });

  it('has no edits when everything is already there', async () => {
    const { resolved } = await resolve(request({ components: [{ component: 'search', version: '1.0.0' }] }));
    assert.equal(resolved.edits.size, 0);
  });
});

describe('overlayReader', () => {
  it('shows replaced, added and deleted files, also in folder listings', async () => {
    const base = memoryReader({ 'a/x.yaml': 'x', 'a/y.yaml': 'y', 'b.yaml': 'b' });
    const reader = overlayReader(base, new Map([['a/x.yaml', 'X'], ['a/y.yaml', null], ['a/new/z.yaml', 'z'], ['c/d.yaml', 'd']]));
    const text = async (path: string) => {
      const bytes = await reader.readFile(path);
      return bytes && new TextDecoder().decode(bytes);
    };
    assert.equal(await text('a/x.yaml'), 'X');
    assert.equal(await text('a/y.yaml'), undefined);
    assert.equal(await text('b.yaml'), 'b');
    assert.deepEqual(await reader.listDir('a'), [{ name: 'new', type: 'dir' }, { name: 'x.yaml', type: 'file' }]);
    assert.deepEqual(await reader.listDir('c'), [{ name: 'd.yaml', type: 'file' }]);
    assert.deepEqual((await reader.listDir(''))?.map((e) => e.name), ['a', 'b.yaml', 'c']);
    assert.equal(await reader.listDir('nothing'), undefined);
    assert.equal(await reader.blobId?.('a/y.yaml'), undefined);
    // Git's blob id of the new content (what `git hash-object` prints for it).
    assert.equal(await reader.blobId?.('a/x.yaml'), createHash('sha1').update('blob 1\0X').digest('hex'));
    assert.notEqual(await reader.blobId?.('a/x.yaml'), await base.blobId?.('a/x.yaml'));
  });
});

describe('planPromotion', () => {
  async function plan(req: PromoteRequest, files = repo()) {
    const { model, resolved } = await resolve(req, files);
    const base = memoryReader(files);
    const edited = overlayReader(base, resolved.edits);
    const after: Environment = await loadEnvironment(edited);
    return planPromotion({
      repo: 'envs',
      baseSha: 'a'.repeat(40),
      resolved,
      before: model,
      after,
      renderedBefore: await renderPlacements(model, base, pairsToRender(model.placements, resolved)),
      renderedAfter: await renderPlacements(after, edited, pairsToRender(after.placements, resolved)),
      gates: { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false },
    });
  }

  it('lists changes with prunes, and unchanged pairs held by an app override', async () => {
    const result = await plan(request({ components: [{ component: 'cart' }, { component: 'search', version: '1.1.0' }] }));
    assert.deepEqual(
      result.changes.map((c) => [c.cluster, c.component, c.fromVersion, c.toVersion, c.objects, c.prunes.map((p) => p.name)]),
      [
        ['prod-eu', 'cart', '1.0.0', '1.1.0', 1, ['cart-1.0.0']],
        ['prod-us', 'cart', '1.0.0', '1.1.0', 1, ['cart-1.0.0']],
      ],
    );
    assert.deepEqual(result.unchanged, [{ cluster: 'prod-us', component: 'search', reason: 'held at 0.9.0 by apps.finder.overrides.search.version in driftless.yaml' }]);
    assert.deepEqual(result.previousStageClusters, [
      { cluster: 'test-1', component: 'cart' },
      { cluster: 'test-1', component: 'search' },
    ]);
  });

  it('refuses a promotion that would leave a pair unable to render', async () => {
    const files = repo({ 'components/cart/cm.yaml': CART.replace('${version}', '${version}-${values.missing}') });
    await assert.rejects(plan(request(), files), (err: Error) => err instanceof InvalidInputError && /the promotion would not render: cart on prod-eu/.test(err.message));
  });
});

describe('promotion messages', () => {
  const components = [
    { component: 'cart', version: '1.4.0', currentVersion: null, previousStageVersion: null },
    { component: 'payment', version: '3.1.0', currentVersion: null, previousStageVersion: null },
  ];

  it('says what moved where, then the trailers', () => {
    assert.equal(promotionMessage(request(), components.slice(0, 1), undefined), 'promote cart 1.4.0 to prod\n\nPromotion: p-1\nRequested-by: Grace Hopper <grace@example.com>\n');
    assert.equal(promotionMessage(request({ kind: 'rollback' }), components, undefined).split('\n')[0], 'rollback cart to 1.4.0, payment to 3.1.0 on prod');
    assert.equal(promotionMessage(request(), components, ['prod-eu', 'prod-us']).split('\n')[0], 'promote cart 1.4.0, payment 3.1.0 to prod (clusters: prod-eu, prod-us)');
    assert.equal(promotionMessage(request({ wave: 2, waves: 3 }), components.slice(0, 1), ['prod-2']).split('\n')[0], 'promote cart 1.4.0 to prod (wave 2 of 3: prod-2)');
    assert.match(promotionMessage(request({ reason: ' two\n lines ' }), components, undefined), /\nReason: two lines\n$/);
  });

  it('finds the promotion id in a message', () => {
    assert.equal(promotionIdOf(promotionMessage(request({ promotionId: 'abc-123' }), components, undefined)), 'abc-123');
    assert.equal(promotionIdOf('fix a typo\n'), undefined);
  });

  it('refuses ids and identities that would break the message', () => {
    assert.throws(() => checkMessageFields(request({ promotionId: 'a\nRequested-by: x' })), /promotionId contains a line break/);
    assert.throws(() => checkMessageFields(request({ requester: { name: 'Eve <eve@x>', email: 'eve@example.com' } })), /requester.name contains "<" or ">"/);
    assert.throws(() => checkMessageFields(request({ requester: { name: ' ', email: 'eve@example.com' } })), /requester.name is empty/);
    checkMessageFields(request());
  });
});
