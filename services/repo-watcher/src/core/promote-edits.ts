/**
 * What a promotion request means for the version files at one commit: the version of each
 * component (named, or the one at the previous stage), and the file edits that put it in place —
 * the stage's version file, or pins of the named clusters, and dropping pins a wave left behind.
 */
import { InvalidInputError, NotFoundError, type PromoteRequest } from '@driftless/contracts';
import { clusterPinsFile, editVersionFile, stageVersionsFile, type Environment, type VersionEdit, type VersionTable } from '@driftless/envrepo';
import type { Overlay } from './promote-overlay.js';

const VERSION = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export interface PromotedComponent {
  component: string;
  version: string;
  /** In the stage's version file now. */
  currentVersion: string | null;
  previousStageVersion: string | null;
}

export interface ResolvedPromotion {
  stage: string;
  previousStage: string | null;
  components: PromotedComponent[];
  /** Only these clusters of the stage (pins), or undefined for the whole stage. */
  clusters: string[] | undefined;
  /** Path → new content (null: delete the file); only files whose content changes. */
  edits: Overlay;
}

/** The version files a promotion into `stage` may edit: the stage's file and the pins of its clusters. */
export function filesToRead(model: Environment, stage: string): string[] {
  return [stageVersionsFile(stage), ...clustersOf(model, stage).map(clusterPinsFile)];
}

/**
 * Resolves the request against the environment and the current text of the files `filesToRead`
 * named. Throws NotFoundError for an unknown stage, component or cluster, InvalidInputError for a
 * request that cannot be carried out as asked.
 */
export function resolvePromotion(request: PromoteRequest, model: Environment, texts: ReadonlyMap<string, string | undefined>): ResolvedPromotion {
  const { stage } = request;
  const stageIndex = model.stages.indexOf(stage);
  if (stageIndex < 0) throw new NotFoundError(`stage ${stage} is not in driftless.yaml (stages: ${model.stages.join(', ')})`);
  const previousStage = stageIndex > 0 ? (model.stages[stageIndex - 1] ?? null) : null;
  const seen = new Set<string>();
  const components = request.components.map(({ component, version }): PromotedComponent => {
    if (!model.components.has(component)) throw new NotFoundError(`component ${component} is not in driftless.yaml (components: ${[...model.components.keys()].sort().join(', ')})`);
    if (seen.has(component)) throw new InvalidInputError(`component ${component} is named twice in one promotion`);
    seen.add(component);
    const currentVersion = versionIn(model.stageVersions.get(stage), component);
    const previousStageVersion = previousStage === null ? null : versionIn(model.stageVersions.get(previousStage), component);
    const resolved = version ?? previousStageVersion;
    if (resolved === null || resolved === undefined) {
      throw new InvalidInputError(
        previousStage === null
          ? `${stage} has no previous stage: name a version`
          : `component ${component} has no version at ${previousStage} (${stageVersionsFile(previousStage)}): name a version`,
      );
    }
    if (!VERSION.test(resolved)) {
      throw new InvalidInputError(`version ${JSON.stringify(resolved)} of ${component} is not valid: use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-'`);
    }
    return { component, version: resolved, currentVersion, previousStageVersion };
  });

  const stageClusters = clustersOf(model, stage);
  const clusters = request.clusters === undefined ? undefined : [...new Set(request.clusters)].sort();
  for (const cluster of clusters ?? []) {
    const def = model.clusters.get(cluster);
    if (!def) throw new NotFoundError(`cluster ${cluster} is not in driftless.yaml`);
    if (def.stage !== stage) throw new InvalidInputError(`cluster ${cluster} is at stage ${def.stage}, not ${stage}`);
  }

  const edits = new Map<string, string | null>();
  const edit = (path: string, changes: VersionEdit[], isRemovableWhenEmpty: boolean) => {
    if (changes.length === 0) return;
    const before = texts.get(path);
    const after = editVersionFile(before, changes, path);
    if (after.changed.length === 0) return;
    // A pin file with no pins left goes, comments and all: an empty pin file says nothing.
    edits.set(path, isRemovableWhenEmpty && after.entryCount === 0 ? null : after.text);
  };
  if (clusters === undefined) {
    edit(stageVersionsFile(stage), components.map(({ component, version }) => ({ component, version })), false);
    // Pins equal to the promoted version are what earlier waves wrote: the stage file now says it.
    for (const cluster of stageClusters) {
      const pins = model.clusterPins.get(cluster);
      if (!pins) continue;
      edit(clusterPinsFile(cluster), components.filter((c) => versionIn(pins, c.component) === c.version).map((c) => ({ component: c.component, version: null })), true);
    }
  } else {
    for (const cluster of clusters) {
      const placed = components.filter((c) => model.placements.some((p) => p.cluster === cluster && p.component === c.component));
      edit(clusterPinsFile(cluster), placed.map(({ component, version }) => ({ component, version })), true);
    }
  }
  for (const [path, content] of edits) if (content === null && texts.get(path) === undefined) edits.delete(path);
  return { stage, previousStage, components, clusters, edits };
}

function clustersOf(model: Environment, stage: string): string[] {
  return [...model.clusters.values()].filter((c) => c.stage === stage).map((c) => c.name).sort();
}

function versionIn(table: VersionTable | undefined, component: string): string | null {
  const entry = table?.entries.get(component);
  return entry === undefined || entry instanceof Error ? null : entry.version;
}
