import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { GitSource } from './ports.js';
import { createHarness, REPO, syncOf, type Harness } from './testing/harness.js';
import type { Watcher } from './watcher.js';

const SECRET = 'hook-secret';
const push = (branch = 'main') => JSON.stringify({ ref: `refs/heads/${branch}`, after: 'x'.repeat(40) });
const githubHeaders = (body: string, secret = SECRET) => ({
  'content-type': 'application/json',
  'x-github-event': 'push',
  'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
});

describe('repo-watcher HTTP: webhooks, health, metrics', () => {
  let h: Harness;
  let watcher: Watcher;
  let fetches = 0;
  let settleGate: { promise: Promise<void>; release: () => void };
  const newGate = () => {
    let release!: () => void;
    const promise = new Promise<void>((resolve) => (release = resolve));
    return { promise, release };
  };

  before(async () => {
    h = await createHarness({ label: 'rw-http' });
    settleGate = newGate();
    watcher = await h.watcher({
      settings: { maxBodyBytes: 4096 },
      // Counting fetches, and holding a scheduled sync until the test releases it, makes "a burst is one fetch" exact.
      wrapGit: (_repo, git): GitSource => ({
        ...bind(git),
        fetch: async (options) => {
          fetches += 1;
          await git.fetch(options);
        },
      }),
      settle: () => settleGate.promise,
    });
  });
  after(async () => h.close());

  it('answers health and, once synced, readiness', async () => {
    assert.equal((await watcher.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const notReady = await watcher.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.equal(notReady.json().repos[0].hasSynced, false);
    await syncOf(watcher).sync();
    const ready = await watcher.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().repos[0].lastCommitSha, h.repo.head());
  });

  it('accepts a signed push (GitHub, Gitea, GitLab) and syncs the new commit', async () => {
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.5.1\nshipping: 2.3.0\npayment: 3.2.0\n' });
    const sha = h.repo.commit('cart 1.5.1 to dev');
    const body = push();
    const response = await watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(body), payload: body });
    assert.equal(response.statusCode, 202);
    assert.deepEqual(response.json(), { status: 'accepted' });
    settleGate.release();
    await watcher.whenIdle(REPO);
    assert.ok(h.eventsOf('driftless.desired.changed.v1').some((e) => e.data.commit.sha === sha && e.data.cluster === 'dev-1' && e.data.component === 'cart'));

    settleGate = newGate();
    const gitea = await watcher.app.inject({
      method: 'POST',
      url: `/webhooks/gitea/${REPO}`,
      headers: { 'content-type': 'application/json', 'x-gitea-event': 'push', 'x-gitea-signature': createHmac('sha256', SECRET).update(body).digest('hex') },
      payload: body,
    });
    assert.equal(gitea.statusCode, 202);
    const gitlab = await watcher.app.inject({ method: 'POST', url: `/webhooks/gitlab/${REPO}`, headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, payload: body });
    assert.equal(gitlab.statusCode, 202);
    const otherBranch = push('feature');
    const ignored = await watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(otherBranch), payload: otherBranch });
    assert.equal(ignored.json().status, 'ignored');
    settleGate.release();
    await watcher.whenIdle(REPO);
  });

  it('refuses a bad or missing signature with 401 and never fetches for it', async () => {
    const before = fetches;
    const body = push();
    const wrong = await watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(body, 'not-the-secret'), payload: body });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'unauthorized');
    const tampered = await watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(body), payload: body.replace('main', 'mainx') });
    assert.equal(tampered.statusCode, 401);
    const missing = await watcher.app.inject({ method: 'POST', url: `/webhooks/gitlab/${REPO}`, headers: { 'content-type': 'application/json' }, payload: body });
    assert.equal(missing.statusCode, 401);
    const unknownRepo = await watcher.app.inject({ method: 'POST', url: '/webhooks/github/nope', headers: githubHeaders(body), payload: body });
    assert.equal(unknownRepo.statusCode, 404);
    const unknownProvider = await watcher.app.inject({ method: 'POST', url: `/webhooks/bitbucket/${REPO}`, headers: githubHeaders(body), payload: body });
    assert.equal(unknownProvider.statusCode, 404);
    settleGate.release();
    await watcher.whenIdle(REPO);
    assert.equal(fetches, before);
  });

  it('refuses an oversized body with 413 before verifying or parsing it', async () => {
    const before = fetches;
    const body = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(8192) });
    const response = await watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(body), payload: body });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().error.code, 'payload_too_large');
    await watcher.whenIdle(REPO);
    assert.equal(fetches, before);
  });

  it('coalesces a burst of webhooks into one fetch', async () => {
    settleGate = newGate();
    const before = fetches;
    const body = push();
    const responses = await Promise.all(
      Array.from({ length: 25 }, () => watcher.app.inject({ method: 'POST', url: `/webhooks/github/${REPO}`, headers: githubHeaders(body), payload: body })),
    );
    assert.ok(responses.every((r) => r.statusCode === 202));
    settleGate.release();
    await watcher.whenIdle(REPO);
    assert.equal(fetches - before, 1);
  });

  it('serves Prometheus metrics including webhook and sync counters', async () => {
    const response = await watcher.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain/);
    assert.match(response.body, /driftless_repo_watcher_webhooks_total\{[^}]*result="unauthorized"[^}]*\} [1-9]/);
    assert.match(response.body, /driftless_repo_watcher_syncs_total\{[^}]*outcome="published"/);
  });
});

/** The GitSource methods bound to their object, so a spread copy still works. */
function bind(git: GitSource): GitSource {
  return {
    fetch: (o) => git.fetch(o),
    resolveBranch: (b) => git.resolveBranch(b),
    hasCommit: (s) => git.hasCommit(s),
    readCommit: (s) => git.readCommit(s),
    reader: (s, l) => git.reader(s, l),
    changedPaths: (a, b) => git.changedPaths(a, b),
    isAncestor: (a, b) => git.isAncestor(a, b),
    commitsBetween: (a, b, n) => git.commitsBetween(a, b, n),
  };
}
