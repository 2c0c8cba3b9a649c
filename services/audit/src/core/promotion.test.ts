import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PromotionGates } from '@driftless/contracts';
import { evaluateGates, factsKey, isInsideWindow, type Approval, type ComponentFacts } from './promotion-gates.js';
import { matchesSelector, parseSelector } from './promotion-selector.js';
import {
  commitSteps,
  nextStep,
  personOf,
  rollbackVersion,
  splitWaves,
  targetClusters,
  type PromotionCommit,
  type PromotionFacts,
} from './promotion.js';

const T0 = new Date('2026-11-27T10:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const NO_GATES: PromotionGates = { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false };

function facts(entries: Partial<ComponentFacts>[]): Map<string, ComponentFacts> {
  return new Map(
    entries.map((e) => {
      const f: ComponentFacts = { cluster: 'test-1', component: 'cart', appliedVersion: null, appliedAt: null, health: null, healthAt: null, problem: null, ...e };
      return [factsKey(f.cluster, f.component), f];
    }),
  );
}

function promotion(over: Partial<PromotionFacts> = {}): PromotionFacts {
  return {
    id: 'pr_1',
    kind: 'promote',
    status: 'waiting',
    components: [{ component: 'cart', version: '1.2.0' }],
    waves: [],
    waveSize: null,
    isLimited: false,
    waveTimeoutS: 600,
    requester: 'token:alice',
    gates: NO_GATES,
    previousStage: 'test',
    previousStageClusters: [{ cluster: 'test-1', component: 'cart' }],
    commits: [],
    ...over,
  };
}

const approval = (approver: string, role: Approval['role'] = 'operator'): Approval => ({ approver, role, at: T0, comment: null });

describe('promotion gates', () => {
  const soak = { ...NO_GATES, soakSeconds: 60 };

  it('soak: waits until every previous-stage cluster ran the version healthy for the soak time', () => {
    const base = { gates: soak, kind: 'promote' as const, components: [{ component: 'cart', version: '1.2.0' }], previousStage: 'test', requester: 'token:alice', approvals: [] };
    const pairs = [{ cluster: 'test-1', component: 'cart' }, { cluster: 'test-2', component: 'cart' }];
    const running = facts([
      { cluster: 'test-1', appliedVersion: '1.2.0', appliedAt: at(0), health: 'Healthy', healthAt: at(5) },
      { cluster: 'test-2', appliedVersion: '1.1.0', appliedAt: at(0), health: 'Healthy', healthAt: at(1) },
    ]);
    const pending = evaluateGates({ ...base, previousStageClusters: pairs, facts: running, now: at(100) });
    assert.equal(pending.length, 1);
    assert.equal(pending[0]?.gate, 'soak');
    assert.match(pending[0]?.message ?? '', /test-2 runs 1\.1\.0/);
    assert.doesNotMatch(pending[0]?.message ?? '', /test-1/);

    const one = [{ cluster: 'test-1', component: 'cart' }];
    assert.equal(evaluateGates({ ...base, previousStageClusters: one, facts: running, now: at(64) }).length, 1, 'healthy since 5 s: not 60 s yet');
    assert.deepEqual(evaluateGates({ ...base, previousStageClusters: one, facts: running, now: at(65) }), []);
    const degraded = facts([{ cluster: 'test-1', appliedVersion: '1.2.0', appliedAt: at(0), health: 'Degraded', healthAt: at(5) }]);
    assert.match(evaluateGates({ ...base, previousStageClusters: one, facts: degraded, now: at(500) })[0]?.message ?? '', /test-1 is Degraded/);
  });

  it('approvals: distinct operators, never the requester, never a viewer', () => {
    const gates = { ...NO_GATES, approvals: 2 };
    const input = { gates, kind: 'promote' as const, components: [], previousStage: null, previousStageClusters: [], facts: new Map(), requester: 'token:alice', now: T0 };
    assert.match(evaluateGates({ ...input, approvals: [] })[0]?.message ?? '', /needs 2 approvals.*none yet/);
    const notEnough = [approval('token:alice'), approval('token:bob'), approval('token:bob'), approval('token:vic', 'viewer')];
    assert.match(evaluateGates({ ...input, approvals: notEnough })[0]?.message ?? '', /has 1 \(token:bob\)/);
    assert.deepEqual(evaluateGates({ ...input, approvals: [approval('token:bob'), approval('token:carol', 'admin')] }), []);
  });

  it('windows: inside one window in its own time zone, including windows past midnight', () => {
    const berlin = { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[], start: '09:00', end: '17:00', timezone: 'Europe/Berlin' };
    // Friday 2026-11-27 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
    assert.equal(isInsideWindow(berlin, new Date('2026-11-27T08:30:00Z')), true);
    assert.equal(isInsideWindow(berlin, new Date('2026-11-27T07:30:00Z')), false);
    assert.equal(isInsideWindow(berlin, new Date('2026-11-28T10:00:00Z')), false, 'Saturday');
    const night = { days: ['fri'] as 'fri'[], start: '22:00', end: '02:00', timezone: 'UTC' };
    assert.equal(isInsideWindow(night, new Date('2026-11-27T23:00:00Z')), true);
    assert.equal(isInsideWindow(night, new Date('2026-11-28T01:00:00Z')), true, 'Saturday 01:00 belongs to Friday night');
    assert.equal(isInsideWindow(night, new Date('2026-11-28T03:00:00Z')), false);
    assert.equal(isInsideWindow({ ...berlin, timezone: 'Mars/Olympus' }, new Date('2026-11-27T08:30:00Z')), false);
    const pending = evaluateGates({ gates: { ...NO_GATES, windows: [berlin] }, kind: 'promote', components: [], previousStage: null, previousStageClusters: [], facts: new Map(), approvals: [], requester: 'x', now: new Date('2026-11-28T10:00:00Z') });
    assert.equal(pending[0]?.gate, 'window');
  });

  it('an exempt rollback skips every gate; a rollback without the exemption does not', () => {
    const gates = { soakSeconds: 60, approvals: 2, windows: [], isRollbackExempt: true };
    const input = { gates, components: [{ component: 'cart', version: '1.0.0' }], previousStage: 'test', previousStageClusters: [{ cluster: 'test-1', component: 'cart' }], facts: new Map(), approvals: [], requester: 'x', now: T0 };
    assert.deepEqual(evaluateGates({ ...input, kind: 'rollback' }), []);
    assert.equal(evaluateGates({ ...input, kind: 'promote' }).length, 2);
    assert.equal(evaluateGates({ ...input, kind: 'rollback', gates: { ...gates, isRollbackExempt: false } }).length, 2);
  });
});

describe('promotion state machine', () => {
  it('waits for its gates, then commits the stage file once', () => {
    const p = promotion({ gates: { ...NO_GATES, approvals: 1 } });
    const waiting = nextStep(p, new Map(), [], T0);
    assert.equal(waiting.type, 'wait');
    const go = nextStep(p, new Map(), [approval('token:bob')], T0);
    assert.deepEqual(go, { type: 'commit', step: { requestId: 'pr_1', wave: null, clusters: undefined }, waves: null });
    const done = nextStep({ ...p, status: 'committing', commits: [{ sha: 'a'.repeat(40), wave: null, clusters: null, at: T0 }] }, new Map(), [], T0);
    assert.deepEqual(done, { type: 'complete' });
    assert.deepEqual(nextStep({ ...p, status: 'rejected' }, new Map(), [], T0), { type: 'none' });
  });

  it('pins chosen clusters in one commit, and the pins stay', () => {
    const p = promotion({ isLimited: true, waves: [['prod-1', 'prod-3']] });
    assert.deepEqual(commitSteps(p), [{ requestId: 'pr_1', wave: null, clusters: ['prod-1', 'prod-3'] }]);
  });

  it('rolls out in waves, each waiting until the previous one is healthy, then drops the pins with a final commit', () => {
    const p = promotion({ waveSize: 1, waves: [['prod-1'], ['prod-2'], ['prod-3']] });
    assert.deepEqual(
      commitSteps(p).map((s) => [s.requestId, s.wave, s.clusters]),
      [['pr_1.wave-1', 1, ['prod-1']], ['pr_1.wave-2', 2, ['prod-2']], ['pr_1.wave-3', 3, ['prod-3']], ['pr_1.final', null, undefined]],
    );
    const wave1: PromotionCommit = { sha: 'b'.repeat(40), wave: 1, clusters: ['prod-1'], at: at(0) };
    const afterWave1 = { ...p, commits: [wave1] };
    const progressing = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(1), health: 'Progressing', healthAt: at(2) }]);
    const wait = nextStep(afterWave1, progressing, [], at(10));
    assert.equal(wait.type, 'wait');
    assert.match(wait.type === 'wait' ? (wait.pending[0]?.message ?? '') : '', /wave 1 of 3 \(prod-1\)/);
    const healthy = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(1), health: 'Healthy', healthAt: at(3) }]);
    const next = nextStep(afterWave1, healthy, [], at(10));
    assert.equal(next.type === 'commit' && next.step.requestId, 'pr_1.wave-2');
    // A Healthy report older than the apply is the old version's: not yet.
    const stale = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(5), health: 'Healthy', healthAt: at(-100) }]);
    assert.equal(nextStep(afterWave1, stale, [], at(10)).type, 'wait');
    assert.equal(nextStep(afterWave1, stale, [], at(30)).type, 'commit', 'unchanged health for the settle time counts');
  });

  it('halts a wave that turns Degraded, fails terminally, or times out, naming the cluster', () => {
    const p = promotion({ waveSize: 1, waves: [['prod-1'], ['prod-2']], waveTimeoutS: 60 });
    const wave1: PromotionCommit = { sha: 'c'.repeat(40), wave: 1, clusters: ['prod-1'], at: at(0) };
    const degraded = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(1), health: 'Degraded', healthAt: at(4) }]);
    const halt = nextStep({ ...p, commits: [wave1] }, degraded, [], at(10));
    assert.deepEqual(halt, { type: 'halt', reason: 'wave 1 of 2: cart 1.2.0 is Degraded on prod-1', wave: 1, clusters: ['prod-1'] });
    const failed = facts([{ cluster: 'prod-1', appliedVersion: '1.1.0', appliedAt: at(-50), problem: { kind: 'apply_failed', reason: 'admission denied', version: '1.2.0', isTerminal: true, at: at(2) } }]);
    const failedStep = nextStep({ ...p, commits: [wave1] }, failed, [], at(10));
    assert.equal(failedStep.type, 'halt');
    assert.match(failedStep.type === 'halt' ? failedStep.reason : '', /failed to apply on prod-1: admission denied/);
    const slow = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(1), health: 'Progressing', healthAt: at(2) }]);
    assert.equal(nextStep({ ...p, commits: [wave1] }, slow, [], at(59)).type, 'wait');
    const timedOut = nextStep({ ...p, commits: [wave1] }, slow, [], at(61));
    assert.match(timedOut.type === 'halt' ? timedOut.reason : '', /not healthy within 60 s: prod-1 cart is Progressing/);
  });

  it('completes after the last wave of a limited rollout is healthy', () => {
    const p = promotion({ waveSize: 1, isLimited: true, waves: [['prod-1']] });
    const wave1: PromotionCommit = { sha: 'd'.repeat(40), wave: 1, clusters: ['prod-1'], at: at(0) };
    const healthy = facts([{ cluster: 'prod-1', appliedVersion: '1.2.0', appliedAt: at(1), health: 'Healthy', healthAt: at(3) }]);
    assert.deepEqual(nextStep({ ...p, commits: [wave1] }, healthy, [], at(5)), { type: 'complete' });
  });
});

describe('choosing clusters', () => {
  const stage = [
    { name: 'prod-3', labels: { region: 'us' } },
    { name: 'prod-1', labels: { region: 'eu', tier: 'canary' } },
    { name: 'prod-2', labels: { region: 'eu' } },
  ];

  it('filters by name or selector and orders by name', () => {
    assert.deepEqual(targetClusters(stage, {}), ['prod-1', 'prod-2', 'prod-3']);
    assert.deepEqual(targetClusters(stage, { clusters: ['prod-3', 'prod-1'] }), ['prod-1', 'prod-3']);
    assert.deepEqual(targetClusters(stage, { selector: 'region=eu,tier!=canary' }), ['prod-2']);
    assert.deepEqual(targetClusters(stage, { selector: 'tier' }), ['prod-1']);
    assert.deepEqual(targetClusters(stage, { selector: '!tier' }), ['prod-2', 'prod-3']);
    assert.throws(() => targetClusters(stage, { clusters: ['prod-9'] }), /not a cluster of the stage: prod-9/);
    assert.throws(() => targetClusters(stage, { selector: 'region=mars' }), /matches no cluster/);
  });

  it('names every malformed part of a selector', () => {
    assert.throws(() => parseSelector('region=eu,,=x'), /empty requirement.*"=x" has no valid label key/);
    assert.equal(matchesSelector(parseSelector('region==eu'), { region: 'eu' }), true);
  });

  it('splits clusters into waves', () => {
    assert.deepEqual(splitWaves(['a', 'b', 'c'], 2), [['a', 'b'], ['c']]);
  });
});

describe('rollback version and identity', () => {
  it('returns to the newest version before the current one', () => {
    assert.deepEqual(rollbackVersion(['1.3.0', '1.3.0', '1.2.0', '1.1.0']), { current: '1.3.0', target: '1.2.0' });
    assert.equal(rollbackVersion(['1.3.0']), undefined);
    assert.equal(rollbackVersion([]), undefined);
  });

  it('authors as the token email, else <name>@users.driftless', () => {
    assert.deepEqual(personOf('Alice', 'alice@example.com'), { name: 'Alice', email: 'alice@example.com' });
    assert.deepEqual(personOf('Release Bot', null), { name: 'Release Bot', email: 'release-bot@users.driftless' });
  });
});
