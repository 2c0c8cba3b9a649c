import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainEntries, EMPTY_TIP } from './chain.js';
import { toLedgerEntry, type LedgerRow } from './ledger.js';
import { emptyState, foldState, syncStatusOf } from './state.js';
import { commit, events } from '../testing/fixtures.js';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 27, 12, minute));

function ledger(): LedgerRow[] {
  const list = [
    events.desiredChanged({ cluster: 'c', component: 'x', stage: 'prod', version: '1.0.0', commit: commit(1), time: at(0) }),
    events.applied({ cluster: 'c', component: 'x', version: '1.0.0', time: at(1) }),
    events.healthChanged({ cluster: 'c', component: 'x', version: '1.0.0', from: null, to: 'Progressing', time: at(2) }),
    events.desiredChanged({ cluster: 'c', component: 'x', stage: 'prod', version: '2.0.0', commit: commit(2), time: at(3) }),
    events.applyFailed({ cluster: 'c', component: 'x', version: '2.0.0', time: at(4) }),
    events.driftDetected({ cluster: 'c', component: 'x', version: '1.0.0', manager: 'kubectl', time: at(5) }),
    events.applied({ cluster: 'c', component: 'x', version: '2.0.0', time: at(6) }),
    events.healthChanged({ cluster: 'c', component: 'x', version: '2.0.0', from: 'Progressing', to: 'Healthy', time: at(7) }),
  ];
  return chainEntries(EMPTY_TIP, list.map((e) => toLedgerEntry(e, () => 'prod')!), at(10));
}

function permutations<T>(items: readonly T[], count: number, seed = 7): T[][] {
  let s = seed;
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, () => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  });
}

describe('foldState', () => {
  it('ends in the newest report of each aspect', () => {
    const state = ledger().reduce(foldState, emptyState('c', 'x'));
    assert.equal(state.desired?.version, '2.0.0');
    assert.equal(state.applied?.version, '2.0.0');
    assert.equal(state.health?.status, 'Healthy');
    assert.equal(state.drift?.status, 'Drifted');
    assert.equal(state.drift?.manager, 'kubectl');
    assert.equal(state.problem, null, 'the apply after the failure supersedes it');
    assert.equal(syncStatusOf(state), 'Synced');
    assert.equal(state.placement?.stage, 'prod');
  });

  it('gives the same state whatever order the rows arrive in', () => {
    const rows = ledger();
    const expected = rows.reduce(foldState, emptyState('c', 'x'));
    for (const order of permutations(rows, 50)) assert.deepEqual(order.reduce(foldState, emptyState('c', 'x')), expected);
  });

  it('keeps a failure newer than the last apply', () => {
    const rows = ledger().slice(0, 5);
    const state = rows.reduce(foldState, emptyState('c', 'x'));
    assert.equal(state.problem?.kind, 'apply_failed');
    assert.equal(syncStatusOf(state), 'Failed');
  });
});
