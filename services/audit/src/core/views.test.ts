import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@driftless/contracts';
import { blastRadius } from './blast-radius.js';
import { chainEntries, EMPTY_TIP } from './chain.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { diffSnapshots, type VersionAt } from './diff.js';
import { toLedgerEntry } from './ledger.js';
import { commitProgress } from './progress.js';
import { skewOf } from './skew.js';
import { emptyState, foldState } from './state.js';
import { commit, events } from '../testing/fixtures.js';

const v = (version: string | null, isRemoved = false): VersionAt => ({ version, hash: version && `h-${version}`, commitSha: null, isRemoved });

describe('diffSnapshots', () => {
  it('lists added, removed and changed components, and nothing unchanged', () => {
    const from = new Map([['a', v('1')], ['b', v('1')], ['c', v('1')], ['gone', v(null, true)]]);
    const to = new Map([['a', v('1')], ['b', v('2')], ['d', v('1')], ['c', v(null, true)]]);
    assert.deepEqual(
      diffSnapshots(from, to).map((c) => [c.component, c.change]),
      [['b', 'changed'], ['c', 'removed'], ['d', 'added']],
    );
  });
});

describe('skewOf', () => {
  it('flags a stage whose clusters run different versions', () => {
    assert.deepEqual(skewOf({ stage: 'prod', component: 'x', desiredVersions: ['1', '1'], appliedVersions: ['2', '1'] }), {
      isDesiredSkewed: false,
      isAppliedSkewed: true,
      desiredVersions: ['1'],
      appliedVersions: ['1', '2'],
    });
    assert.equal(skewOf(undefined).isAppliedSkewed, false);
  });
});

describe('cursors', () => {
  it('round-trip and refuse tampering or another listing', () => {
    const c = encodeCursor('transitions', ['2026-11-27T00:00:00.000Z', 42]);
    assert.deepEqual(decodeCursor('transitions', c, ['string', 'number'] as const), ['2026-11-27T00:00:00.000Z', 42]);
    assert.throws(() => decodeCursor('inventory', c, ['string', 'string'] as const), InvalidInputError);
    assert.throws(() => decodeCursor('transitions', 'not-a-cursor', ['string', 'number'] as const), /cursor is not valid/);
    assert.throws(() => decodeCursor('transitions', encodeCursor('transitions', ['x', 'y']), ['string', 'number'] as const), InvalidInputError);
  });
});

describe('commitProgress and blastRadius', () => {
  const c1 = commit(1);
  const list = [
    events.desiredChanged({ cluster: 'a', component: 'x', stage: 'prod', version: '1', commit: c1, apps: ['shop'] }),
    events.desiredChanged({ cluster: 'b', component: 'x', stage: 'prod', version: '1', commit: c1, apps: ['shop', 'admin'] }),
    events.desiredChanged({ cluster: 'c', component: 'x', stage: 'dev', version: '1', commit: c1 }),
    events.applied({ cluster: 'a', component: 'x', version: '1' }),
    events.applyFailed({ cluster: 'b', component: 'x', version: '1', reason: 'quota exceeded' }),
    events.desiredChanged({ cluster: 'c', component: 'x', stage: 'dev', version: '2', commit: commit(2) }),
  ];
  const rows = chainEntries(EMPTY_TIP, list.map((e) => toLedgerEntry(e, () => undefined)!), new Date());

  it('says how far each change of a commit got', () => {
    const changes = rows.filter((r) => r.kind === 'desired_changed' && r.commitSha === c1.sha);
    const reports = rows.filter((r) => r.kind === 'applied' || r.kind === 'apply_failed');
    const current = new Map([['a/x', changes[0]!.toHash], ['b/x', changes[1]!.toHash], ['c/x', rows[5]!.toHash]]);
    const progress = commitProgress(changes, reports, current);
    assert.deepEqual(progress.targets.map((t) => [t.cluster, t.status]), [['a', 'applied'], ['b', 'failed'], ['c', 'superseded']]);
    assert.equal(progress.targets[1]?.reason, 'quota exceeded');
    assert.deepEqual(progress.counts, { pending: 0, applied: 1, failed: 1, superseded: 1, removed: 0 });
  });

  it('groups a component\'s placements by app', () => {
    const states = ['a', 'b', 'c'].map((cluster) => ({
      state: rows.filter((r) => r.cluster === cluster).reduce(foldState, emptyState(cluster, 'x')),
      stage: cluster === 'c' ? 'dev' : 'prod',
    }));
    const radius = blastRadius('x', states);
    assert.equal(radius.clusterCount, 3);
    assert.deepEqual(radius.stages, ['dev', 'prod']);
    assert.deepEqual(radius.apps.map((a) => [a.app, a.placements.map((p) => p.cluster)]), [['admin', ['b']], ['shop', ['a', 'b', 'c']]]);
    assert.deepEqual(radius.versions, ['1']);
  });
});
