import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deterministicId, makeEvent, subjects, type DesiredState, type DriftlessEvent } from '@driftless/contracts';
import { cleanupKeys, gpgTestKey, keyFolder, signCommitsWith, sshTestKey, type TestGpgKey, type TestSshKey } from '@driftless/git/signature-testing';
import { eventually } from '@driftless/testkit';
import { NatsEventSink } from './adapters/nats-event-sink.js';
import { NatsCheckpointStore } from './adapters/nats-checkpoint-store.js';
import { KvOwnCommits } from './own-commits.js';
import { approvalsDurable } from './policy-approvals.js';
import { createHarness, REPO, syncOf, type Harness } from './testing/harness.js';
import type { Watcher } from './watcher.js';

const LEAD = { name: 'Pat Lead', email: 'platform-lead@example.com' };
const GRACE = { name: 'Grace Hopper', email: 'grace@example.com' };
const MALLORY = { name: 'Mallory', email: 'mallory@evil.org' };

function policyYaml(alice: TestSshKey, bob: TestGpgKey): string {
  return `apiVersion: driftless.dev/v1alpha1
kind: Policy
keys:
  alice: { ssh: "${alice.publicKey}" }
  bob:
    gpg: |
${bob.publicKey.trim().split('\n').map((line) => `      ${line}`).join('\n')}
stages:
  prod:
    gates: { approvals: 2 }
    changes: { authors: ["*@example.com"] }
    brake: { maxClustersChanged: 1 }
  test:
    changes: { signedBy: [alice, bob] }
paths:
  - { path: policy.yaml, authors: [platform-lead@example.com] }
`;
}

const held = (h: Harness) => h.eventsOf('driftless.change.held.v1');
/** The change.held event of a commit, once the test's subscription has it. */
const heldEventOf = (h: Harness, sha: string) => eventually(() => held(h).find((e) => e.data.commit.sha === sha), { what: `change.held of ${sha}` });
const released = (h: Harness) => h.eventsOf('driftless.change.released.v1');

/** The commits the watcher's saved state holds. */
async function heldShas(h: Harness): Promise<string[] | undefined> {
  const store = new NatsCheckpointStore({ watcherState: h.nats.watcherState, objects: h.nats.manifests, maxInlineBytes: 512 * 1024 });
  return (await store.load(REPO))?.policy?.held.map((c) => c.sha);
}

async function versionOf(h: Harness, key: string): Promise<string | undefined> {
  const entry = await h.nats.desired.get(key);
  return entry && entry.operation === 'PUT' ? entry.json<DesiredState>().version : undefined;
}

describe('repo-watcher change policy (policy.yaml) with real Git, signatures and NATS', () => {
  let h: Harness;
  let watcher: Watcher;
  let keys: string;
  let alice: TestSshKey;
  let bob: TestGpgKey;
  let stranger: TestSshKey;
  let approvalCount = 0;

  const approve = async (commitSha: string, approver: string) => {
    approvalCount += 1;
    const event: DriftlessEvent = makeEvent({
      type: 'driftless.change.approved.v1',
      source: 'driftless/audit-test',
      id: deterministicId('test-approval', commitSha, approver, approvalCount),
      subject: subjects.changeApprovals(REPO),
      data: { repo: REPO, commitSha, approver },
    });
    await new NatsEventSink(h.nats.js, h.nats.names.subjectPrefix).publish(event);
  };
  const versions = (files: Record<string, string>, author = GRACE, message = 'change versions') => {
    h.repo.write(files);
    return h.repo.commit(message, { author });
  };

  before(async () => {
    keys = keyFolder();
    alice = sshTestKey(keys, 'alice');
    bob = gpgTestKey(keys, 'bob');
    stranger = sshTestKey(keys, 'stranger');
    h = await createHarness({ label: 'rw-policy' });
    h.repo.write({ 'policy.yaml': policyYaml(alice, bob) });
    h.repo.commit('add the change policy', { author: LEAD });
    watcher = await h.watcher();
    await syncOf(watcher).sync();
  });
  after(async () => {
    await h.close();
    cleanupKeys(keys, [alice, bob, stranger]);
  });

  it('publishes everything under a policy that nothing breaks', async () => {
    assert.equal(held(h).length, 0);
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.3');
    assert.equal(await versionOf(h, 'test-1.cart'), '1.4.0');
  });

  it('holds prod for an author outside the allowed list, records why, and still publishes dev', async () => {
    const sha = versions(
      { 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.3.0\npayment: 3.2.0\n', 'versions/clusters/prod-us.yaml': 'payment: 3.0.5\n' },
      MALLORY,
      'mallory bumps dev and prod-us',
    );
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'dev-1.cart'), '1.6.0', 'dev is published');
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.3', 'prod is not');
    const event = await heldEventOf(h, sha);
    assert.deepEqual(event.data.stages, ['prod']);
    assert.equal(event.data.isApprovable, true);
    assert.deepEqual(event.data.reasons, [{ rule: 'author', stage: 'prod', message: 'author mallory@evil.org may not change stage prod (allowed authors: *@example.com)' }]);
    assert.deepEqual(event.data.clusters, { changed: 2, removed: 0 });
    assert.ok(!h.eventsOf('driftless.desired.changed.v1').some((e) => e.data.commit.sha === sha && e.data.stage === 'prod'));
  });

  it('does not let a later commit on top carry the held change out', async () => {
    const heldSha = held(h).at(-1)?.data.commit.sha;
    const sha = versions({ 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.4.0\npayment: 3.2.0\n' }, GRACE, 'shipping 2.4.0 to dev');
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'dev-1.shipping'), '2.4.0');
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.3', 'prod stays at its released commit');
    assert.deepEqual(await heldShas(h), [heldSha], 'the allowed commit is not held itself');
    assert.ok(!h.eventsOf('driftless.desired.changed.v1').some((e) => e.data.commit.sha === sha && e.data.stage === 'prod'));
  });

  it('keeps the hold across a restart and releases it once two distinct operators approve', async () => {
    const heldSha = held(h).at(-1)?.data.commit.sha ?? '';
    await watcher.stop();
    watcher = await h.watcher();
    assert.equal((await syncOf(watcher).sync()).kind, 'unchanged');
    assert.deepEqual(await heldShas(h), [heldSha]);

    await approve(heldSha, 'olivia');
    await approve(heldSha, 'olivia');
    await approve('0'.repeat(40), 'olivia');
    // One approver, counted once, is not enough for approvals: 2.
    await eventually(async () => {
      const state = (await new NatsCheckpointStore({ watcherState: h.nats.watcherState, objects: h.nats.manifests, maxInlineBytes: 512 * 1024 }).load(REPO))?.policy;
      assert.deepEqual(state?.held[0]?.approvers, ['olivia']);
      return true;
    });
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.3');
    assert.equal(released(h).length, 0);

    await approve(heldSha, 'peter');
    await eventually(() => released(h).length === 1);
    assert.deepEqual(released(h)[0]?.data, { repo: REPO, commitSha: heldSha, stages: ['prod'], approvers: ['olivia', 'peter'] });
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.5', 'the held change is published at the head');
  });

  it('holds a commit that changes more prod clusters than the brake allows, until approved', async () => {
    const sha = versions({ 'versions/prod.yaml': 'cart: 1.4.0\nshipping: 2.2.0\npayment: 3.0.4\n' }, GRACE, 'cart 1.4.0 to all of prod');
    await syncOf(watcher).sync();
    const event = await heldEventOf(h, sha);
    assert.deepEqual(event.data.reasons.map((r) => [r.rule, r.stage, r.message]), [['brake', 'prod', "on stage prod, the commit changes 2 clusters, more than the brake's maxClustersChanged of 1"]]);
    assert.equal(event.data.isApprovable, true);
    assert.equal(await versionOf(h, 'prod-eu.cart'), '1.3.2');
    await approve(sha, 'olivia');
    await approve(sha, 'peter');
    await eventually(() => released(h).at(-1)?.data.commitSha === sha);
    assert.equal(await versionOf(h, 'prod-eu.cart'), '1.4.0');
    assert.equal(await versionOf(h, 'prod-us.cart'), '1.4.0');
  });

  it('refuses an unsigned commit on a stage that requires signatures; no approval can release it', async () => {
    const before = h.repo.head();
    const sha = versions({ 'versions/test.yaml': 'cart: 1.5.0\nshipping: 2.2.1\npayment: 3.1.0\n' }, GRACE, 'unsigned cart 1.5.0 to test');
    await syncOf(watcher).sync();
    const event = await heldEventOf(h, sha);
    assert.equal(event.data.isApprovable, false);
    assert.deepEqual(event.data.reasons.map((r) => [r.rule, r.stage]), [['signature', 'test']]);
    assert.match(event.data.reasons[0]?.message ?? '', /^commit [0-9a-f]{12} by grace@example\.com is not signed; stage test needs a signature by one of alice, bob$/);
    assert.equal(await versionOf(h, 'test-1.cart'), '1.4.0');
    const releases = released(h).length;
    await approve(sha, 'olivia');
    await approve(sha, 'peter');
    // The approvals are consumed and ignored: a sync after them still finds the hold.
    await eventually(async () => {
      const info = await h.nats.jsm.consumers.info(h.nats.names.eventsStream, approvalsDurable(REPO));
      return info.num_pending + info.num_ack_pending === 0;
    });
    assert.equal(released(h).length, releases);
    assert.equal(await versionOf(h, 'test-1.cart'), '1.4.0');

    // Taking the commit out of the history (a force-push) drops the hold.
    h.repo.resetAndForcePush(before);
    await syncOf(watcher).sync();
    assert.deepEqual(await heldShas(h), []);
  });

  it('publishes test for commits validly signed with SSH and with OpenPGP, and refuses an unknown key', async () => {
    signCommitsWith(h.repo, alice);
    versions({ 'versions/test.yaml': 'cart: 1.5.0\nshipping: 2.2.1\npayment: 3.1.0\n' }, GRACE, 'cart 1.5.0 to test, signed with SSH');
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'test-1.cart'), '1.5.0');

    signCommitsWith(h.repo, bob);
    versions({ 'versions/test.yaml': 'cart: 1.5.0\nshipping: 2.3.0\npayment: 3.1.0\n' }, GRACE, 'shipping 2.3.0 to test, signed with OpenPGP');
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'test-1.shipping'), '2.3.0');

    const heldBefore = held(h).length;
    signCommitsWith(h.repo, stranger);
    const sha = versions({ 'versions/test.yaml': 'cart: 1.5.0\nshipping: 2.3.0\npayment: 3.2.0\n' }, GRACE, 'payment 3.2.0 to test, signed by a key nobody listed');
    await syncOf(watcher).sync();
    const event = await heldEventOf(h, sha);
    assert.equal(held(h).length, heldBefore + 1);
    assert.equal(event.data.isApprovable, false);
    assert.match(event.data.reasons[0]?.message ?? '', /is signed with SSH key SHA256:\S+, which is not one of the listed keys; stage test needs a signature by one of alice, bob$/);
    assert.equal(await versionOf(h, 'test-1.payment'), '3.1.0');

    // A signed revert takes the change out again: the hold is cleared and test moves on.
    signCommitsWith(h.repo, alice);
    versions({ 'versions/test.yaml': 'cart: 1.5.0\nshipping: 2.3.0\npayment: 3.1.0\n' }, GRACE, 'revert payment 3.2.0 on test');
    await syncOf(watcher).sync();
    versions({ 'versions/test.yaml': 'cart: 1.5.1\nshipping: 2.3.0\npayment: 3.1.0\n' }, GRACE, 'cart 1.5.1 to test, signed');
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'test-1.cart'), '1.5.1');
    signCommitsWith(h.repo, undefined);
  });

  it('holds a policy.yaml change by someone the old policy does not allow, on every stage', async () => {
    const relaxed = policyYaml(alice, bob).replace('brake: { maxClustersChanged: 1 }', 'brake: { maxClustersChanged: 100 }');
    h.repo.write({ 'policy.yaml': relaxed });
    const sha = h.repo.commit('relax the prod brake', { author: GRACE });
    await syncOf(watcher).sync();
    const event = await heldEventOf(h, sha);
    assert.deepEqual(event.data.stages, ['dev', 'prod', 'test']);
    assert.ok(event.data.reasons.every((r) => r.rule === 'path' && r.message.startsWith('policy.yaml may be changed only by platform-lead@example.com, not by grace@example.com')));

    // Until approved, nothing is published anywhere and the old brake still governs.
    versions({ 'versions/dev.yaml': 'cart: 1.7.0\nshipping: 2.4.0\npayment: 3.2.0\n' }, GRACE, 'cart 1.7.0 to dev');
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'dev-1.cart'), '1.6.0');
  });
});

describe('repo-watcher change policy: own commits, folded commits and a broken policy.yaml', () => {
  let h: Harness;
  let watcher: Watcher;
  const POLICY = `apiVersion: driftless.dev/v1alpha1
kind: Policy
stages:
  prod:
    changes: { authors: ["*@example.com"] }
`;

  before(async () => {
    h = await createHarness({ label: 'rw-policy-fold' });
    h.repo.write({ 'policy.yaml': POLICY });
    h.repo.commit('add the change policy', { author: LEAD });
    watcher = await h.watcher({ settings: { maxCommitsPerSync: 2 } });
    await syncOf(watcher).sync();
  });
  after(async () => h.close());

  it('exempts a commit the watcher wrote itself (a promotion) from the author rule', async () => {
    h.repo.write({ 'versions/prod.yaml': 'cart: 1.4.0\nshipping: 2.2.0\npayment: 3.0.4\n' });
    const sha = h.repo.commit('promote cart 1.4.0 to prod', { author: MALLORY, committer: { name: 'Driftless', email: 'driftless@localhost' } });
    await new KvOwnCommits(h.nats.watcherState, REPO).record(sha);
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'prod-eu.cart'), '1.4.0');
    assert.ok(!held(h).some((e) => e.data.commit.sha === sha));
  });

  it('checks the authors of commits folded into one when more arrive than a sync processes one by one', async () => {
    h.repo.write({ 'versions/clusters/prod-us.yaml': 'payment: 3.0.5\n' });
    h.repo.commit('mallory pins payment on prod-us', { author: MALLORY });
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.3.0\npayment: 3.2.0\n' });
    const folding = h.repo.commit('cart 1.6.0 to dev', { author: GRACE });
    h.repo.write({ 'versions/dev.yaml': 'cart: 1.6.0\nshipping: 2.4.0\npayment: 3.2.0\n' });
    h.repo.commit('shipping 2.4.0 to dev', { author: GRACE });
    const outcome = await syncOf(watcher).sync();
    assert.ok(outcome.kind === 'published' && outcome.commits.length === 2);
    const event = await heldEventOf(h, folding);
    assert.deepEqual(event.data.reasons, [{ rule: 'author', stage: 'prod', message: 'author mallory@evil.org may not change stage prod (allowed authors: *@example.com)' }]);
    assert.equal(await versionOf(h, 'prod-us.payment'), '3.0.3');
    assert.equal(await versionOf(h, 'dev-1.shipping'), '2.4.0');
  });

  it('publishes nothing for a commit whose own policy.yaml does not load, and resumes once it is fixed', async () => {
    h.repo.write({ 'policy.yaml': POLICY.replace('authors:', 'autors:'), 'versions/dev.yaml': 'cart: 1.7.0\nshipping: 2.4.0\npayment: 3.2.0\n' });
    const broken = h.repo.commit('typo in the policy', { author: LEAD });
    await syncOf(watcher).sync();
    const event = await heldEventOf(h, broken);
    assert.equal(event.data.isApprovable, false);
    assert.deepEqual(event.data.stages, ['dev', 'prod', 'test']);
    assert.match(event.data.reasons[0]?.message ?? '', /^the commit's policy\.yaml cannot be used, so nothing is published until a commit fixes it: policy\.yaml:5: stages\.prod\.changes\.autors: unknown field "autors" \(did you mean "authors"\?\)/);
    assert.equal(await versionOf(h, 'dev-1.cart'), '1.6.0');

    h.repo.write({ 'policy.yaml': POLICY });
    h.repo.commit('fix the policy', { author: LEAD });
    await syncOf(watcher).sync();
    assert.equal(await versionOf(h, 'dev-1.cart'), '1.7.0');
  });
});
