/**
 * One (cluster, component) of the fleet as the matrix needs it, decoded from the audit
 * service's compact matrix (`GET /v1/inventory/matrix`, rows of positional values) by the
 * column names the response itself lists, so a reordered column cannot be misread.
 */
import type { Health, InventoryItem, InventoryMatrix, Sync } from '../api/types.js';

export interface FleetCell {
  cluster: string;
  component: string;
  stage: string | null;
  desiredVersion: string | null;
  appliedVersion: string | null;
  health: Health | null;
  sync: Sync;
  isDrifted: boolean;
  /** The stage runs or wants several versions of the component. */
  isSkewed: boolean;
  hasProblem: boolean;
  /** Apps placing the component there; empty until the full inventory has been read. */
  apps: readonly string[];
}

const HEALTHS = ['Healthy', 'Progressing', 'Degraded', 'Missing', 'Unknown'] as const satisfies readonly Health[];
const SYNCS = ['Synced', 'OutOfSync', 'Failed', 'Removed', 'Unknown'] as const satisfies readonly Sync[];
const NEEDED = ['cluster', 'component', 'stage', 'desiredVersion', 'appliedVersion', 'health', 'sync', 'isDrifted', 'isSkewed', 'hasProblem'] as const;

/** The response did not have the shape this UI reads. */
export class MatrixShapeError extends Error {
  override readonly name: string = 'MatrixShapeError';
}

type Value = InventoryMatrix['rows'][number][number];

const text = (v: Value | undefined): string | null => (typeof v === 'string' ? v : null);
const flag = (v: Value | undefined): boolean => v === true;
const oneOf = <T extends string>(allowed: readonly T[], v: Value | undefined): T | null => (typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : null);

export function cellsFromMatrix(doc: InventoryMatrix): FleetCell[] {
  const index = Object.fromEntries(NEEDED.map((name) => [name, doc.columns.indexOf(name)])) as Record<(typeof NEEDED)[number], number>;
  const missing = NEEDED.filter((name) => index[name] < 0);
  if (missing.length > 0) throw new MatrixShapeError(`the fleet matrix response has no ${missing.join(', ')} column (columns: ${doc.columns.join(', ')})`);
  return doc.rows.map((row) => {
    const cluster = doc.clusters[Number(row[index.cluster])];
    const component = doc.components[Number(row[index.component])];
    if (cluster === undefined || component === undefined) throw new MatrixShapeError(`a fleet matrix row points at no cluster or component: ${JSON.stringify(row)}`);
    return {
      cluster,
      component,
      stage: text(row[index.stage]),
      desiredVersion: text(row[index.desiredVersion]),
      appliedVersion: text(row[index.appliedVersion]),
      health: oneOf(HEALTHS, row[index.health]),
      sync: oneOf(SYNCS, row[index.sync]) ?? 'Unknown',
      isDrifted: flag(row[index.isDrifted]),
      isSkewed: flag(row[index.isSkewed]),
      hasProblem: flag(row[index.hasProblem]),
      apps: [],
    };
  });
}

export const cellKey = (component: string, cluster: string): string => `${component}\u0000${cluster}`;

/** Apps of every (component, cluster) in a full inventory listing. */
export function appsOf(items: readonly InventoryItem[]): Map<string, readonly string[]> {
  return new Map(items.map((i) => [cellKey(i.component, i.cluster), i.apps]));
}

export function withApps(cells: readonly FleetCell[], apps: ReadonlyMap<string, readonly string[]>): FleetCell[] {
  return cells.map((c) => ({ ...c, apps: apps.get(cellKey(c.component, c.cluster)) ?? c.apps }));
}

/** Replaces the cells of `updates`' pairs (keeping the apps already known), keeping the order of the rest. */
export function mergeCells(cells: readonly FleetCell[], updates: readonly FleetCell[]): FleetCell[] {
  const byKey = new Map(updates.map((u) => [cellKey(u.component, u.cluster), u]));
  const merged = cells.map((cell) => {
    const key = cellKey(cell.component, cell.cluster);
    const update = byKey.get(key);
    if (!update) return cell;
    byKey.delete(key);
    return update.apps.length === 0 ? { ...update, apps: cell.apps } : update;
  });
  return [...merged, ...byKey.values()];
}
