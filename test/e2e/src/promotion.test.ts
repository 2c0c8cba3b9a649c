/**
 * Promotion as a release manager drives it, on real Git, NATS, Postgres, kube-sim clusters and
 * every service as a process: dev → test after a soak time, test → prod after two approvals (the
 * requester's own approval refused), a rollback on prod, a wave rollout across three prod clusters
 * that halts when its first wave turns unhealthy (kube-sim's broken image), and a commit by an
 * author prod's policy does not allow, held until two operators approve it. The ledger shows who
 * did each step.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '@driftless/infra/system';
import { git } from '@driftless/infra/tools';
import { describeInventory, startE2eSystem, type E2eSystem, type InventoryItem, type Transition } from './harness.js';
import { WaitAbandonedError } from './wait.js';

const CLUSTERS = ['dev-1', 'test-1', 'prod-1', 'prod-2', 'prod-3'];
const PROD = ['prod-1', 'prod-2', 'prod-3'];

interface Promotion {
  id: string;
  kind: string;
  status: string;
  statusReason: string | null;
  components: { component: string; version: string }[];
  pending: { gate: string; message: string }[];
  approvals: { approver: string }[];
  commits: { sha: string; wave: number | null; clusters: string[] | null }[];
}

interface HeldChange {
  commit: { sha: string };
  isApprovable: boolean;
  reasons: { rule: string; stage: string; message: string }[];
  approvers: string[];
  releasedAt: string | null;
}

describe('promotion, approvals, rollback, waves and held changes, end to end', () => {
  let system: E2eSystem;
  const token: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
  const inventory = () => system.get<{ items: (InventoryItem & { desired: { version: string | null } | null })[] }>('/v1/inventory?component=cart').then((r) => r.items);
  const transitions = (query: string) => system.get<{ items: Transition[] }>(`/v1/transitions?${query}`).then((r) => r.items);
  const promotion = (id: string) => system.get<Promotion>(`/v1/promotions/${id}`);
  const describePromotion = (p: Promotion) =>
    `${p.status}${p.statusReason === null ? '' : ` (${p.statusReason})`}, pending ${JSON.stringify(p.pending)}, ${p.approvals.length} approvals, commits ${JSON.stringify(p.commits)}`;
  const statusOf = (id: string, status: string, timeoutMs = 60_000) =>
    system.waitFor(`promotion ${id} to be ${status}`, async (note) => {
      const p = await promotion(id);
      note(describePromotion(p));
      if (p.status !== status && ['committed', 'rejected', 'halted'].includes(p.status)) throw new WaitAbandonedError(`promotion ${id} ended ${describePromotion(p)}`);
      return p.status === status ? p : undefined;
    }, timeoutMs);
  /** Every listed cluster runs `version` of cart, healthy. */
  const running = (clusters: readonly string[], version: string, timeoutMs = 60_000) =>
    system.waitFor(`cart ${version} healthy on ${clusters.join(', ')}`, async (note) => {
      const items = (await inventory()).filter((i) => clusters.includes(i.cluster));
      note(describeInventory(items));
      return items.length === clusters.length && items.every((i) => i.applied?.version === version && i.health?.status === 'Healthy') ? items : undefined;
    }, timeoutMs);
  const cliJson = async <T>(args: readonly string[], who: keyof typeof token) => JSON.parse(await system.cli([...args, '-o', 'json'], token[who])) as T;
  /** Commits and pushes as a person would, on top of whatever the repo-watcher pushed meanwhile. */
  const commitAs = async (author: { name: string; email: string }, message: string, file: string, edit: (text: string) => string) => {
    await git(system.repoDir, ['pull', '-q', '--ff-only']);
    const path = join(system.repoDir, file);
    writeFileSync(path, edit(readFileSync(path, 'utf8')));
    await git(system.repoDir, ['commit', '-q', '-a', '-m', message], author);
    await git(system.repoDir, ['push', '-q', 'origin', 'HEAD:main']);
    const sha = (await git(system.repoDir, ['rev-parse', 'HEAD'])).trim();
    await system.notifyPush(sha);
    return sha;
  };
  /** Waits until `changes` lists the commit as held. */
  const heldChange = (what: string, sha: string) =>
    system.waitFor(what, async (note) => {
      const changes = JSON.parse(await system.cli(['changes', '-o', 'json'], token.bob)) as HeldChange[];
      note(changes.length === 0 ? 'no held commits' : `held: ${changes.map((c) => `${c.commit.sha.slice(0, 12)} (${c.reasons.map((r) => r.rule).join(', ')})`).join('; ')}`);
      return changes.find((c) => c.commit.sha === sha);
    });
  const setCart = (version: string) => (text: string) => text.replace(/^cart: .*$/m, `cart: ${version}`);

  before(async () => {
    system = await startE2eSystem({ clusters: CLUSTERS, envRepoSource: join(REPO_ROOT, 'test', 'fixtures', 'promotion-envrepo'), isRepoPushable: true });
    await system.waitFor('the first sync to reach every cluster', async (note) => {
      const items = await inventory();
      note(describeInventory(items));
      return items.length === CLUSTERS.length && items.every((i) => i.sync === 'Synced' && i.health?.status === 'Healthy');
    }, 120_000);
    for (const name of ['alice', 'bob', 'carol'] as const) {
      const created = JSON.parse(await system.cli(['token', 'create', '--name', name, '--role', 'operator', '--email', `${name}@example.com`, '-o', 'json'])) as { secret: string };
      token[name] = created.secret;
    }
  });

  after(async () => {
    await system?.close();
  });

  it('promotes dev → test once cart has run healthy on dev for the soak time, authored as the requester', async () => {
    await commitAs({ name: 'Alice', email: 'alice@example.com' }, 'cart 1.2.0 to dev', 'versions/dev.yaml', setCart('1.2.0'));
    await system.waitFor('dev-1 to want cart 1.2.0', async (note) => {
      const items = await inventory();
      note(describeInventory(items));
      return items.find((i) => i.cluster === 'dev-1')?.desired?.version === '1.2.0';
    });
    const plan = await system.cli(['promote', 'cart', '--to', 'test', '--dry-run'], token.alice);
    assert.match(plan, /Promote cart 1\.1\.0 → 1\.2\.0 on test \(dev runs cart 1\.2\.0\)/);
    assert.match(plan, /soak 10 s on dev/);
    assert.match(plan, /test-1\s+cart\s+1\.1\.0\s+1\.2\.0\s+shop/);

    const requested = await cliJson<Promotion>(['promote', 'cart', '--to', 'test', '--yes', '--reason', 'weekly release'], 'alice');
    const waiting = await statusOf(requested.id, 'waiting');
    assert.equal(waiting.pending[0]?.gate, 'soak');
    assert.match(waiting.pending[0]?.message ?? '', /cart 1\.2\.0 must run applied and Healthy on every dev cluster for 10 s: dev-1/);
    assert.equal((await promotion(requested.id)).commits.length, 0, 'nothing committed while it soaks');

    const done = await statusOf(requested.id, 'committed');
    await running(['test-1'], '1.2.0');
    const sha = done.commits[0]?.sha ?? '';
    const commit = await system.get<{ commit: { authorName: string; authorEmail: string; committerName: string; message: string } | null }>(`/v1/commits/${sha}`);
    assert.equal(commit.commit?.authorEmail, 'alice@example.com');
    assert.match(commit.commit?.message ?? '', new RegExp(`Promotion: ${requested.id}`));
    assert.match(commit.commit?.message ?? '', /weekly release/);
    const soaked = (await transitions('kind=promotion_waiting')).filter((t) => t.detail['promotionId'] === requested.id);
    assert.ok(soaked.length > 0 && soaked.every((t) => t.actor === 'token:alice'), 'the wait is in the ledger');
  });

  it('promotes test → prod after two approvals by other operators, refusing the requester’s own', async () => {
    const requested = await cliJson<Promotion>(['promote', 'cart', '--to', 'prod', '--yes'], 'alice');
    const waiting = await statusOf(requested.id, 'waiting');
    assert.deepEqual(
      waiting.pending.map((p) => p.gate),
      ['approvals'],
    );
    await assert.rejects(system.cli(['approve', requested.id], token.alice), /token:alice requested promotion .* cannot approve it/);
    assert.match(await system.cli(['approve', requested.id, '--comment', 'dashboards look fine'], token.bob), /1 of 2 approvals/);
    assert.equal((await promotion(requested.id)).status, 'waiting', 'one approval is not enough');
    await system.cli(['approve', requested.id], token.carol);
    await statusOf(requested.id, 'committed');
    await running(PROD, '1.2.0');

    // The engine records the commit in the ledger through its own event, which may land after the status changed.
    const steps = await system.waitFor('the promotion’s commit to reach the ledger', async (note) => {
      const rows = (await transitions('kind=promotion_requested&kind=promotion_approved&kind=promotion_committed&limit=1000')).filter((t) => t.detail['promotionId'] === requested.id);
      note(rows.map((t) => `${t.kind} by ${t.actor ?? '-'}`).join(', ') || 'no rows');
      return rows.some((t) => t.kind === 'promotion_committed') ? rows : undefined;
    });
    assert.deepEqual(
      steps.map((t) => [t.kind, t.actor]).reverse(),
      [
        ['promotion_requested', 'token:alice'],
        ['promotion_approved', 'token:bob'],
        ['promotion_approved', 'token:carol'],
        ['promotion_committed', 'token:alice'],
      ],
    );
    // The same steps, asked for by promotion id.
    const history = JSON.parse(await system.cli(['history', '--promotion', requested.id, '-o', 'json'], token.bob)) as Transition[];
    assert.deepEqual(
      history.filter((t) => t.kind !== 'promotion_waiting').map((t) => t.kind).reverse(),
      ['promotion_requested', 'promotion_approved', 'promotion_approved', 'promotion_committed'],
    );
  });

  it('rolls prod back to the version it ran before, straight through because rollbacks are exempt', async () => {
    const done = await cliJson<Promotion>(['rollback', 'cart', '--stage', 'prod', '--yes', '--wait'], 'carol');
    assert.equal(done.status, 'committed');
    assert.equal(done.kind, 'rollback');
    assert.deepEqual(done.components, [{ component: 'cart', version: '1.0.0' }]);
    assert.equal(done.approvals.length, 0);
    await running(PROD, '1.0.0');
  });

  it('rolls out one prod cluster per wave and halts when the first wave turns unhealthy, leaving the others untouched', async () => {
    await commitAs({ name: 'Alice', email: 'alice@example.com' }, 'cart broken-1.3.0 to dev', 'versions/dev.yaml', setCart('broken-1.3.0'));
    const requested = await cliJson<Promotion>(['promote', 'cart@broken-1.3.0', '--to', 'prod', '--wave', '1', '--wave-timeout', '120', '--yes'], 'alice');
    await statusOf(requested.id, 'waiting');
    await system.cli(['approve', requested.id], token.bob);
    await system.cli(['approve', requested.id], token.carol);

    const halted = await statusOf(requested.id, 'halted', 90_000);
    assert.match(halted.statusReason ?? '', /wave 1 of 3: cart broken-1\.3\.0 is Degraded on prod-1/);
    assert.deepEqual(
      halted.commits.map((c) => c.clusters),
      [['prod-1']],
    );
    const items = await inventory();
    for (const cluster of ['prod-2', 'prod-3']) {
      const item = items.find((i) => i.cluster === cluster);
      assert.equal(item?.desired?.version, '1.0.0', `${cluster} is untouched`);
      assert.equal(item?.health?.status, 'Healthy', cluster);
    }
    const show = await system.cli(['promotions', 'show', requested.id], token.bob);
    assert.match(show, /halted: wave 1 of 3/);
    // Published before the status changed, but recorded by the ledger's own consumer, which may lag.
    const row = await system.waitFor('the halt to reach the ledger', async (note) => {
      const rows = await transitions('kind=promotion_halted');
      note(`halted rows for ${rows.map((t) => String(t.detail['promotionId'])).join(', ') || 'no promotion'}`);
      return rows.find((t) => t.detail['promotionId'] === requested.id);
    });
    assert.deepEqual(row.detail['clusters'], ['prod-1']);
  });

  it('holds a prod commit by an author the policy does not allow until two operators approve it', async () => {
    const sha = await commitAs({ name: 'Mallory', email: 'mallory@elsewhere.org' }, 'cart 1.2.0 to prod, quietly', 'versions/prod.yaml', setCart('1.2.0'));
    const held = await heldChange('the commit to be held', sha);
    const author = held.reasons.find((r) => r.rule === 'author');
    assert.match(author?.message ?? '', /mallory@elsewhere\.org may not change stage prod/);
    const heldRow = (await transitions('kind=change_held')).find((t) => t.commitSha === sha);
    assert.equal(heldRow?.actor, 'mallory@elsewhere.org');
    assert.equal((await inventory()).find((i) => i.cluster === 'prod-2')?.desired?.version, '1.0.0', 'nothing published for prod');

    await system.cli(['changes', 'approve', sha, '--comment', 'checked with Mallory'], token.bob);
    await system.cli(['changes', 'approve', sha], token.carol);
    await system.waitFor('the commit to be released', async (note) => {
      note(await system.get<HeldChange>(`/v1/changes/${sha}`).then((c) => `approvers ${c.approvers.join(', ') || 'none'}, released at ${c.releasedAt ?? 'never'}`));
      return (await transitions('kind=change_released')).find((t) => t.commitSha === sha);
    });
    await running(['prod-2', 'prod-3'], '1.2.0');
    const approvals = (await transitions('kind=change_approved')).filter((t) => t.commitSha === sha).map((t) => t.actor);
    assert.deepEqual(approvals.sort(), ['token:bob', 'token:carol']);
  });

  it('holds a hand-made commit that would change more prod clusters than the brake allows', async () => {
    const sha = await commitAs({ name: 'Alice', email: 'alice@example.com' }, 'cart 1.2.1 to prod', 'versions/prod.yaml', setCart('1.2.1'));
    const held = await heldChange('the commit to be held by the brake', sha);
    assert.deepEqual(
      held.reasons.map((r) => r.rule),
      ['brake'],
    );
    assert.match(held.reasons[0]?.message ?? '', /2/);
    assert.equal((await inventory()).find((i) => i.cluster === 'prod-2')?.desired?.version, '1.2.0');
    await system.cli(['changes', 'approve', sha], token.bob);
    await system.cli(['changes', 'approve', sha], token.carol);
    await running(['prod-2', 'prod-3'], '1.2.1');
  });

  it('refuses to release an unsigned change to manifests that must be signed', async () => {
    const sha = await commitAs({ name: 'Alice', email: 'alice@example.com' }, 'cart: a team label', 'components/cart/deployment.yaml', (text) =>
      text.replace('app.kubernetes.io/name: cart\n', 'app.kubernetes.io/name: cart\n    team: checkout\n'),
    );
    const held = await heldChange('the unsigned commit to be held', sha);
    assert.equal(held.isApprovable, false);
    assert.ok(held.reasons.some((r) => r.rule === 'signature' && /not signed/.test(r.message)), JSON.stringify(held.reasons));
    await assert.rejects(system.cli(['changes', 'approve', sha], token.bob), /cannot be released by an approval/);
    const table = await system.cli(['changes'], token.bob);
    assert.match(table, new RegExp(`${sha.slice(0, 12)}.*refused`));
  });

  it('keeps every step in a ledger that verifies', async () => {
    const verify = await system.get<{ isIntact: boolean }>('/v1/audit/verify');
    assert.equal(verify.isIntact, true);
    const list = await system.cli(['promotions'], token.bob);
    assert.match(list, /committed/);
    assert.match(list, /halted/);
  });
});
