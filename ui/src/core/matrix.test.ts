import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, InventoryItem } from '../api/types.js';
import { cellView } from './cell.js';
import { buildMatrix, mergeItems, NO_FILTERS } from './matrix.js';

const NO_SKEW = { isDesiredSkewed: false, isAppliedSkewed: false, desiredVersions: [], appliedVersions: [] };
const at = '2026-11-27T10:00:00.000Z';

function item(cluster: string, component: string, stage: string, applied: string | null, desired: string, extra: Partial<InventoryItem> = {}): InventoryItem {
  return {
    cluster,
    component,
    stage,
    apps: ['shop'],
    desired: { version: desired, revision: 'a'.repeat(40), hash: null, isRemoved: false, changedAt: at },
    applied: applied === null ? null : { version: applied, revision: null, hash: 'h', changedAt: at },
    health: { status: 'Healthy', changedAt: at },
    drift: null,
    problem: null,
    sync: applied === desired ? 'Synced' : 'OutOfSync',
    skew: NO_SKEW,
    ...extra,
  };
}

function cluster(name: string, stage: string, labels: Record<string, string> = {}): Cluster {
  return { name, stage, labels, registeredAt: at, revokedAt: null, lastHeartbeatAt: at, agentVersion: '0.1.0', componentCount: 0, byHealth: { Healthy: 0, Progressing: 0, Degraded: 0, Missing: 0, Unknown: 0 }, driftedCount: 0, failingCount: 0 };
}

const clusters = [cluster('prod-eu', 'prod', { region: 'eu' }), cluster('dev-1', 'dev'), cluster('qa-x', 'zeta'), cluster('test-1', 'test'), cluster('empty-1', 'dev')];
const items = [
  item('prod-eu', 'cart', 'prod', '1.0.0', '1.1.0'),
  item('dev-1', 'cart', 'dev', '1.1.0', '1.1.0'),
  item('test-1', 'pay', 'test', '2.0.0', '2.0.0', { apps: ['billing'] }),
  item('qa-x', 'cart', 'zeta', '1.0.0', '1.0.0'),
];

describe('fleet matrix model', () => {
  it('orders clusters by stage (usual promotion order, then by name) and components by name', () => {
    const m = buildMatrix(items, clusters, NO_FILTERS);
    assert.deepEqual(m.clusters, ['dev-1', 'empty-1', 'test-1', 'prod-eu', 'qa-x']);
    assert.deepEqual(m.groups, [
      { stage: 'dev', start: 0, count: 2 },
      { stage: 'test', start: 2, count: 1 },
      { stage: 'prod', start: 3, count: 1 },
      { stage: 'zeta', start: 4, count: 1 },
    ]);
    assert.deepEqual(m.components, ['cart', 'pay']);
    assert.equal(m.at(0, 3)?.applied?.version, '1.0.0');
    assert.equal(m.at(1, 0), undefined);
    assert.deepEqual(m.options, { apps: ['billing', 'shop'], stages: ['dev', 'test', 'prod', 'zeta'], labels: ['region=eu'] });
  });

  it('filters by app, stage, label and component name', () => {
    assert.deepEqual(buildMatrix(items, clusters, { ...NO_FILTERS, app: 'billing' }).clusters, ['test-1']);
    assert.deepEqual(buildMatrix(items, clusters, { ...NO_FILTERS, stage: 'dev' }).clusters, ['dev-1', 'empty-1']);
    assert.deepEqual(buildMatrix(items, clusters, { ...NO_FILTERS, label: 'region=eu' }).clusters, ['prod-eu']);
    const byName = buildMatrix(items, clusters, { ...NO_FILTERS, component: 'PA' });
    assert.deepEqual([byName.components, byName.clusters], [['pay'], ['test-1']]);
  });

  it('describes a cell in words: applied, desired when it differs, health, drift, skew', () => {
    const view = cellView(item('prod-eu', 'cart', 'prod', '1.0.0', '1.1.0', { drift: { status: 'Drifted', fields: ['spec.replicas'], manager: 'kubectl', changedAt: at }, skew: { ...NO_SKEW, isAppliedSkewed: true } }));
    assert.equal(view.tone, 'healthy');
    assert.equal(view.desired, '1.1.0');
    assert.equal(view.label, 'cart on prod-eu, applied 1.0.0, desired 1.1.0, Healthy, drifted, versions differ within prod');
    assert.equal(cellView(item('dev-1', 'cart', 'dev', '1.1.0', '1.1.0', { sync: 'Failed' })).tone, 'failed');
    assert.equal(cellView(item('dev-1', 'cart', 'dev', null, '1.1.0', { health: null })).tone, 'pending');
  });

  it('merges live updates by (cluster, component), keeping the order', () => {
    const merged = mergeItems(items, [item('prod-eu', 'cart', 'prod', '1.1.0', '1.1.0'), item('dev-1', 'web', 'dev', '0.1.0', '0.1.0')]);
    assert.deepEqual(merged.map((i) => `${i.cluster}/${i.component}@${i.applied?.version}`), ['prod-eu/cart@1.1.0', 'dev-1/cart@1.1.0', 'test-1/pay@2.0.0', 'qa-x/cart@1.0.0', 'dev-1/web@0.1.0']);
  });
});
