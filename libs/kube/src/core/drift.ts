/**
 * Drift detection from `managedFields`: the fields the desired manifest sets that the `driftless`
 * field manager no longer owns. Another writer that changes a field takes its ownership (an Update
 * moves it, a forced Apply too), so a field we applied but no longer own was changed by someone
 * else, and `managedFields` names who: the manager owning it now, or, for a field that was removed,
 * the manager that last updated the object.
 */
import { formatPath, isFieldSet, nodeAt, uncoveredPaths, type FieldSet, type PathSegment } from './fields.js';
import type { KubeObject, ManagedFieldsEntry } from './objects.js';

export const FIELD_MANAGER = 'driftless';
/** The name reported when no managedFields entry explains a change (e.g. managedFields were wiped). */
export const UNKNOWN_MANAGER = 'unknown';

export interface DriftFinding {
  /** The field manager that made the change, e.g. `kubectl-scale`, `kubectl-edit`. */
  manager: string;
  /** Readable paths of the changed fields, e.g. `spec.replicas`. */
  fields: string[];
}

/** The part of a manifest whose ownership shows in managedFields: not identity, not status. */
export function ownedPart(desired: KubeObject): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, metadata, status: _status, ...rest } = desired;
  const meta: Record<string, unknown> = {};
  if (metadata.labels) meta['labels'] = metadata.labels;
  if (metadata.annotations) meta['annotations'] = metadata.annotations;
  return Object.keys(meta).length > 0 ? { metadata: meta, ...rest } : rest;
}

function setOf(entry: ManagedFieldsEntry): FieldSet {
  return isFieldSet(entry.fieldsV1) ? entry.fieldsV1 : {};
}

function isOurs(entry: ManagedFieldsEntry, fieldManager: string): boolean {
  return entry.manager === fieldManager && entry.operation === 'Apply' && (entry.subresource === undefined || entry.subresource === '');
}

/** The set the field manager's Apply entries own (merged if there are several, e.g. per apiVersion). */
export function ownedSet(live: KubeObject, fieldManager: string = FIELD_MANAGER): FieldSet | undefined {
  const ours = (live.metadata.managedFields ?? []).filter((e) => isOurs(e, fieldManager));
  if (ours.length === 0) return undefined;
  if (ours.length === 1 && ours[0]) return setOf(ours[0]);
  return ours.reduce<FieldSet>((merged, e) => mergeSets(merged, setOf(e)), {});
}

function mergeSets(a: FieldSet, b: FieldSet): FieldSet {
  const out: FieldSet = { ...a };
  for (const [member, sub] of Object.entries(b)) out[member] = out[member] ? mergeSets(out[member], sub) : sub;
  return out;
}

function ownerOf(path: readonly PathSegment[], others: readonly ManagedFieldsEntry[]): string | undefined {
  for (const entry of others) {
    if (nodeAt(setOf(entry), path)) return entry.manager ?? UNKNOWN_MANAGER;
  }
  return undefined;
}

function latestUpdater(others: readonly ManagedFieldsEntry[]): string | undefined {
  let latest: ManagedFieldsEntry | undefined;
  for (const entry of others) {
    if (entry.operation !== 'Update') continue;
    if (!latest || (entry.time ?? '') >= (latest.time ?? '')) latest = entry;
  }
  return latest?.manager;
}

/**
 * The drift of one live object from its desired manifest, grouped by the manager that made it;
 * empty when the field manager still owns every field the manifest sets.
 */
export function detectDrift(desired: KubeObject, live: KubeObject, fieldManager: string = FIELD_MANAGER): DriftFinding[] {
  const uncovered = uncoveredPaths(ownedPart(desired), ownedSet(live, fieldManager));
  if (uncovered.length === 0) return [];
  const others = (live.metadata.managedFields ?? []).filter((e) => !isOurs(e, fieldManager));
  const byManager = new Map<string, string[]>();
  for (const path of uncovered) {
    const manager = ownerOf(path, others) ?? latestUpdater(others) ?? UNKNOWN_MANAGER;
    const fields = byManager.get(manager) ?? [];
    fields.push(formatPath(path));
    byManager.set(manager, fields);
  }
  return [...byManager.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([manager, fields]) => ({ manager, fields: fields.sort() }));
}
