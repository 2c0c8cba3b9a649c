/** The environment-repository format and its renderer: pure, reading files only through a RepoReader. */
export type { DirEntry, RepoReader } from './ports.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.js';
export { RenderError, type RenderProblem } from './errors.js';
export {
  API_VERSION,
  CLUSTER_PINS_DIR,
  ENVIRONMENT_FILE,
  ENVIRONMENT_KIND,
  EnvironmentFileSchema,
  VERSIONS_DIR,
  environmentJsonSchema,
  type EnvironmentFile,
} from './schema.js';
export type {
  AppDef,
  AppOverride,
  ClusterDef,
  ClusterSelector,
  ComponentDef,
  ComponentOptions,
  Environment,
  Placement,
  Values,
  VersionEntry,
  VersionTable,
} from './model.js';
export { loadEnvironment, type LoadOptions } from './load.js';
export { clusterPinsFile, stageVersionsFile } from './versions.js';
export { editVersionFile, readVersionLines, VersionFileEditError, type EditedVersionFile, type VersionEdit } from './version-edit.js';
export {
  COMPONENT_LABEL,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  REVISION_ANNOTATION,
  VERSION_ANNOTATION,
  renderAll,
  renderOne,
  renderPlacements,
  type FailedComponent,
  type KubeObject,
  type RenderOptions,
  type RenderResult,
  type RenderedComponent,
} from './render.js';
export { VARIABLE_NAMES } from './template.js';
export { createTemplateCache, type TemplateCache } from './template-cache.js';
export { affectedPlacements } from './affected.js';
export { canonicalJson, contentHash } from './canonical.js';
export { memoryReader, type MemoryReaderOptions } from './memory-reader.js';
export {
  KeyKind,
  NO_POLICY,
  loadPolicy,
  parseDuration,
  parsePolicy,
  type BrakeLimits,
  type ChangeRules,
  type LoadedPolicy,
  type PathRule,
  type Policy,
  type PolicyKey,
  type PolicyLoadOptions,
  type StagePolicy,
} from './policy.js';
export { POLICY_FILE, POLICY_KIND, PolicyFileSchema, policyJsonSchema, type PolicyFile } from './policy-schema.js';
export {
  NO_GATES,
  brakeOf,
  brakeViolations,
  changeRulesOf,
  gatesOf,
  isAuthorAllowed,
  matchesPath,
  pathRulesFor,
  type ClusterCounts,
} from './policy-checks.js';
