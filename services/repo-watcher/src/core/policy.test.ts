import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NO_POLICY, parsePolicy, type Policy } from '@driftless/envrepo';
import type { SignatureVerdict } from '@driftless/git';
import { clustersByStage, decideCommit, restrictPlan, stagesOfVersionFiles, type ClusterSets, type CommitFacts } from './policy-decision.js';
import { blockedStages, clearStages, dropHeld, emptyPolicyState, headEntries, recordApproval, type PolicyState } from './policy-state.js';
import { planPublish } from './plan.js';
import type { RenderedPair } from './render-result.js';

const POLICY = parsePolicy(
  new TextEncoder().encode(`apiVersion: driftless.dev/v1alpha1
kind: Policy
keys:
  alice: { ssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc3S2Tj0XH5Sg8O7VnF8m0eGgqZ1k0I8uQ3nN4rZp2B alice" }
  carol: { ssh: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc3S2Tj0XH5Sg8O7VnF8m0eGgqZ1k0I8uQ3nN4rZp2C carol" }
stages:
  prod:
    gates: { approvals: 3 }
    changes: { authors: ["*@example.com"], signedBy: [alice] }
    brake: { maxClustersChanged: 2, maxClustersRemoved: 0 }
paths:
  - { path: policy.yaml, authors: [lead@example.com] }
  - { path: "versions/prod.yaml", signedBy: [alice] }
brake: { maxClustersChanged: 3 }
`),
).policy;

const sets = (changed: string[], removed: string[] = []): ClusterSets => ({ changed: new Set(changed), removed: new Set(removed) });
const VALID: SignatureVerdict = { status: 'valid', kind: 'ssh', keyName: 'alice', reason: 'signed with SSH key alice' };

function facts(overrides: Partial<CommitFacts> = {}, policy: Policy = POLICY): CommitFacts {
  return {
    shortSha: 'abc123abc123',
    authorEmail: 'grace@example.com',
    isOwnCommit: false,
    changedPaths: [],
    stages: new Map(),
    knownStages: new Set(['dev', 'prod']),
    policyOf: () => policy,
    signatureOf: () => VALID,
    ...overrides,
  };
}

describe('decideCommit', () => {
  it('lets an allowed, signed, small change through', () => {
    assert.deepEqual(decideCommit(facts({ stages: new Map([['prod', sets(['prod-eu'])]]) })), []);
  });

  it('holds only the stages whose rules the commit breaks, approvable for an author rule', () => {
    const decisions = decideCommit(facts({ authorEmail: 'mallory@evil.org', stages: new Map([['dev', sets(['dev-1'])], ['prod', sets(['prod-eu'])]]) }));
    assert.deepEqual(decisions, [
      {
        stage: 'prod',
        reasons: [{ rule: 'author', stage: 'prod', message: 'author mallory@evil.org may not change stage prod (allowed authors: *@example.com)' }],
        isApprovable: true,
        requiredApprovals: 3,
      },
    ]);
  });

  it('refuses (not approvable) a missing, unknown, bad or wrong-key signature, each in its own words', () => {
    const verdicts: [SignatureVerdict, RegExp][] = [
      [{ status: 'unsigned', reason: 'the commit is not signed' }, /^commit abc123abc123 by grace@example\.com is not signed; stage prod needs a signature by one of alice$/],
      [{ status: 'unknown-key', kind: 'ssh', signer: 'SHA256:x', reason: 'signed with SSH key SHA256:x, which is not one of the listed keys' }, /is signed with SSH key SHA256:x, which is not one of the listed keys; stage prod needs/],
      [{ status: 'bad', kind: 'ssh', keyName: 'alice', reason: 'the signature does not match the commit' }, /has a bad signature \(the signature does not match the commit\)/],
      [{ status: 'valid', kind: 'ssh', keyName: 'carol', reason: 'signed with SSH key carol' }, /is signed by key carol, but stage prod needs a signature by one of alice$/],
    ];
    for (const [verdict, message] of verdicts) {
      const [decision] = decideCommit(facts({ stages: new Map([['prod', sets(['prod-eu'])]]), signatureOf: () => verdict }));
      assert.equal(decision?.isApprovable, false);
      assert.equal(decision?.reasons[0]?.rule, 'signature');
      assert.match(decision?.reasons[0]?.message ?? '', message);
    }
  });

  it('applies the stage brake and the default brake across stages', () => {
    const [overStage] = decideCommit(facts({ stages: new Map([['prod', sets(['a', 'b', 'c'], ['c'])]]) }));
    assert.deepEqual(overStage?.reasons.map((r) => r.message), [
      "on stage prod, the commit removes components from 1 clusters, more than the brake's maxClustersRemoved of 0",
      "on stage prod, the commit changes 3 clusters, more than the brake's maxClustersChanged of 2",
    ]);
    assert.equal(overStage?.isApprovable, true);
    const overall = decideCommit(facts({ stages: new Map([['dev', sets(['d1', 'd2'])], ['prod', sets(['p1', 'p2'])]]) }));
    assert.deepEqual(overall.map((d) => [d.stage, d.reasons.map((r) => r.message)]), [
      ['dev', ["across all stages, the commit changes 4 clusters, more than the brake's maxClustersChanged of 3"]],
      ['prod', ["across all stages, the commit changes 4 clusters, more than the brake's maxClustersChanged of 3"]],
    ]);
  });

  it('exempts the watcher\'s own commits from author rules and the brake, not from signatures', () => {
    const big = new Map([['prod', sets(['a', 'b', 'c', 'd'])]]);
    assert.deepEqual(decideCommit(facts({ isOwnCommit: true, authorEmail: 'requester@elsewhere.org', stages: big, changedPaths: ['versions/prod.yaml'] })), []);
    const unsigned = decideCommit(facts({ isOwnCommit: true, stages: big, signatureOf: () => ({ status: 'unsigned', reason: 'the commit is not signed' }) }));
    assert.deepEqual(unsigned.map((d) => [d.stage, d.isApprovable, d.reasons.map((r) => r.rule)]), [['prod', false, ['signature']]]);
  });

  it('holds every stage for a policy.yaml change the old policy does not allow, even one that changes no cluster', () => {
    const decisions = decideCommit(facts({ changedPaths: ['policy.yaml'] }));
    assert.deepEqual(decisions.map((d) => d.stage), ['dev', 'prod']);
    assert.match(decisions[0]?.reasons[0]?.message ?? '', /^policy\.yaml may be changed only by lead@example\.com, not by grace@example\.com \(rule for "policy\.yaml" at policy\.yaml:\d+\)$/);
    assert.deepEqual(decideCommit(facts({ changedPaths: ['policy.yaml'], authorEmail: 'lead@example.com' })), []);
  });

  it('checks a path rule\'s signature on the stages the commit changes', () => {
    const decisions = decideCommit(
      facts({ changedPaths: ['versions/prod.yaml'], stages: new Map([['prod', sets(['p1'])]]), signatureOf: () => ({ status: 'unsigned', reason: 'x' }) }, { ...POLICY, stages: new Map() }),
    );
    assert.deepEqual(decisions.map((d) => [d.stage, d.isApprovable]), [['prod', false]]);
    assert.match(decisions[0]?.reasons[0]?.message ?? '', /changing versions\/prod\.yaml \(rule for "versions\/prod\.yaml"/);
  });

  it('restricts nothing without a policy', () => {
    assert.deepEqual(decideCommit(facts({ authorEmail: 'x@y', changedPaths: ['policy.yaml'], stages: new Map([['prod', sets(['a', 'b', 'c', 'd', 'e'])]]) }, NO_POLICY)), []);
  });
});

function pair(cluster: string, stage: string, component: string, hash: string): RenderedPair {
  return { cluster, component, stage, apps: ['shop'], version: '1.0.0', objects: [], hash, options: { isDriftCorrectionEnabled: true, maxPruneShare: 0.5, isNamespacePruneAllowed: false } };
}

describe('plans per stage', () => {
  const stageOf = (cluster: string) => ({ 'dev-1': 'dev', 'prod-eu': 'prod', 'prod-us': 'prod' })[cluster];
  const previous = { 'dev-1.cart': { version: '1.0.0', hash: 'a' }, 'prod-eu.cart': { version: '1.0.0', hash: 'a' }, 'prod-us.cart': { version: '1.0.0', hash: 'a' } };
  const render = { pairs: [pair('dev-1', 'dev', 'cart', 'b'), pair('prod-eu', 'prod', 'cart', 'b')], failures: [] };

  it('counts changed clusters and clusters losing a component, per stage', () => {
    const plan = planPublish(previous, render);
    const byStage = clustersByStage(plan, stageOf);
    assert.deepEqual([...(byStage.get('prod')?.changed ?? [])].sort(), ['prod-eu', 'prod-us']);
    assert.deepEqual([...(byStage.get('prod')?.removed ?? [])], ['prod-us']);
    assert.deepEqual([...(byStage.get('dev')?.changed ?? [])], ['dev-1']);
  });

  it('publishes only the stages allowed to, keeping the others at their published entries', () => {
    const plan = planPublish(previous, render);
    const { plan: restricted, withheldPuts, withheldRemovals } = restrictPlan(previous, plan, (stage) => stage !== 'prod', stageOf);
    assert.deepEqual(restricted.puts.map((p) => p.key), ['dev-1.cart']);
    assert.deepEqual(restricted.removals, []);
    assert.deepEqual(restricted.nextEntries, { ...previous, 'dev-1.cart': { version: '1.0.0', hash: 'b' } });
    assert.deepEqual(withheldPuts.map((p) => p.key), ['prod-eu.cart']);
    assert.deepEqual(withheldRemovals.map((r) => r.key), ['prod-us.cart']);
  });

  it('finds the stages of version files', () => {
    assert.deepEqual([...stagesOfVersionFiles(['versions/prod.yaml', 'versions/clusters/dev-1.yaml', 'components/cart/x.yaml', 'versions/clusters/gone.yaml'], stageOf)].sort(), ['dev', 'prod']);
  });
});

describe('policy state', () => {
  const heldState = (): PolicyState => ({
    ...emptyPolicyState('base'),
    held: [
      { sha: 'c1', heldAt: 't', stages: [{ stage: 'prod', isApprovable: true, requiredApprovals: 2 }, { stage: 'test', isApprovable: false, requiredApprovals: 1 }], reasons: [], approvers: [] },
      { sha: 'c2', heldAt: 't', stages: [{ stage: 'prod', isApprovable: true, requiredApprovals: 1 }], reasons: [], approvers: [] },
    ],
    unpublished: { 'prod-eu.cart': { version: '2', hash: 'x' }, 'prod-us.cart': null },
  });

  it('counts distinct approvers and releases a stage only at the required number', () => {
    let state = heldState();
    const first = recordApproval(state, 'c1', 'olivia');
    assert.ok(first.kind === 'recorded');
    assert.deepEqual(first.releasedStages, []);
    state = first.state;
    assert.equal(recordApproval(state, 'c1', 'olivia').kind, 'already-approved');
    const second = recordApproval(state, 'c1', 'peter');
    assert.ok(second.kind === 'recorded');
    assert.deepEqual(second.releasedStages, ['prod']);
    assert.deepEqual(second.state.held.find((h) => h.sha === 'c1')?.stages.map((s) => s.stage), ['test'], 'the refused stage stays held');
    assert.deepEqual([...blockedStages(second.state)].sort(), ['prod', 'test'], 'prod is still blocked by c2');
    assert.equal(recordApproval(state, 'nope', 'olivia').kind, 'not-held');
  });

  it('refuses to count approvals of a commit no approval can release', () => {
    const state: PolicyState = { ...emptyPolicyState(), held: [{ sha: 'c3', heldAt: 't', stages: [{ stage: 'test', isApprovable: false, requiredApprovals: 1 }], reasons: [{ rule: 'signature', stage: 'test', message: 'unsigned' }], approvers: [] }] };
    const result = recordApproval(state, 'c3', 'olivia');
    assert.equal(result.kind, 'not-approvable');
  });

  it('drops holds of commits that left the history and clears stages whose change is gone', () => {
    assert.deepEqual(dropHeld(heldState(), (sha) => sha === 'c2').state.held.map((h) => h.sha), ['c2']);
    assert.deepEqual(clearStages(heldState(), new Set(['prod'])).held.map((h) => [h.sha, h.stages.map((s) => s.stage)]), [['c1', ['test']]]);
  });

  it('derives what the head renders from the published entries and the blocked stages\' pending changes', () => {
    const published = { 'dev-1.cart': { version: '1', hash: 'a' }, 'prod-eu.cart': { version: '1', hash: 'a' }, 'prod-us.cart': { version: '1', hash: 'a' } };
    assert.deepEqual(headEntries(published, heldState()), { 'dev-1.cart': { version: '1', hash: 'a' }, 'prod-eu.cart': { version: '2', hash: 'x' } });
  });
});
