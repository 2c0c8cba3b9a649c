/**
 * Which placed pairs a set of changed files can affect, so the watcher renders only those. It
 * errs towards rendering more: anything it cannot narrow down (driftless.yaml) affects everything.
 */
import type { Environment, Placement, VersionEntry, VersionTable } from './model.js';
import { RenderError } from './errors.js';
import { CLUSTER_PINS_DIR, ENVIRONMENT_FILE, VERSIONS_DIR } from './schema.js';
import { clusterPinsFile, stageVersionsFile } from './versions.js';

function entryText(table: VersionTable | undefined, component: string): string {
  if (!table) return 'none';
  if (table.error) return `error:${table.error.message}`;
  const entry: VersionEntry | RenderError | undefined = table.entries.get(component);
  if (entry === undefined) return 'none';
  return entry instanceof RenderError ? `error:${entry.message}` : `version:${entry.version}`;
}

/**
 * The placements of `model` whose rendering can differ from the previous commit's, given the
 * paths that changed between the two commits (as Git reports them, relative to the root).
 * With `previous` (the previous commit's model), a version-file change narrows down to the
 * components whose line changed. Pairs that disappeared are not in `model`: compare placements for those.
 */
export function affectedPlacements(model: Environment, changedPaths: Iterable<string>, previous?: Environment): Placement[] {
  const paths = [...changedPaths].map((p) => p.replace(/^\/+/, ''));
  if (paths.includes(ENVIRONMENT_FILE)) return [...model.placements];
  const folders = [...model.components.values()].map((c) => ({ name: c.name, prefix: `${c.path}/` }));
  const changedComponents = new Set<string>();
  const changedStageFiles = new Set<string>();
  const changedPinFiles = new Set<string>();
  for (const path of paths) {
    for (const { name, prefix } of folders) if (path.startsWith(prefix)) changedComponents.add(name);
    if (path.startsWith(`${CLUSTER_PINS_DIR}/`)) changedPinFiles.add(path);
    else if (path.startsWith(`${VERSIONS_DIR}/`)) changedStageFiles.add(path);
  }
  return model.placements.filter((placement) => {
    if (changedComponents.has(placement.component)) return true;
    const stageFile = stageVersionsFile(placement.stage);
    if (changedStageFiles.has(stageFile)) {
      if (!previous) return true;
      if (entryText(model.stageVersions.get(placement.stage), placement.component) !== entryText(previous.stageVersions.get(placement.stage), placement.component)) {
        return true;
      }
    }
    const pinFile = clusterPinsFile(placement.cluster);
    if (changedPinFiles.has(pinFile)) {
      if (!previous) return true;
      if (entryText(model.clusterPins.get(placement.cluster), placement.component) !== entryText(previous.clusterPins.get(placement.cluster), placement.component)) {
        return true;
      }
    }
    return false;
  });
}
