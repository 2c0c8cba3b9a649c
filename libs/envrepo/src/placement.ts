/**
 * Where components run and with what: which apps place which component on which cluster, and
 * the version and merged values each (cluster, component) pair gets — or why it cannot get one
 * (no version, a broken version file, two apps that disagree).
 */
import { canonicalJson } from './canonical.js';
import { RenderError } from './errors.js';
import type { AppDef, ClusterDef, ClusterSelector, ComponentDef, ComponentOptions, Environment, Placement, VersionTable } from './model.js';
import { ENVIRONMENT_FILE } from './schema.js';
import { isPlainObject, mergeValues } from './values.js';
import { formatPath, type YamlPath } from './yaml-file.js';

export function selects(selector: ClusterSelector, cluster: ClusterDef): boolean {
  if (selector.names && !selector.names.includes(cluster.name)) return false;
  if (selector.stages && !selector.stages.includes(cluster.stage)) return false;
  if (selector.labels) {
    for (const [key, value] of Object.entries(selector.labels)) {
      if (!Object.hasOwn(cluster.labels, key) || cluster.labels[key] !== value) return false;
    }
  }
  return true;
}

export const pairKey = (cluster: string, component: string) => `${cluster}/${component}`;

/** Every placed pair (sorted by cluster, then component) and warnings about things placed nowhere. */
export function computePlacements(
  clusters: ReadonlyMap<string, ClusterDef>,
  components: ReadonlyMap<string, ComponentDef>,
  apps: ReadonlyMap<string, AppDef>,
): { placements: Placement[]; warnings: string[] } {
  const warnings: string[] = [];
  const byPair = new Map<string, { cluster: ClusterDef; component: string; apps: string[] }>();
  const used = new Set<string>();
  for (const app of [...apps.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const selected = [...clusters.values()].filter((cluster) => selects(app.clusters, cluster));
    if (selected.length === 0) warnings.push(`apps.${app.name}.clusters: selects no cluster, so the app is deployed nowhere`);
    for (const component of app.components) {
      used.add(component);
      for (const cluster of selected) {
        const key = pairKey(cluster.name, component);
        const pair = byPair.get(key);
        if (pair) pair.apps.push(app.name);
        else byPair.set(key, { cluster, component, apps: [app.name] });
      }
    }
  }
  for (const name of components.keys()) {
    if (!used.has(name)) warnings.push(`components.${name}: no app uses it, so it is deployed nowhere`);
  }
  const placements = [...byPair.values()]
    .map(({ cluster, component, apps: names }) => Object.freeze({ cluster: cluster.name, component, stage: cluster.stage, apps: Object.freeze(names) }))
    .sort((a, b) => (a.cluster === b.cluster ? (a.component < b.component ? -1 : 1) : a.cluster < b.cluster ? -1 : 1));
  return { placements, warnings };
}

/** Everything needed to render one pair. */
export interface ResolvedPair {
  readonly placement: Placement;
  readonly cluster: ClusterDef;
  readonly component: ComponentDef;
  readonly version: string;
  readonly values: unknown;
  readonly options: ComponentOptions;
}

type Lookup = { ok: true; version: string } | { ok: false; error: RenderError } | { ok: true; version: undefined };

function fromTable(table: VersionTable | undefined, component: string): Lookup {
  if (!table) return { ok: true, version: undefined };
  if (table.error) return { ok: false, error: table.error };
  const entry = table.entries.get(component);
  if (entry === undefined) return { ok: true, version: undefined };
  if (entry instanceof RenderError) return { ok: false, error: entry };
  return { ok: true, version: entry.version };
}

/** The first path where two values differ, for saying what two apps disagree about. */
function firstDifference(a: unknown, b: unknown, path: (string | number)[] = []): YamlPath | undefined {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const found = firstDifference(Object.hasOwn(a, key) ? a[key] : undefined, Object.hasOwn(b, key) ? b[key] : undefined, [...path, key]);
      if (found) return found;
    }
    return undefined;
  }
  return canonicalJson(a ?? null) === canonicalJson(b ?? null) && (a === undefined) === (b === undefined) ? undefined : path;
}

function valueAt(root: unknown, path: YamlPath): string {
  let current = root;
  for (const part of path) current = isPlainObject(current) && Object.hasOwn(current, String(part)) ? current[String(part)] : undefined;
  return current === undefined ? 'nothing' : JSON.stringify(current);
}

/** The version and values a pair gets, or the RenderError (scoped to the pair) explaining why it has none. */
export function resolvePair(model: Environment, placement: Placement): ResolvedPair | RenderError {
  const { cluster: clusterName, component: componentName, stage } = placement;
  const cluster = model.clusters.get(clusterName);
  const component = model.components.get(componentName);
  if (!cluster || !component) throw new Error(`placement ${clusterName}/${componentName} is not in the model`);
  const scoped = (error: RenderError) => error.forPair(clusterName, componentName);

  const pin = fromTable(model.clusterPins.get(clusterName), componentName);
  if (!pin.ok) return scoped(pin.error);
  let stageVersion: Lookup | undefined;
  const versionFor = (app: AppDef): string | RenderError => {
    if (pin.version !== undefined) return pin.version;
    const override = app.overrides.get(componentName)?.version;
    if (override !== undefined) return override;
    stageVersion ??= fromTable(model.stageVersions.get(stage), componentName);
    if (!stageVersion.ok) return scoped(stageVersion.error);
    if (stageVersion.version !== undefined) return stageVersion.version;
    const file = model.stageVersions.get(stage)?.file ?? `versions/${stage}.yaml`;
    return new RenderError(
      { file, reason: `no version for component ${componentName} at stage ${stage}: add the line "${componentName}: <version>" to ${file} (or pin it in versions/clusters/${clusterName}.yaml)` },
      { cluster: clusterName, component: componentName },
    );
  };
  const valuesFor = (app: AppDef): unknown => {
    let values: unknown = component.values;
    const override = app.overrides.get(componentName)?.values;
    if (override) values = mergeValues(values, override);
    values = mergeValues(values, cluster.values);
    const own = cluster.componentValues.get(componentName);
    return own ? mergeValues(values, own) : values;
  };

  const apps = placement.apps.map((name) => {
    const app = model.apps.get(name);
    if (!app) throw new Error(`app ${name} is not in the model`);
    return app;
  });
  const first = apps[0];
  if (!first) throw new Error(`placement ${clusterName}/${componentName} has no app`);
  const version = versionFor(first);
  if (version instanceof RenderError) return version;
  const values = valuesFor(first);
  // Apps without overrides for this component all get exactly what the first one gets.
  for (const other of apps.slice(1)) {
    if (!other.overrides.has(componentName) && !first.overrides.has(componentName)) continue;
    const otherVersion = versionFor(other);
    if (otherVersion instanceof RenderError) return otherVersion;
    const otherValues = valuesFor(other);
    const blame = other.overrides.has(componentName) ? other : first;
    const path: YamlPath = ['apps', blame.name, 'overrides', componentName];
    const conflict = (what: string) =>
      new RenderError(
        {
          file: ENVIRONMENT_FILE,
          line: model.lineOf(path),
          path: formatPath(path),
          reason: `apps ${first.name} and ${other.name} disagree about component ${componentName} on cluster ${clusterName}: ${what}`,
        },
        { cluster: clusterName, component: componentName },
      );
    if (otherVersion !== version) {
      return conflict(
        `${first.name} wants version ${version}, ${other.name} wants ${otherVersion}; make their overrides agree or pin a version in versions/clusters/${clusterName}.yaml`,
      );
    }
    const difference = firstDifference(values, otherValues);
    if (difference) {
      const at = formatPath(['values', ...difference]);
      return conflict(`${at} is ${valueAt(values, difference)} for ${first.name} but ${valueAt(otherValues, difference)} for ${other.name}; make their overrides agree`);
    }
  }
  return { placement, cluster, component, version, values, options: component.options };
}
