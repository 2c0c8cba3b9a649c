/** The validated environment: what `loadEnvironment` returns and the renderer consumes. Immutable. */
import type { DesiredState } from '@driftless/contracts';
import type { RenderError } from './errors.js';
import type { Limits } from './limits.js';
import type { YamlPath } from './yaml-file.js';

export type Values = Readonly<Record<string, unknown>>;
export type ComponentOptions = DesiredState['options'];

export interface ClusterDef {
  readonly name: string;
  readonly stage: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly values: Values;
  /** Values for single components on this cluster, by component name. */
  readonly componentValues: ReadonlyMap<string, Values>;
}

export interface ComponentDef {
  readonly name: string;
  /** Normalised folder path, no leading or trailing slash. */
  readonly path: string;
  readonly values: Values;
  readonly options: ComponentOptions;
}

export interface ClusterSelector {
  readonly stages?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly names?: readonly string[];
}

export interface AppOverride {
  readonly values?: Values;
  readonly version?: string;
}

export interface AppDef {
  readonly name: string;
  readonly components: readonly string[];
  readonly clusters: ClusterSelector;
  readonly overrides: ReadonlyMap<string, AppOverride>;
}

export interface VersionEntry {
  readonly version: string;
  readonly line: number | undefined;
}

/**
 * One version file (`versions/<stage>.yaml` or `versions/clusters/<cluster>.yaml`). A broken file
 * breaks only the (cluster, component) pairs that need it, so it is kept as an error, not thrown.
 */
export interface VersionTable {
  readonly file: string;
  /** Set when the whole file is unusable (invalid YAML, not a map, too big). */
  readonly error: RenderError | undefined;
  /** Entries by component; a bad entry breaks only that component. */
  readonly entries: ReadonlyMap<string, VersionEntry | RenderError>;
}

/** One (cluster, component) pair placed by at least one app. */
export interface Placement {
  readonly cluster: string;
  readonly component: string;
  readonly stage: string;
  /** Names of the apps placing it, sorted. */
  readonly apps: readonly string[];
}

export interface Environment {
  readonly stages: readonly string[];
  readonly clusters: ReadonlyMap<string, ClusterDef>;
  readonly components: ReadonlyMap<string, ComponentDef>;
  readonly apps: ReadonlyMap<string, AppDef>;
  /** By stage; a stage without a file has an empty table. */
  readonly stageVersions: ReadonlyMap<string, VersionTable>;
  /** By cluster; only clusters with a pin file appear. */
  readonly clusterPins: ReadonlyMap<string, VersionTable>;
  /** Every placed pair, sorted by cluster then component. */
  readonly placements: readonly Placement[];
  /** Things that are allowed but probably unintended (an unused component, an app on no cluster). */
  readonly warnings: readonly string[];
  readonly limits: Limits;
  /** 1-based line of a path in driftless.yaml (or of its nearest ancestor), for error messages. */
  readonly lineOf: (path: YamlPath) => number | undefined;
}
