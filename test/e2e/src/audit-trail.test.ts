/**
 * What a platform engineer asks the audit log after a day's work: commits by two authors, a
 * render failure and a manual drift are all answered with who, what and when; a commit's
 * progress is visible on every cluster; the ledger verifies.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { toolPath } from '@driftless/testkit';
import { describeInventory, startE2eSystem, type E2eSystem, type InventoryItem, type Transition } from './harness.js';

const CLUSTERS = ['dev-1', 'test-1', 'prod-eu', 'prod-us'];
// kube-sim serves from this process: kubectl must run without blocking the event loop.
const kubectl = async (...args: string[]) => (await promisify(execFile)(toolPath('kubectl'), args)).stdout;
const alice = { name: 'Alice', email: 'alice@example.com' };
const bob = { name: 'Bob', email: 'bob@example.com' };
const carol = { name: 'Carol', email: 'carol@example.com' };

describe('audit trail, end to end', () => {
  let system: E2eSystem;
  let aliceSha: string;
  let bobSha: string;
  let carolSha: string;
  const transitions = (query: string) => system.get<{ items: Transition[] }>(`/v1/transitions?${query}`).then((r) => r.items);
  const inventory = () => system.get<{ items: InventoryItem[] }>('/v1/inventory').then((r) => r.items);
  const bump = (component: string, version: string) => (text: string) => text.replace(new RegExp(`^${component}: .*$`, 'm'), `${component}: ${version}`);

  before(async () => {
    system = await startE2eSystem({ clusters: CLUSTERS });
    await system.waitFor(
      'the first sync to reach every cluster',
      async (note) => {
        const items = await inventory();
        note(describeInventory(items));
        return items.length === 12 && items.every((i) => i.sync === 'Synced' && i.health?.status === 'Healthy');
      },
      90_000,
    );

    aliceSha = await system.commit(alice, 'cart 1.6.0 to dev', { 'versions/dev.yaml': bump('cart', '1.6.0') });
    bobSha = await system.commit(bob, 'shipping 2.3.0 to test', { 'versions/test.yaml': bump('shipping', '2.3.0') });
    carolSha = await system.commit(carol, 'payment: a typo', {
      'components/payment/configmap.yaml': (text) => text.replace(/\n$/, '') + '\n  typo: "${values.nope}"\n',
    });
    await kubectl('--kubeconfig', system.sims[2]!.kubeconfigPath!, 'scale', '-n', 'cart', 'deployment/cart', '--replicas=9');

    await system.waitFor('every step to reach the ledger', async (note) => {
      const [applied, failed, corrected] = await Promise.all([
        transitions('kind=applied&cluster=test-1&component=shipping'),
        transitions('kind=render_failed'),
        transitions('kind=drift_corrected&cluster=prod-eu'),
      ]);
      note({
        shippingAppliedOnTest1: applied.map((t) => `${t.toVersion} @${t.commitSha?.slice(0, 12) ?? '-'}`),
        renderFailed: failed.map((t) => `${t.cluster ?? '-'}/${t.component ?? '-'} @${t.commitSha?.slice(0, 12) ?? '-'}`),
        driftCorrectedOnProdEu: corrected.map((t) => t.component),
        bobSha: bobSha.slice(0, 12),
        carolSha: carolSha.slice(0, 12),
      });
      // One render failure per cluster, each its own event: wait for all of them, not the first.
      const failedClusters = new Set(failed.filter((t) => t.commitSha === carolSha && t.component === 'payment').map((t) => t.cluster));
      return applied.some((t) => t.commitSha === bobSha) && CLUSTERS.every((c) => failedClusters.has(c)) && corrected.length > 0;
    });
  });

  after(async () => {
    await system?.close();
  });

  it('answers who changed what, where and when for each commit', async () => {
    const byAlice = await transitions(`actor=${encodeURIComponent(alice.email)}`);
    const cart = byAlice.find((t) => t.kind === 'desired_changed' && t.cluster === 'dev-1' && t.component === 'cart');
    assert.ok(cart, 'alice’s change is in the ledger');
    assert.equal(cart.fromVersion, '1.5.0');
    assert.equal(cart.toVersion, '1.6.0');
    assert.equal(cart.commitSha, aliceSha);
    assert.ok(Date.parse(cart.occurredAt) > 0);
    assert.ok(byAlice.every((t) => t.commitSha === aliceSha), 'nothing of anyone else is attributed to alice');

    const byBob = await transitions(`actor=${encodeURIComponent(bob.email)}&kind=desired_changed`);
    assert.deepEqual(
      byBob.map((t) => [t.cluster, t.component, t.toVersion]),
      [['test-1', 'shipping', '2.3.0']],
    );
  });

  it('records the render failure with its reason and keeps the last good state', async () => {
    const failed = (await transitions('kind=render_failed')).filter((t) => t.commitSha === carolSha);
    assert.ok(failed.length > 0);
    assert.match(JSON.stringify(failed[0]!.detail), /nope/);
    const items = await inventory();
    const payment = items.filter((i) => i.component === 'payment');
    assert.equal(payment.length, 4);
    // The clusters keep running the last good render; the inventory shows why the new one is not there.
    for (const item of payment) {
      assert.equal(item.health?.status, 'Healthy', item.cluster);
      assert.equal(item.applied?.version, item.desired?.version, item.cluster);
      assert.equal(item.applied?.hash, item.desired?.hash, item.cluster);
      assert.equal(item.problem?.kind, 'render_failed', item.cluster);
      assert.match(item.problem?.reason ?? '', /unknown variable \$\{values\.nope\}/);
    }
  });

  it('names the field manager of a manual change and records the correction', async () => {
    const drift = await transitions('cluster=prod-eu&component=cart&kind=drift_detected');
    assert.ok(drift.length > 0);
    assert.match(drift[0]!.actor ?? '', /^kubectl/);
    assert.deepEqual(drift[0]!.detail['fields'], ['spec.replicas']);
    const replicas = await kubectl('--kubeconfig', system.sims[2]!.kubeconfigPath!, 'get', '-n', 'cart', 'deployment/cart', '-o', 'jsonpath={.spec.replicas}');
    assert.equal(replicas, '3');
  });

  it('shows how far a commit got on every cluster it touched', async () => {
    const commit = await system.get<{
      commit: { authorEmail: string; message: string } | null;
      targets: { cluster: string; component: string; status: string; version: string | null }[];
      counts: { applied: number; pending: number; failed: number };
    }>(`/v1/commits/${bobSha}`);
    assert.equal(commit.commit?.authorEmail, bob.email);
    assert.match(commit.commit?.message ?? '', /shipping 2.3.0/);
    assert.deepEqual(
      commit.targets.map((t) => [t.cluster, t.component, t.status, t.version]),
      [['test-1', 'shipping', 'applied', '2.3.0']],
    );
    assert.equal(commit.counts.applied, 1);
  });

  it('verifies the ledger’s hash chain', async () => {
    const verify = await system.get<{ isIntact: boolean; checkedRows: number }>('/v1/audit/verify');
    assert.equal(verify.isIntact, true);
    assert.ok(verify.checkedRows > 20);
  });
});
