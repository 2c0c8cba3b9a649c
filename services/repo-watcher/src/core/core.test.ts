import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Coalescer } from './coalescer.js';
import { BranchMove, classifyMove, isRewrite } from './history.js';
import { planPublish } from './plan.js';
import { forEachBounded } from './pool.js';
import type { RenderedPair } from './render-result.js';
import { parsePushNotice, verifyWebhook } from './webhook.js';

const h = (c: string) => `sha256:${c.repeat(64)}`;
const options = { isDriftCorrectionEnabled: true, maxPruneShare: 0.5, isNamespacePruneAllowed: false };
const pair = (cluster: string, component: string, hash: string, version = '1.0.0'): RenderedPair => ({
  cluster,
  component,
  stage: 'dev',
  apps: ['shop'],
  version,
  objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: component } }],
  hash,
  options,
});

describe('planPublish', () => {
  const previous = { 'dev-1.cart': { version: '1.0.0', hash: h('a') }, 'dev-1.payment': { version: '1.0.0', hash: h('b') }, 'dev-1.old': { version: '0.1.0', hash: h('c') } };

  it('puts only what changed and removes what is no longer placed', () => {
    const plan = planPublish(previous, { pairs: [pair('dev-1', 'cart', h('a')), pair('dev-1', 'payment', h('d'), '1.1.0'), pair('dev-1', 'new', h('e'))], failures: [] });
    assert.deepEqual(
      plan.puts.map((p) => [p.key, p.previous]),
      [
        ['dev-1.new', null],
        ['dev-1.payment', { version: '1.0.0', hash: h('b') }],
      ],
    );
    assert.deepEqual(plan.removals.map((r) => [r.key, r.previous.version]), [['dev-1.old', '0.1.0']]);
    assert.deepEqual(Object.keys(plan.nextEntries).sort(), ['dev-1.cart', 'dev-1.new', 'dev-1.payment']);
    assert.equal(plan.nextEntries['dev-1.payment']?.hash, h('d'));
  });

  it('publishes nothing for an identical render', () => {
    const plan = planPublish(previous, { pairs: [pair('dev-1', 'cart', h('a')), pair('dev-1', 'payment', h('b')), pair('dev-1', 'old', h('c'), '0.1.0')], failures: [] });
    assert.equal(plan.puts.length + plan.removals.length, 0);
  });

  it('keeps the last good state of whatever failed: a pair, a cluster, or everything', () => {
    const pairFailure = planPublish(previous, { pairs: [pair('dev-1', 'cart', h('a'))], failures: [{ cluster: 'dev-1', component: 'payment', reason: 'x' }] });
    assert.deepEqual(pairFailure.removals.map((r) => r.key), ['dev-1.old']);
    assert.equal(pairFailure.nextEntries['dev-1.payment']?.hash, h('b'));
    const clusterFailure = planPublish(previous, { pairs: [], failures: [{ cluster: 'dev-1', reason: 'x' }] });
    assert.equal(clusterFailure.removals.length, 0);
    const global = planPublish(previous, { pairs: [], failures: [{ file: 'driftless.yaml', line: 3, reason: 'bad' }] });
    assert.equal(global.removals.length, 0);
    assert.deepEqual(global.nextEntries, previous);
  });
});

describe('classifyMove', () => {
  const base = { previousSha: 'a', headSha: 'b', hasPrevious: true, isPreviousAncestorOfHead: false, isHeadAncestorOfPrevious: false };
  it('tells a fast-forward from a rewind and a force-push', () => {
    assert.equal(classifyMove({ ...base, previousSha: undefined }), BranchMove.first);
    assert.equal(classifyMove({ ...base, headSha: 'a' }), BranchMove.unchanged);
    assert.equal(classifyMove({ ...base, isPreviousAncestorOfHead: true }), BranchMove.fastForward);
    assert.equal(classifyMove({ ...base, isHeadAncestorOfPrevious: true }), BranchMove.rewound);
    assert.equal(classifyMove(base), BranchMove.forcePushed);
    assert.equal(classifyMove({ ...base, hasPrevious: false }), BranchMove.previousMissing);
    assert.equal(isRewrite(BranchMove.fastForward), false);
    assert.equal(isRewrite(BranchMove.rewound), true);
  });
});

describe('webhook verification', () => {
  const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main' }));
  const hmac = (secret: string) => createHmac('sha256', secret).update(body).digest('hex');

  it('accepts the right GitHub, Gitea and GitLab proofs and nothing else', () => {
    assert.equal(verifyWebhook('github', { 'x-hub-signature-256': `sha256=${hmac('s3cret')}` }, body, 's3cret'), true);
    assert.equal(verifyWebhook('github', { 'x-hub-signature-256': `sha256=${hmac('other')}` }, body, 's3cret'), false);
    assert.equal(verifyWebhook('github', {}, body, 's3cret'), false);
    assert.equal(verifyWebhook('gitea', { 'x-gitea-signature': hmac('s3cret') }, body, 's3cret'), true);
    assert.equal(verifyWebhook('gitea', { 'x-gitea-signature': hmac('s3cret') }, Buffer.from(`${body.toString()} `), 's3cret'), false);
    assert.equal(verifyWebhook('gitlab', { 'x-gitlab-token': 's3cret' }, body, 's3cret'), true);
    assert.equal(verifyWebhook('gitlab', { 'x-gitlab-token': 's3cre' }, body, 's3cret'), false);
    assert.equal(verifyWebhook('gitlab', { 'x-gitlab-token': '' }, body, ''), false);
  });

  it('reads the pushed branch, ignores other events and refs, and refuses non-JSON', () => {
    assert.deepEqual(parsePushNotice('github', { 'x-github-event': 'push' }, body), { kind: 'push', branch: 'main' });
    assert.equal(parsePushNotice('github', { 'x-github-event': 'ping' }, body).kind, 'ignored');
    assert.equal(parsePushNotice('gitlab', { 'x-gitlab-event': 'Push Hook' }, Buffer.from('{"ref":"refs/tags/v1"}')).kind, 'ignored');
    const form = Buffer.from(`payload=${encodeURIComponent('{"ref":"refs/heads/dev"}')}`);
    assert.deepEqual(parsePushNotice('github', { 'content-type': 'application/x-www-form-urlencoded' }, form), { kind: 'push', branch: 'dev' });
    assert.throws(() => parsePushNotice('gitea', {}, Buffer.from('{not json')), /not JSON/);
  });
});

describe('Coalescer', () => {
  it('turns a burst into one run and a trigger during a run into exactly one more', async () => {
    const runs: string[] = [];
    let releaseSettle!: () => void;
    let releaseRun!: () => void;
    const coalescer = new Coalescer({
      settle: () => new Promise<void>((resolve) => (releaseSettle = resolve)),
      run: async (key) => {
        runs.push(key);
        await new Promise<void>((resolve) => (releaseRun = resolve));
      },
      onError: () => undefined,
    });
    for (let i = 0; i < 20; i++) coalescer.request('envs');
    await new Promise((resolve) => setImmediate(resolve));
    releaseSettle();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(runs, ['envs']);
    for (let i = 0; i < 5; i++) coalescer.request('envs');
    releaseRun();
    await new Promise((resolve) => setImmediate(resolve));
    releaseSettle();
    await new Promise((resolve) => setImmediate(resolve));
    releaseRun();
    await coalescer.whenIdle('envs');
    assert.deepEqual(runs, ['envs', 'envs']);
  });
});

describe('forEachBounded', () => {
  it('never has more than the bound in flight and reports the first failure', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const done: number[] = [];
    await forEachBounded([...Array(50).keys()], 4, async (i) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      done.push(i);
    });
    assert.equal(maxInFlight, 4);
    assert.equal(done.length, 50);
    await assert.rejects(
      forEachBounded([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('boom');
        await Promise.resolve();
      }),
      /boom/,
    );
  });
});
