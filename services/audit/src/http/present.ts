/** Core and port values → the JSON shapes of the API (times as RFC 3339 strings). */
import type { LedgerRow } from '../core/ledger.js';
import { NO_SKEW, skewOf, skewKey, type StageVersions } from '../core/skew.js';
import { syncOf, syncStatusOf } from '../core/state.js';
import type { ClusterSummary, InventoryCell, InventoryRow } from '../ports.js';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function presentTransition(row: LedgerRow) {
  return { ...row, occurredAt: row.occurredAt.toISOString(), recordedAt: row.recordedAt.toISOString() };
}

export function presentInventory(rows: readonly InventoryRow[], stageVersions: readonly StageVersions[]) {
  // One skew per (stage, component), shared by every row of the group.
  const skews = new Map(stageVersions.map((v) => [skewKey(v.stage, v.component), skewOf(v)]));
  return rows.map(({ state, stage }) => ({
    cluster: state.cluster,
    component: state.component,
    stage,
    apps: state.placement?.apps ?? [],
    desired: state.desired && {
      version: state.desired.version,
      revision: state.desired.commitSha,
      hash: state.desired.hash,
      isRemoved: state.desired.isRemoved,
      changedAt: state.desired.at.toISOString(),
    },
    applied: state.applied && {
      version: state.applied.version,
      revision: state.applied.commitSha,
      hash: state.applied.hash,
      changedAt: state.applied.at.toISOString(),
    },
    health: state.health && { status: state.health.status, changedAt: state.health.at.toISOString() },
    drift: state.drift && { status: state.drift.status, fields: state.drift.fields, manager: state.drift.manager, changedAt: state.drift.at.toISOString() },
    problem: state.problem && { kind: state.problem.kind, reason: state.problem.reason, changedAt: state.problem.at.toISOString() },
    sync: syncStatusOf(state),
    skew: (stage === null ? undefined : skews.get(skewKey(stage, state.component))) ?? NO_SKEW,
  }));
}

/** Cells → the fleet matrix: names once in sorted lists, rows as arrays in `MATRIX_COLUMNS` order. */
export function presentMatrix(cells: readonly InventoryCell[], stageVersions: readonly StageVersions[], isSkewedFilter: boolean | undefined) {
  const skews = new Map(stageVersions.map((v) => [skewKey(v.stage, v.component), skewOf(v)]));
  const isSkewed = (c: InventoryCell) => {
    const skew = c.stage === null ? undefined : skews.get(skewKey(c.stage, c.component));
    return skew !== undefined && (skew.isDesiredSkewed || skew.isAppliedSkewed);
  };
  const kept = isSkewedFilter === undefined ? cells : cells.filter((c) => isSkewed(c) === isSkewedFilter);
  const clusters = [...new Set(kept.map((c) => c.cluster))].sort();
  const components = [...new Set(kept.map((c) => c.component))].sort();
  const clusterIndex = new Map(clusters.map((name, i) => [name, i]));
  const componentIndex = new Map(components.map((name, i) => [name, i]));
  const rows = kept.map((c) => [
    clusterIndex.get(c.cluster) ?? -1,
    componentIndex.get(c.component) ?? -1,
    c.stage,
    c.desiredVersion,
    c.appliedVersion,
    c.health,
    syncOf(c),
    c.isDrifted,
    isSkewed(c),
    c.hasProblem,
  ]);
  return { clusters, components, rows };
}

export function presentCluster(c: ClusterSummary) {
  return {
    ...c,
    byHealth: {
      Healthy: c.byHealth['Healthy'] ?? 0,
      Progressing: c.byHealth['Progressing'] ?? 0,
      Degraded: c.byHealth['Degraded'] ?? 0,
      Missing: c.byHealth['Missing'] ?? 0,
      Unknown: c.byHealth['Unknown'] ?? 0,
    },
    registeredAt: iso(c.registeredAt),
    revokedAt: iso(c.revokedAt),
    lastHeartbeatAt: iso(c.lastHeartbeatAt),
  };
}
