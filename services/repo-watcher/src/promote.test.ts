import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodePromoteReply, subjects, type DesiredState, type PromoteReply, type PromoteRequest, type PromotionPlan } from '@driftless/contracts';
import { openMirror, type GitMirror } from '@driftless/git';
import { wireSubject } from '@driftless/nats';
import { createLogger } from '@driftless/telemetry';
import { eventually } from '@driftless/testkit';
import { KvOwnCommits, MemoryOwnCommits } from './own-commits.js';
import { Promoter } from './promote.js';
import type { PromoteGit } from './ports.js';
import { createHarness, REPO, syncOf, type Harness } from './testing/harness.js';
import type { Watcher } from './watcher.js';

const GRACE = { name: 'Grace Hopper', email: 'grace@example.com' };
// The name carries the version, so a new version replaces the object: the agent prunes the old one.
const RELEASE_CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cart-release-${version}\n  namespace: ${component.name}\ndata:\n  VERSION: ${version}\n';

type Ok = Extract<PromoteReply, { ok: true }>;

function promoteRequest(overrides: Partial<PromoteRequest> = {}): PromoteRequest {
  return { op: 'plan', promotionId: `p-${Math.random().toString(36).slice(2, 10)}`, kind: 'promote', repo: REPO, stage: 'prod', components: [{ component: 'cart' }], requester: GRACE, ...overrides };
}

function ok(reply: PromoteReply): Ok {
  assert.ok(reply.ok, `expected ok, got ${reply.ok ? '' : `${reply.code}: ${reply.message}`}`);
  return reply;
}

const pairs = (plan: PromotionPlan) => plan.changes.map((c) => `${c.cluster}.${c.component}`);

describe('promotions: plan and commit over NATS', () => {
  let h: Harness;
  let watcher: Watcher;
  const origin = (...args: string[]) => h.repo.git('--git-dir', h.repo.originPath, ...args);
  const send = async (body: unknown): Promise<PromoteReply> => {
    const msg = await h.nc.request(wireSubject(subjects.promoteCommand(REPO), h.nats.names.subjectPrefix), typeof body === 'string' ? body : JSON.stringify(body), { timeout: 30_000 });
    return decodePromoteReply(msg.data);
  };
  const desiredVersion = async (key: string) => {
    const entry = await h.nats.desired.get(key);
    return entry && entry.operation === 'PUT' ? entry.json<DesiredState>().version : undefined;
  };

  before(async () => {
    h = await createHarness({ label: 'rw-promote' });
    h.repo.write({ 'components/cart/release.yaml': RELEASE_CONFIGMAP });
    h.repo.commit('cart: a release ConfigMap named after the version');
    watcher = await h.watcher();
    // The first sync takes the lease: only the lease holder answers promote requests.
    assert.equal((await syncOf(watcher).sync()).kind, 'published');
  });
  after(async () => h.close());

  it('plans one component: the version at the previous stage, the clusters it changes, objects and prunes, and commits nothing', async () => {
    const head = h.repo.head();
    const { plan, commitSha } = ok(await send(promoteRequest()));
    assert.equal(commitSha, undefined);
    assert.equal(plan.baseSha, head);
    assert.equal(plan.previousStage, 'test');
    assert.deepEqual(plan.components, [{ component: 'cart', version: '1.4.0', currentVersion: '1.3.2', previousStageVersion: '1.4.0' }]);
    assert.deepEqual(plan.clusters, [
      { name: 'prod-eu', labels: { region: 'eu' } },
      { name: 'prod-us', labels: { region: 'us' } },
    ]);
    assert.deepEqual(plan.previousStageClusters, [{ cluster: 'test-1', component: 'cart' }]);
    assert.deepEqual(pairs(plan), ['prod-eu.cart', 'prod-us.cart']);
    const [eu, us] = plan.changes;
    assert.deepEqual(eu?.apps, ['candystore', 'hipsterstore']);
    assert.deepEqual(us?.apps, ['candystore']);
    for (const change of plan.changes) {
      assert.equal(change.fromVersion, '1.3.2');
      assert.equal(change.toVersion, '1.4.0');
      assert.equal(change.objects, 5);
      assert.deepEqual(change.prunes, [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'cart', name: 'cart-release-1.3.2' }]);
    }
    assert.deepEqual(plan.unchanged, []);
    assert.deepEqual(plan.gates, { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false });
    assert.equal(origin('rev-parse', 'main'), head);
  });

  it('plans two components together, saying which pair a cluster pin holds', async () => {
    const { plan } = ok(await send(promoteRequest({ components: [{ component: 'cart' }, { component: 'payment' }] })));
    assert.deepEqual(pairs(plan), ['prod-eu.cart', 'prod-eu.payment', 'prod-us.cart']);
    assert.deepEqual(plan.changes.find((c) => c.component === 'payment'), {
      cluster: 'prod-eu',
      component: 'payment',
      apps: ['candystore', 'hipsterstore'],
      fromVersion: '3.0.4',
      toVersion: '3.1.0',
      objects: 4,
      prunes: [],
    });
    assert.deepEqual(plan.unchanged, [{ cluster: 'prod-us', component: 'payment', reason: 'pinned to 3.0.3 in versions/clusters/prod-us.yaml' }]);
    assert.deepEqual(plan.previousStageClusters, [
      { cluster: 'test-1', component: 'cart' },
      { cluster: 'test-1', component: 'payment' },
    ]);
  });

  it('refuses unknown stages, components and clusters, and requests it cannot carry out, with a clear message', async () => {
    const refused = async (request: unknown, code: string, message: RegExp) => {
      const reply = await send(request);
      assert.ok(!reply.ok, 'expected a refusal');
      assert.equal(reply.code, code, reply.message);
      assert.match(reply.message, message);
    };
    await refused(promoteRequest({ stage: 'staging' }), 'not_found', /stage staging is not in driftless.yaml \(stages: dev, test, prod\)/);
    await refused(promoteRequest({ components: [{ component: 'search' }] }), 'not_found', /component search is not in driftless.yaml/);
    await refused(promoteRequest({ stage: 'dev' }), 'invalid', /^dev has no previous stage: name a version$/);
    await refused(promoteRequest({ clusters: ['test-1'] }), 'invalid', /cluster test-1 is at stage test, not prod/);
    await refused(promoteRequest({ clusters: ['prod-mars'] }), 'not_found', /cluster prod-mars is not in driftless.yaml/);
    await refused(promoteRequest({ components: [{ component: 'cart', version: '1.4.0 beta' }] }), 'invalid', /invalid promote request: \/components\/0\/version/);
    await refused('{not json', 'invalid', /promote request is not valid JSON/);
    await refused(promoteRequest({ requester: { name: 'Eve\nPromotion: forged', email: 'eve@example.com' } }), 'invalid', /requester.name contains a line break/);
    // A version nobody has run yet is fine: it is an image tag.
    assert.equal(ok(await send(promoteRequest({ components: [{ component: 'cart', version: 'sha-0a1b2c' }] }))).plan.changes[0]?.toVersion, 'sha-0a1b2c');
  });

  it('commits one line as the requester, committed as Driftless, and the watcher publishes it right away', async () => {
    const head = h.repo.head();
    const request = promoteRequest({ op: 'commit', reason: 'Black Friday fix\nfor the cart' });
    const { commitSha, plan } = ok(await send(request));
    assert.ok(commitSha);
    assert.equal(plan.baseSha, head);
    assert.equal(origin('rev-parse', 'main'), commitSha);
    assert.equal(origin('log', '-1', '--format=%P', commitSha), head);
    assert.equal(origin('diff', '--numstat', head, commitSha), '1\t1\tversions/prod.yaml');
    assert.match(origin('diff', head, commitSha), /^-cart: 1\.3\.2\n\+cart: 1\.4\.0$/m);
    assert.equal(origin('log', '-1', '--format=%an <%ae>|%cn <%ce>', commitSha), 'Grace Hopper <grace@example.com>|Driftless <driftless@localhost>');
    assert.equal(
      origin('log', '-1', '--format=%B', commitSha),
      `promote cart 1.4.0 to prod\n\nPromotion: ${request.promotionId}\nRequested-by: Grace Hopper <grace@example.com>\nReason: Black Friday fix for the cart`,
    );
    assert.equal(await new KvOwnCommits(h.nats.watcherState, REPO).has(commitSha), true);
    // No sync was asked for: the promotion itself makes the watcher publish the new head.
    await eventually(async () => (await desiredVersion('prod-eu.cart')) === '1.4.0' && (await desiredVersion('prod-us.cart')) === '1.4.0', { what: 'prod carts at 1.4.0' });
    const changed = h.eventsOf('driftless.desired.changed.v1').filter((e) => e.data.commit.sha === commitSha);
    assert.deepEqual(changed.map((e) => `${e.data.cluster}.${e.data.component}`).sort(), ['prod-eu.cart', 'prod-us.cart']);
    assert.deepEqual(changed[0]?.data.commit.author, GRACE);

    // The same request again (a retry after a lost reply) returns the same commit, not a second one.
    const again = ok(await send(request));
    assert.equal(again.commitSha, commitSha);
    assert.equal(origin('rev-parse', 'main'), commitSha);
    // A new promotion of what is already there commits nothing and says why.
    const noop = ok(await send(promoteRequest({ op: 'commit' })));
    assert.equal(noop.commitSha, undefined);
    assert.deepEqual(noop.plan.changes, []);
    assert.deepEqual(noop.plan.unchanged.map((u) => u.reason), ['already at 1.4.0', 'already at 1.4.0']);
    assert.equal(origin('rev-parse', 'main'), commitSha);
    const metrics = await watcher.metrics.renderPrometheus();
    // The retry answered with the existing commit counts as committed too.
    assert.match(metrics, /driftless_repo_watcher_promotions_total\{[^}]*op="commit",outcome="committed"\} 2/);
    assert.match(metrics, /driftless_repo_watcher_promotions_total\{[^}]*op="commit",outcome="unchanged"\} 1/);
  });

  it('moves a version one wave of clusters at a time with pins, then drops the pins with the stage commit', async () => {
    const wave = ok(await send(promoteRequest({ op: 'commit', components: [{ component: 'payment' }], clusters: ['prod-eu'] })));
    assert.ok(wave.commitSha);
    assert.deepEqual(pairs(wave.plan), ['prod-eu.payment']);
    assert.deepEqual(wave.plan.unchanged, [{ cluster: 'prod-us', component: 'payment', reason: 'not among the clusters of this promotion (prod-eu); stays at 3.0.3' }]);
    assert.equal(origin('log', '-1', '--format=%s', wave.commitSha), 'promote payment 3.1.0 to prod (clusters: prod-eu)');
    assert.equal(origin('diff', '--name-status', `${wave.commitSha}~1`, wave.commitSha), 'A\tversions/clusters/prod-eu.yaml');
    assert.equal(origin('show', `${wave.commitSha}:versions/clusters/prod-eu.yaml`), 'payment: 3.1.0');
    await eventually(async () => (await desiredVersion('prod-eu.payment')) === '3.1.0', { what: 'prod-eu payment at 3.1.0' });

    const stage = ok(await send(promoteRequest({ op: 'commit', components: [{ component: 'payment' }] })));
    assert.ok(stage.commitSha);
    assert.equal(origin('log', '-1', '--format=%s', stage.commitSha), 'promote payment 3.1.0 to prod');
    // The wave's pin goes (it equals the stage's version now); prod-us keeps its own pin.
    assert.equal(origin('diff', '--name-status', wave.commitSha, stage.commitSha), 'D\tversions/clusters/prod-eu.yaml\nM\tversions/prod.yaml');
    assert.equal(origin('diff', '--numstat', wave.commitSha, stage.commitSha, '--', 'versions/prod.yaml'), '1\t1\tversions/prod.yaml');
    assert.equal(origin('show', `${stage.commitSha}:versions/clusters/prod-us.yaml`).includes('payment: 3.0.3'), true);
    assert.deepEqual(stage.plan.changes, []);
    assert.deepEqual(stage.plan.unchanged, [
      { cluster: 'prod-eu', component: 'payment', reason: 'already at 3.1.0' },
      { cluster: 'prod-us', component: 'payment', reason: 'pinned to 3.0.3 in versions/clusters/prod-us.yaml' },
    ]);
  });

  it('writes a rollback as a rollback', async () => {
    const { commitSha, plan } = ok(await send(promoteRequest({ op: 'commit', kind: 'rollback', components: [{ component: 'cart', version: '1.3.2' }] })));
    assert.ok(commitSha);
    assert.equal(origin('log', '-1', '--format=%s', commitSha), 'rollback cart to 1.3.2 on prod');
    assert.deepEqual(plan.changes.map((c) => [c.cluster, c.fromVersion, c.toVersion, c.prunes.map((p) => p.name)]), [
      ['prod-eu', '1.4.0', '1.3.2', ['cart-release-1.4.0']],
      ['prod-us', '1.4.0', '1.3.2', ['cart-release-1.4.0']],
    ]);
    await eventually(async () => (await desiredVersion('prod-us.cart')) === '1.3.2', { what: 'prod-us cart back at 1.3.2' });
  });
});

describe('promotions: a branch that moves while committing', () => {
  let h: Harness;
  let dir: string;
  let mirror: GitMirror;
  const log = createLogger({ name: 'promote-test', level: 'silent' });

  before(async () => {
    h = await createHarness({ label: 'rw-promote-race' });
    dir = mkdtempSync(join(tmpdir(), 'driftless-promote-'));
    mirror = await openMirror({ path: join(dir, 'm.git'), url: h.repo.originPath });
  });
  after(async () => {
    mirror.close();
    rmSync(dir, { recursive: true, force: true });
    await h.close();
  });

  /** The mirror, with someone else pushing to the remote just before each of our first `times` pushes. */
  function racingGit(times: number): PromoteGit & { races: number } {
    const git = {
      races: 0,
      fetch: mirror.fetch.bind(mirror),
      resolveBranch: mirror.resolveBranch.bind(mirror),
      reader: mirror.reader.bind(mirror),
      recentCommits: mirror.recentCommits.bind(mirror),
      commitFilesAndPush: async (...args: Parameters<GitMirror['commitFilesAndPush']>) => {
        if (git.races < times) {
          git.races += 1;
          h.repo.pull();
          h.repo.write({ 'README.md': `changed elsewhere ${Math.random()}\n` });
          h.repo.commit(`concurrent change ${git.races}`);
        }
        return mirror.commitFilesAndPush(...args);
      },
    };
    return git;
  }

  function promoter(git: PromoteGit, committed: string[]): Promoter {
    return new Promoter({
      repo: REPO,
      branch: 'main',
      git,
      ownCommits: new MemoryOwnCommits(),
      committer: { name: 'Driftless', email: 'driftless@localhost' },
      readLimits: { maxFileBytes: 1024 * 1024 },
      fetchTimeoutMs: 30_000,
      pushTimeoutMs: 30_000,
      onCommitted: (sha) => committed.push(sha),
      log,
    });
  }

  it('fetches and commits again on top of a concurrent push', async () => {
    const git = racingGit(1);
    const committed: string[] = [];
    const reply = ok(await promoter(git, committed).handle(promoteRequest({ op: 'commit' })));
    assert.equal(git.races, 1);
    assert.ok(reply.commitSha);
    assert.deepEqual(committed, [reply.commitSha]);
    const origin = (...args: string[]) => h.repo.git('--git-dir', h.repo.originPath, ...args);
    assert.equal(origin('rev-parse', 'main'), reply.commitSha);
    assert.equal(origin('log', '-1', '--format=%s', `${reply.commitSha}~1`), 'concurrent change 1');
    assert.equal(reply.plan.baseSha, origin('rev-parse', `${reply.commitSha}~1`));
    assert.equal(origin('diff', '--numstat', `${reply.commitSha}~1`, reply.commitSha), '1\t1\tversions/prod.yaml');
  });

  it('gives up with conflict when the branch keeps moving', async () => {
    const git = racingGit(3);
    const committed: string[] = [];
    const reply = await promoter(git, committed).handle(promoteRequest({ op: 'commit', components: [{ component: 'shipping' }] }));
    assert.ok(!reply.ok);
    assert.equal(reply.code, 'conflict', reply.message);
    assert.match(reply.message, /branch main kept moving: gave up after 3 attempts/);
    assert.deepEqual(committed, []);
    assert.equal(h.repo.git('--git-dir', h.repo.originPath, 'log', '-1', '--format=%s', 'main'), 'concurrent change 3');
  });
});

describe('promotions: signing, and only the lease holder answers', () => {
  let h: Harness;
  let dir: string;
  before(async () => {
    h = await createHarness({ label: 'rw-promote-sign' });
    dir = mkdtempSync(join(tmpdir(), 'driftless-promote-sign-'));
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs promotion commits with the configured SSH key, and a watcher without the lease stays silent', async () => {
    const keyFile = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'driftless', '-f', keyFile]);
    const leader = await h.watcher({ settings: { gitSigningKeyFile: keyFile, gitCommitterName: 'Driftless Bot', gitCommitterEmail: 'bot@driftless.example' } });
    const follower = await h.watcher();
    assert.equal((await syncOf(leader).sync()).kind, 'published');
    assert.equal((await syncOf(follower).sync()).kind, 'not-leader');
    const subject = wireSubject(subjects.promoteCommand(REPO), h.nats.names.subjectPrefix);
    const send = async (request: PromoteRequest, timeout = 30_000) => decodePromoteReply((await h.nc.request(subject, JSON.stringify(request), { timeout })).data);

    const { commitSha } = ok(await send(promoteRequest({ op: 'commit' })));
    assert.ok(commitSha);
    const origin = (...args: string[]) => h.repo.git('--git-dir', h.repo.originPath, ...args);
    assert.equal(origin('log', '-1', '--format=%an|%cn <%ce>', commitSha), 'Grace Hopper|Driftless Bot <bot@driftless.example>');
    const allowed = join(dir, 'allowed_signers');
    writeFileSync(allowed, `bot@driftless.example ${readFileSync(`${keyFile}.pub`, 'utf8')}`);
    const verified = execFileSync('git', ['--git-dir', h.repo.originPath, '-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', '-v', commitSha], { encoding: 'utf8', stdio: 'pipe' });
    assert.match(verified, /promote cart 1\.4\.0 to prod/);

    // The leader stops (releasing its lease); the follower has not taken it yet, so nobody answers.
    await leader.stop();
    await assert.rejects(send(promoteRequest(), 1_000), /timeout|TIMEOUT|no responders/i);
    // Once the follower holds the lease it answers.
    assert.notEqual((await syncOf(follower).sync()).kind, 'not-leader');
    assert.equal(ok(await send(promoteRequest())).plan.baseSha, commitSha);
  });
});
