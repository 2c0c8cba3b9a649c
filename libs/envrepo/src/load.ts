/**
 * loadEnvironment: driftless.yaml and the version files at one commit, read through the
 * RepoReader port, validated into an immutable Environment. Problems in driftless.yaml stop the
 * load (every one is reported); problems in a version file only break the pairs that need it.
 */
import { canonicalJson } from './canonical.js';
import { RenderError } from './errors.js';
import { resolveLimits, type Limits } from './limits.js';
import type { AppDef, ClusterDef, ComponentDef, Environment, Placement } from './model.js';
import { computePlacements } from './placement.js';
import type { RepoReader } from './ports.js';
import { blobId, listDir, readFile } from './read.js';
import { asLru, type LruTemplateCache, type TemplateCache } from './template-cache.js';
import { CLUSTER_PINS_DIR, ENVIRONMENT_FILE, VERSIONS_DIR, type EnvironmentFile } from './schema.js';
import { normaliseFolder, validateEnvironmentFile } from './validate.js';
import { deepFreeze } from './values.js';
import { clusterPinsFile, loadVersionTable, stageVersionsFile, type LoadedVersionTable } from './versions.js';
import { alternatives } from './words.js';
import { formatPath, parseYaml, type YamlPath } from './yaml-file.js';

const YAML_FILE = /^(.*)\.ya?ml$/;

function definitions(file: EnvironmentFile) {
  const clusters = new Map<string, ClusterDef>();
  for (const [name, c] of Object.entries(file.clusters)) {
    clusters.set(
      name,
      deepFreeze({
        name,
        stage: c.stage,
        labels: c.labels ?? {},
        values: c.values ?? {},
        componentValues: new Map(Object.entries(c.componentValues ?? {})),
      }),
    );
  }
  const components = new Map<string, ComponentDef>();
  for (const [name, c] of Object.entries(file.components)) {
    const folder = normaliseFolder(c.path);
    components.set(
      name,
      deepFreeze({
        name,
        path: folder.ok ? folder.path : c.path,
        values: c.values ?? {},
        options: {
          isDriftCorrectionEnabled: c.options?.driftCorrection ?? true,
          maxPruneShare: c.options?.prune?.maxShare ?? 0.5,
          isNamespacePruneAllowed: c.options?.prune?.namespaces ?? false,
        },
      }),
    );
  }
  const apps = new Map<string, AppDef>();
  for (const [name, a] of Object.entries(file.apps)) {
    apps.set(
      name,
      deepFreeze({
        name,
        components: a.components,
        clusters: a.clusters,
        overrides: new Map(Object.entries(a.overrides ?? {})),
      }),
    );
  }
  return { clusters, components, apps };
}

/** Warnings for version files that match no stage or cluster (a typo, or one left behind). */
async function strayVersionFiles(reader: RepoReader, dir: string, known: ReadonlySet<string>, kind: string, file: (name: string) => string): Promise<string[]> {
  const entries = (await listDir(reader, dir)) ?? [];
  const warnings: string[] = [];
  for (const entry of entries) {
    const match = YAML_FILE.exec(entry.name);
    if (entry.type !== 'file' || !match) continue;
    const name = match[1] ?? '';
    const path = `${dir}/${entry.name}`;
    if (!known.has(name)) warnings.push(`${path}: there is no ${kind} "${name}"${alternatives(`${kind}s`, name, known)}; the file is ignored`);
    else if (path !== file(name)) warnings.push(`${path}: name it ${file(name)}; the file is ignored`);
  }
  return warnings;
}

/** What driftless.yaml alone determines; cached by its content so an unchanged file is not parsed again. */
interface Structure {
  readonly stages: readonly string[];
  readonly clusters: ReadonlyMap<string, ClusterDef>;
  readonly components: ReadonlyMap<string, ComponentDef>;
  readonly apps: ReadonlyMap<string, AppDef>;
  readonly placements: readonly Placement[];
  readonly warnings: readonly string[];
  readonly lineOf: (path: YamlPath) => number | undefined;
}

function structureOf(bytes: Uint8Array, limits: Limits): Structure {
  const parsed = parseYaml(bytes, ENVIRONMENT_FILE, limits);
  const documents = parsed.documents.filter((d) => d.value !== null);
  if (documents.length === 0) throw new RenderError({ file: ENVIRONMENT_FILE, reason: `${ENVIRONMENT_FILE} is empty` });
  if (documents.length > 1) throw new RenderError({ file: ENVIRONMENT_FILE, line: documents[1]?.line, reason: 'must be a single YAML document' });
  const index = parsed.documents.indexOf(documents[0] as (typeof documents)[number]);
  const lineOf = (path: YamlPath) => parsed.lineOf(index, path);

  const validation = validateEnvironmentFile(documents[0]?.value);
  if (!validation.ok) {
    const problems = validation.problems
      .map((p) => ({ file: ENVIRONMENT_FILE, line: lineOf(p.path), ...(p.path.length > 0 ? { path: formatPath(p.path) } : {}), reason: p.reason }))
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new RenderError(problems);
  }
  // Frozen once here, the parsed values can be shared by every render without copying.
  const { clusters, components, apps } = definitions(deepFreeze(validation.file));
  const { placements, warnings } = computePlacements(clusters, components, apps);
  return {
    stages: Object.freeze([...validation.file.stages]),
    clusters,
    components,
    apps,
    placements: Object.freeze(placements),
    warnings: Object.freeze(warnings),
    lineOf,
  };
}

async function loadStructure(reader: RepoReader, limits: Limits, cache: LruTemplateCache | undefined, limitsKey: string): Promise<Structure> {
  const id = cache && reader.blobId ? await blobId(reader, ENVIRONMENT_FILE) : undefined;
  const key = id === undefined ? undefined : `${limitsKey}\0${ENVIRONMENT_FILE}\0${id}`;
  const known = key === undefined ? undefined : cache?.getEnvironment<Structure | RenderError>(key);
  if (known !== undefined) {
    if (known instanceof RenderError) throw known;
    return known;
  }
  const bytes = await readFile(reader, ENVIRONMENT_FILE);
  if (bytes === undefined) {
    throw new RenderError({ file: ENVIRONMENT_FILE, reason: `there is no ${ENVIRONMENT_FILE} at the root of the repository` });
  }
  let structure: Structure | RenderError;
  try {
    structure = structureOf(bytes, limits);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    structure = err;
  }
  if (key !== undefined) cache?.setEnvironment(key, structure);
  if (structure instanceof RenderError) throw structure;
  return structure;
}

export interface LoadOptions {
  /**
   * The cache given to the render calls. With a reader offering blob ids, an unchanged
   * driftless.yaml or version file is then neither read nor parsed again.
   */
  readonly cache?: TemplateCache;
}

/**
 * Reads and validates the environment at one commit. Throws a RenderError listing every problem
 * in driftless.yaml (each with its line and path, e.g. `clusters.prod-eu.stage: unknown stage …`).
 * Errors the reader throws for an outage (UnavailableError) pass through unchanged.
 */
export async function loadEnvironment(reader: RepoReader, limits?: Partial<Limits>, options: LoadOptions = {}): Promise<Environment> {
  const resolvedLimits = resolveLimits(limits);
  const cache = options.cache === undefined ? undefined : asLru(options.cache);
  const limitsKey = canonicalJson(resolvedLimits);
  const { stages, clusters, components, apps, placements, lineOf, ...structure } = await loadStructure(reader, resolvedLimits, cache, limitsKey);

  // Version files: their problems are kept in the tables, not thrown, so they break only the pairs needing them.
  const componentNames = new Set(components.keys());
  const tableCache = cache && {
    key: limitsKey,
    get: (key: string) => cache.getEnvironment<LoadedVersionTable>(key),
    set: (key: string, value: LoadedVersionTable) => cache.setEnvironment(key, value),
  };
  const pinFiles = ((await listDir(reader, CLUSTER_PINS_DIR)) ?? [])
    .filter((entry) => entry.type === 'file' && entry.name.endsWith('.yaml') && clusters.has(entry.name.slice(0, -'.yaml'.length)))
    .map((entry) => entry.name.slice(0, -'.yaml'.length));
  const [stageTables, pinTables, stray] = await Promise.all([
    Promise.all(stages.map(async (stage) => [stage, await loadVersionTable(reader, stageVersionsFile(stage), componentNames, resolvedLimits, tableCache)] as const)),
    Promise.all(pinFiles.map(async (cluster) => [cluster, await loadVersionTable(reader, clusterPinsFile(cluster), componentNames, resolvedLimits, tableCache)] as const)),
    Promise.all([
      strayVersionFiles(reader, VERSIONS_DIR, new Set(stages), 'stage', stageVersionsFile),
      strayVersionFiles(reader, CLUSTER_PINS_DIR, new Set(clusters.keys()), 'cluster', clusterPinsFile),
    ]),
  ]);
  const warnings = [...structure.warnings, ...stray.flat()];
  for (const [, loaded] of [...stageTables, ...pinTables]) warnings.push(...loaded.warnings);
  if (pinTables.length > 0) {
    const placed = new Set(placements.map((p) => `${p.cluster}/${p.component}`));
    for (const [cluster, { table }] of pinTables) {
      for (const component of table.entries.keys()) {
        if (!placed.has(`${cluster}/${component}`)) warnings.push(`${table.file}: pins ${component}, which no app places on cluster ${cluster}; the pin does nothing`);
      }
    }
  }
  warnings.sort();

  return Object.freeze({
    stages,
    clusters,
    components,
    apps,
    stageVersions: new Map(stageTables.map(([stage, loaded]) => [stage, loaded.table])),
    clusterPins: new Map(pinTables.map(([cluster, loaded]) => [cluster, loaded.table])),
    placements,
    warnings: Object.freeze(warnings),
    limits: resolvedLimits,
    lineOf,
  });
}
