/**
 * `metadata.managedFields` as the API server keeps it: one entry per (manager, operation,
 * subresource, and for updates apiVersion), each with the fields that manager owns, and the
 * two ways a write changes ownership — an Update takes what it changed, an Apply takes what
 * it sent (and may conflict with other owners).
 */
import type { Json, JsonObject } from './json.js';
import { getIn, isObject, rfc3339, str } from './json.js';
import { FieldSet, fieldElement } from './fieldpath.js';
import type { Comparison } from './fields.js';

export const Operation = { Apply: 'Apply', Update: 'Update' } as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

export interface ManagedEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource: string;
  time: string | undefined;
  fields: FieldSet;
}

/** Appliers are identified without their apiVersion, so re-applying at another version is the same manager. */
export function entryIdentity(e: Pick<ManagedEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([e.manager, e.operation, e.operation === Operation.Apply ? '' : e.apiVersion, e.subresource]);
}

export function readManagedFields(obj: JsonObject): ManagedEntry[] {
  const raw = getIn(obj, ['metadata', 'managedFields']);
  if (!Array.isArray(raw)) return [];
  const out: ManagedEntry[] = [];
  for (const e of raw) {
    if (!isObject(e)) continue;
    const operation = e['operation'] === Operation.Apply ? Operation.Apply : Operation.Update;
    out.push({
      manager: str(e['manager']) ?? '',
      operation,
      apiVersion: str(e['apiVersion']) ?? '',
      subresource: str(e['subresource']) ?? '',
      time: str(e['time']),
      fields: FieldSet.fromFieldsV1(e['fieldsV1']),
    });
  }
  return out;
}

/** Sorted as the server sorts them: operation, then time, manager, apiVersion, subresource. */
export function encodeManagedFields(entries: readonly ManagedEntry[]): Json[] {
  const sorted = [...entries].sort((p, q) => {
    if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
    const pt = p.time ? Date.parse(p.time) / 1000 : 0;
    const qt = q.time ? Date.parse(q.time) / 1000 : 0;
    if (Math.floor(pt) !== Math.floor(qt)) return pt - qt;
    if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
    if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
    return p.subresource < q.subresource ? -1 : p.subresource > q.subresource ? 1 : 0;
  });
  return sorted.map((e) => {
    const out: JsonObject = { manager: e.manager, operation: e.operation, apiVersion: e.apiVersion };
    if (e.time) out['time'] = e.time;
    out['fieldsType'] = 'FieldsV1';
    out['fieldsV1'] = e.fields.toFieldsV1();
    if (e.subresource) out['subresource'] = e.subresource;
    return out;
  });
}

/** Fields the server manages itself and never attributes to a manager. */
const STRIPPED_FIELDS: FieldSet = FieldSet.of(
  [
    ['apiVersion'],
    ['kind'],
    ['metadata'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'creationTimestamp'],
    ['metadata', 'selfLink'],
    ['metadata', 'uid'],
    ['metadata', 'generation'],
    ['metadata', 'managedFields'],
    ['metadata', 'resourceVersion'],
    ['metadata', 'deletionTimestamp'],
    ['metadata', 'deletionGracePeriodSeconds'],
  ].map((p) => p.map(fieldElement)),
);

const STATUS = FieldSet.of([[fieldElement('status')]]);

/**
 * Fields a write through `subresource` may not own: the main resource never owns status
 * (when the kind has a status subresource), the status subresource owns nothing else.
 */
export function ownableFields(set: FieldSet, subresource: string, hasStatusSubresource: boolean): FieldSet {
  const base = set.difference(STRIPPED_FIELDS);
  if (subresource === 'status') return base.onlyUnder([fieldElement('status')]);
  if (hasStatusSubresource) return base.recursiveDifference(STATUS);
  return base;
}

/** The ownership after an Update by `manager`: it takes every added or modified field from everyone else. */
export function updateOwnership(
  entries: readonly ManagedEntry[],
  comparison: Comparison,
  who: { manager: string; apiVersion: string; subresource: string },
  scope: (set: FieldSet) => FieldSet,
  now: Date,
): ManagedEntry[] {
  const changed = scope(comparison.added.union(comparison.modified));
  const removed = comparison.removed;
  const self = { ...who, operation: Operation.Update };
  const selfId = entryIdentity(self);
  const out: ManagedEntry[] = [];
  let previous: ManagedEntry | undefined;
  for (const e of entries) {
    if (entryIdentity(e) === selfId) {
      previous = e;
      continue;
    }
    const fields = e.fields.difference(changed).difference(removed);
    if (!fields.isEmpty()) out.push(fields.equals(e.fields) ? e : { ...e, fields });
  }
  const prevFields = previous?.fields.difference(removed) ?? new FieldSet();
  const fields = prevFields.union(changed);
  if (!fields.isEmpty()) {
    const time = changed.isEmpty() && previous ? previous.time : rfc3339(now);
    out.push({ ...self, time, fields });
  }
  return out;
}

export interface Conflict {
  manager: ManagedEntry;
  path: readonly string[];
}

/** The fields other managers own that this change would take from them. */
export function findConflicts(entries: readonly ManagedEntry[], comparison: Comparison, applierId: string): Conflict[] {
  const touched = comparison.added.union(comparison.modified);
  const out: Conflict[] = [];
  for (const e of entries) {
    if (entryIdentity(e) === applierId) continue;
    for (const path of e.fields.intersection(touched).paths()) out.push({ manager: e, path });
  }
  return out;
}
