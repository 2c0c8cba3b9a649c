/**
 * The fleet matrix model: components (rows) × clusters (columns, grouped by stage), filtered
 * by app, stage, cluster label and component name. Pure, so it is tested without a browser.
 */
import type { Cluster } from '../api/types.js';
import { cellKey, type FleetCell } from './fleet-cell.js';
import { compareStages, NO_STAGE } from './stages.js';

export interface MatrixFilters {
  app: string;
  stage: string;
  /** `key=value` of a cluster label. */
  label: string;
  /** Part of a component name. */
  component: string;
}

export const NO_FILTERS: MatrixFilters = { app: '', stage: '', label: '', component: '' };

export interface StageGroup {
  stage: string;
  /** Index of the group's first column. */
  start: number;
  count: number;
}

export interface Matrix {
  components: string[];
  clusters: string[];
  groups: StageGroup[];
  /** The item at a row and column, if that component is on that cluster. */
  at(row: number, column: number): FleetCell | undefined;
  /** Filter choices, from the whole fleet (not just what the filters leave). */
  options: { apps: string[]; stages: string[]; labels: string[] };
}

export function buildMatrix(items: readonly FleetCell[], clusters: readonly Cluster[], filters: MatrixFilters): Matrix {
  const stageOf = new Map<string, string>();
  const labelsOf = new Map<string, Record<string, string>>();
  for (const c of clusters) {
    stageOf.set(c.name, c.stage ?? NO_STAGE);
    labelsOf.set(c.name, c.labels);
  }
  for (const item of items) if (!stageOf.has(item.cluster)) stageOf.set(item.cluster, item.stage ?? NO_STAGE);

  const apps = new Set<string>();
  for (const item of items) for (const app of item.apps) apps.add(app);
  const labels = new Set<string>();
  for (const l of labelsOf.values()) for (const [k, v] of Object.entries(l)) labels.add(`${k}=${v}`);

  const [labelKey, labelValue] = filters.label.includes('=') ? [filters.label.slice(0, filters.label.indexOf('=')), filters.label.slice(filters.label.indexOf('=') + 1)] : [undefined, undefined];
  const isClusterShown = (name: string) =>
    (filters.stage === '' || stageOf.get(name) === filters.stage) && (labelKey === undefined || labelsOf.get(name)?.[labelKey] === labelValue);
  const needle = filters.component.trim().toLowerCase();
  const isItemShown = (item: FleetCell) =>
    isClusterShown(item.cluster) && (filters.app === '' || item.apps.includes(filters.app)) && (needle === '' || item.component.toLowerCase().includes(needle));

  const cells = new Map<string, FleetCell>();
  const componentSet = new Set<string>();
  const clusterSet = new Set<string>();
  for (const item of items) {
    if (!isItemShown(item)) continue;
    cells.set(cellKey(item.component, item.cluster), item);
    componentSet.add(item.component);
    clusterSet.add(item.cluster);
  }
  // Without app or component filters, a cluster with nothing on it yet still gets its column.
  if (filters.app === '' && needle === '') for (const name of stageOf.keys()) if (isClusterShown(name)) clusterSet.add(name);

  const orderedClusters = [...clusterSet].sort((a, b) => compareStages(stageOf.get(a) ?? NO_STAGE, stageOf.get(b) ?? NO_STAGE) || a.localeCompare(b));
  const groups: StageGroup[] = [];
  orderedClusters.forEach((name, i) => {
    const stage = stageOf.get(name) ?? NO_STAGE;
    const last = groups.at(-1);
    if (last?.stage === stage) last.count++;
    else groups.push({ stage, start: i, count: 1 });
  });
  const components = [...componentSet].sort((a, b) => a.localeCompare(b));

  return {
    components,
    clusters: orderedClusters,
    groups,
    at: (row, column) => {
      const component = components[row];
      const cluster = orderedClusters[column];
      return component === undefined || cluster === undefined ? undefined : cells.get(cellKey(component, cluster));
    },
    options: {
      apps: [...apps].sort(),
      stages: [...new Set(stageOf.values())].sort(compareStages),
      labels: [...labels].sort(),
    },
  };
}
