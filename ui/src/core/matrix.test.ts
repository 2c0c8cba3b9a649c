import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Cluster, InventoryMatrix } from '../api/types.js';
import { cellView } from './cell.js';
import { cellsFromMatrix, mergeCells, withApps, type FleetCell } from './fleet-cell.js';
import { buildMatrix, NO_FILTERS } from './matrix.js';

const at = '2026-11-27T10:00:00.000Z';

function cell(cluster: string, component: string, stage: string, applied: string | null, desired: string, extra: Partial<FleetCell> = {}): FleetCell {
  return {
    cluster,
    component,
    stage,
    desiredVersion: desired,
    appliedVersion: applied,
    health: 'Healthy',
    sync: applied === desired ? 'Synced' : 'OutOfSync',
    isDrifted: false,
    isSkewed: false,
    hasProblem: false,
    apps: ['shop'],
    ...extra,
  };
}

function cluster(name: string, stage: string, labels: Record<string, string> = {}): Cluster {
  return { name, stage, labels, registeredAt: at, revokedAt: null, lastHeartbeatAt: at, agentVersion: '0.1.0', componentCount: 0, byHealth: { Healthy: 0, Progressing: 0, Degraded: 0, Missing: 0, Unknown: 0 }, driftedCount: 0, failingCount: 0 };
}

const clusters = [cluster('prod-eu', 'prod', { region: 'eu' }), cluster('dev-1', 'dev'), cluster('qa-x', 'zeta'), cluster('test-1', 'test'), cluster('empty-1', 'dev')];
const cells = [
  cell('prod-eu', 'cart', 'prod', '1.0.0', '1.1.0'),
  cell('dev-1', 'cart', 'dev', '1.1.0', '1.1.0'),
  cell('test-1', 'pay', 'test', '2.0.0', '2.0.0', { apps: ['billing'] }),
  cell('qa-x', 'cart', 'zeta', '1.0.0', '1.0.0'),
];

describe('fleet matrix model', () => {
  it('orders clusters by stage (usual promotion order, then by name) and components by name', () => {
    const m = buildMatrix(cells, clusters, NO_FILTERS);
    assert.deepEqual(m.clusters, ['dev-1', 'empty-1', 'test-1', 'prod-eu', 'qa-x']);
    assert.deepEqual(m.groups, [
      { stage: 'dev', start: 0, count: 2 },
      { stage: 'test', start: 2, count: 1 },
      { stage: 'prod', start: 3, count: 1 },
      { stage: 'zeta', start: 4, count: 1 },
    ]);
    assert.deepEqual(m.components, ['cart', 'pay']);
    assert.equal(m.at(0, 3)?.appliedVersion, '1.0.0');
    assert.equal(m.at(1, 0), undefined);
    assert.deepEqual(m.options, { apps: ['billing', 'shop'], stages: ['dev', 'test', 'prod', 'zeta'], labels: ['region=eu'] });
  });

  it('filters by app, stage, label and component name', () => {
    assert.deepEqual(buildMatrix(cells, clusters, { ...NO_FILTERS, app: 'billing' }).clusters, ['test-1']);
    assert.deepEqual(buildMatrix(cells, clusters, { ...NO_FILTERS, stage: 'dev' }).clusters, ['dev-1', 'empty-1']);
    assert.deepEqual(buildMatrix(cells, clusters, { ...NO_FILTERS, label: 'region=eu' }).clusters, ['prod-eu']);
    const byName = buildMatrix(cells, clusters, { ...NO_FILTERS, component: 'PA' });
    assert.deepEqual([byName.components, byName.clusters], [['pay'], ['test-1']]);
  });

  it('describes a cell in words: applied, desired when it differs, health, drift, skew', () => {
    const view = cellView(cell('prod-eu', 'cart', 'prod', '1.0.0', '1.1.0', { isDrifted: true, isSkewed: true }));
    assert.equal(view.tone, 'healthy');
    assert.equal(view.desired, '1.1.0');
    assert.equal(view.label, 'cart on prod-eu, applied 1.0.0, desired 1.1.0, Healthy, drifted, versions differ within prod');
    assert.equal(cellView(cell('dev-1', 'cart', 'dev', '1.1.0', '1.1.0', { sync: 'Failed' })).tone, 'failed');
    assert.equal(cellView(cell('dev-1', 'cart', 'dev', null, '1.1.0', { health: null })).tone, 'pending');
    assert.equal(cellView(cell('dev-1', 'cart', 'dev', '1.0.0', '1.1.0', { sync: 'Removed' })).desired, null);
  });

  it('merges live updates by (cluster, component), keeping the order and the apps already known', () => {
    const merged = mergeCells(cells, [cell('prod-eu', 'cart', 'prod', '1.1.0', '1.1.0', { apps: [] }), cell('dev-1', 'web', 'dev', '0.1.0', '0.1.0')]);
    assert.deepEqual(merged.map((c) => `${c.cluster}/${c.component}@${c.appliedVersion}`), ['prod-eu/cart@1.1.0', 'dev-1/cart@1.1.0', 'test-1/pay@2.0.0', 'qa-x/cart@1.0.0', 'dev-1/web@0.1.0']);
    assert.deepEqual(merged[0]?.apps, ['shop']);
    assert.deepEqual(withApps(merged, new Map([['cart\u0000prod-eu', ['kiosk']]]))[0]?.apps, ['kiosk']);
  });
});

describe('compact fleet matrix decoding', () => {
  const doc: InventoryMatrix = {
    clusters: ['dev-1', 'prod-eu'],
    components: ['cart'],
    // Columns in an order other than the service's today: decoding goes by name.
    columns: ['component', 'cluster', 'stage', 'appliedVersion', 'desiredVersion', 'health', 'sync', 'isSkewed', 'isDrifted', 'hasProblem'],
    rows: [
      [0, 1, 'prod', '1.0.0', '1.1.0', 'Degraded', 'OutOfSync', true, false, false],
      [0, 0, 'dev', '1.1.0', '1.1.0', null, 'Synced', false, true, true],
    ],
    nextCursor: null,
  };

  it('reads rows by the column names the response lists', () => {
    const [prod, dev] = cellsFromMatrix(doc);
    assert.deepEqual(prod, { cluster: 'prod-eu', component: 'cart', stage: 'prod', desiredVersion: '1.1.0', appliedVersion: '1.0.0', health: 'Degraded', sync: 'OutOfSync', isDrifted: false, isSkewed: true, hasProblem: false, apps: [] });
    assert.equal(dev?.health, null);
    assert.equal(dev?.isDrifted, true);
  });

  it('names a missing column or a dangling index', () => {
    assert.throws(() => cellsFromMatrix({ ...doc, columns: doc.columns.filter((c) => c !== 'sync') }), /no sync column/);
    assert.throws(() => cellsFromMatrix({ ...doc, rows: [[0, 7, 'dev', null, null, null, 'Unknown', false, false, false]] }), /points at no cluster or component/);
  });
});
