/**
 * The promotion commands' own logic: reading COMPONENT[@VERSION] words, the plan and promotion
 * texts, and usage errors (exit 2) before anything reaches the API.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../cli.js';
import { painter } from '../format.js';
import type { Io } from '../io.js';
import { componentsOf, planText, promotionText, type Promotion } from './promote.js';

function io() {
  let stdout = '';
  let stderr = '';
  const value: Io = { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env: { DRIFTLESS_API_URL: 'http://127.0.0.1:9' } };
  return { value, stdout: () => stdout, stderr: () => stderr };
}

const p = painter(false);

describe('promotion commands', () => {
  it('reads components with and without versions', () => {
    assert.deepEqual(componentsOf(['cart@1.4.2', 'payment'], undefined), [{ component: 'cart', version: '1.4.2' }, { component: 'payment' }]);
    assert.deepEqual(componentsOf(['cart'], '2.0.0'), [{ component: 'cart', version: '2.0.0' }]);
    assert.throws(() => componentsOf(['cart', 'payment'], '2.0.0'), /--version goes with exactly one COMPONENT/);
    assert.throws(() => componentsOf(['cart', 'cart@1.0.0'], undefined), /repeated: cart/);
    assert.throws(() => componentsOf(['Cart'], undefined), /not a DNS label/);
    assert.throws(() => componentsOf(['cart@'], undefined), /must be a version/);
  });

  it('prints the plan: what changes where, with objects and prunes, the gates and the waves', () => {
    const text = planText(
      'promote',
      {
        repo: 'envs',
        targets: ['prod-1', 'prod-2'],
        waves: [['prod-1'], ['prod-2']],
        plan: {
          repo: 'envs',
          baseSha: 'a'.repeat(40),
          stage: 'prod',
          previousStage: 'test',
          components: [{ component: 'cart', version: '1.2.0', currentVersion: '1.1.0', previousStageVersion: '1.2.0' }],
          clusters: [],
          changes: [
            { cluster: 'prod-1', component: 'cart', apps: ['shop'], fromVersion: '1.1.0', toVersion: '1.2.0', objects: 4, prunes: [{ kind: 'ConfigMap', name: 'old' }] },
            { cluster: 'prod-2', component: 'cart', apps: ['shop'], fromVersion: '1.1.0', toVersion: '1.2.0', objects: 4, prunes: [] },
          ],
          unchanged: [{ cluster: 'prod-3', component: 'cart', reason: 'pinned to 1.0.0' }],
          gates: { soakSeconds: 600, approvals: 2, windows: [], isRollbackExempt: true },
        },
      },
      { p },
    );
    assert.match(text, /Promote cart 1\.1\.0 → 1\.2\.0 on prod \(test runs cart 1\.2\.0\)/);
    assert.match(text, /soak 600 s on test, 2 approvals, any time, rollbacks exempt/);
    assert.match(text, /Waves: +1: prod-1 \| 2: prod-2/);
    assert.match(text, /prod-1 +cart +1\.1\.0 +1\.2\.0 +shop +4 +ConfigMap\/old/);
    assert.match(text, /Unchanged: prod-3\/cart \(pinned to 1\.0\.0\)/);
  });

  it('prints a promotion with what it waits for', () => {
    const promotion: Promotion = {
      id: 'pr_1',
      kind: 'promote',
      repo: 'envs',
      stage: 'prod',
      components: [{ component: 'cart', version: '1.2.0' }],
      clusters: null,
      selector: null,
      wave: null,
      requester: 'token:alice',
      author: { name: 'alice', email: 'alice@example.com' },
      reason: null,
      status: 'waiting',
      statusReason: null,
      decidedBy: null,
      pending: [{ gate: 'approvals', message: 'needs 2 approvals; has 1 (token:bob)' }],
      gates: { soakSeconds: 0, approvals: 2, windows: [], isRollbackExempt: false },
      approvalsNeeded: 2,
      approvals: [{ approver: 'token:bob', role: 'operator', comment: null, approvedAt: '2026-11-27T10:00:00Z' }],
      waves: [],
      commits: [],
      watcherError: null,
      createdAt: '2026-11-27T09:00:00Z',
      updatedAt: '2026-11-27T10:00:00Z',
    };
    const text = promotionText(promotion, { p });
    assert.match(text, /Approvals: +1 of 2: token:bob/);
    assert.match(text, /Waiting \(approvals\): needs 2 approvals/);
  });

  it('refuses a bad command line with exit 2 before calling the API', async () => {
    const cases: [string[], RegExp][] = [
      [['promote', 'cart'], /--to STAGE is required/],
      [['promote', 'cart', '--to', 'prod', '--wave', '0'], /--wave takes a whole number/],
      [['promote', 'cart', '--to', 'prod', '--clusters', 'a', '-l', 'x=y'], /not both/],
      [['rollback', 'cart'], /--stage STAGE is required/],
      [['approve', 'nope'], /PROMOTION must be a promotion id/],
      [['reject', 'pr_1'], /--reason TEXT is required/],
      [['changes', 'approve', 'abc'], /SHA must be a full commit sha/],
    ];
    for (const [argv, message] of cases) {
      const run = io();
      assert.equal(await runCli(argv, run.value), 2, argv.join(' '));
      assert.match(run.stderr(), message, argv.join(' '));
    }
  });

  it('has help for every promotion command, and `promotions` lists by default', async () => {
    for (const argv of [['promote', '--help'], ['rollback', '--help'], ['approve', '--help'], ['reject', '--help'], ['promotions', '--help'], ['changes', 'approve', '--help']]) {
      const run = io();
      assert.equal(await runCli(argv, run.value), 0, argv.join(' '));
      assert.match(run.stdout(), /Usage: driftless/);
    }
    const run = io();
    // No API at that address: the list command ran and failed reaching it (exit 1), not a usage error.
    assert.equal(await runCli(['promotions'], run.value), 1);
    assert.match(run.stderr(), /cannot reach the Driftless API/);
  });
});
