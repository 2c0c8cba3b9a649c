/**
 * Server-side apply: merges an applied configuration into the live object, removes the fields
 * the applier stopped sending (unless someone else owns them), and decides ownership and
 * conflicts the way structured-merge-diff does.
 */
import type { Json, JsonObject } from './json.js';
import { clone, isObject, rfc3339 } from './json.js';
import type { FieldPath, PathElement } from './fieldpath.js';
import { FieldSet } from './fieldpath.js';
import type { FieldNamePath, ObjectSchema } from './schema.js';
import { compareObjects, indexList, removeAt, toFieldSet, valueAt } from './fields.js';
import type { Comparison } from './fields.js';
import type { Conflict, ManagedEntry } from './managed-fields.js';
import { Operation, entryIdentity, findConflicts } from './managed-fields.js';

/**
 * Merges two lists item by item: items only in `lhs` keep their place, shared and new items
 * follow `rhs`'s order (structured-merge-diff's ordering rule).
 */
function mergeOrdered(lhsOrder: PathElement[], rhsOrder: PathElement[], emit: (pe: PathElement, inL: boolean, inR: boolean) => void): void {
  const inL = new Set(lhsOrder);
  const inR = new Set(rhsOrder);
  const shared = rhsOrder.filter((pe) => inL.has(pe));
  let nextShared: PathElement | undefined = shared.shift();
  let li = 0;
  let ri = 0;
  while (li < lhsOrder.length || ri < rhsOrder.length) {
    if (li < lhsOrder.length && ri < rhsOrder.length) {
      const pe = lhsOrder[li] as PathElement;
      if (pe === rhsOrder[ri]) {
        emit(pe, true, true);
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (inR.has(pe) && nextShared !== undefined && nextShared !== pe) {
        li++;
        continue;
      }
    }
    if (li < lhsOrder.length) {
      const pe = lhsOrder[li] as PathElement;
      if (!inR.has(pe)) {
        emit(pe, true, false);
        li++;
        continue;
      }
    }
    if (ri < rhsOrder.length) {
      const pe = rhsOrder[ri] as PathElement;
      emit(pe, inL.has(pe), true);
      ri++;
      if (nextShared === pe) nextShared = shared.shift();
    }
  }
}

/** The result of applying `rhs` on top of `lhs`: maps merged, associative lists merged by key, atomic values replaced. */
export function mergeValues(lhs: Json | undefined, rhs: Json, names: FieldNamePath, schema: ObjectSchema): Json {
  if (isObject(rhs)) {
    if (!isObject(lhs) || (names.length > 0 && schema.isAtomicMap(names))) return dropNullMembers(clone(rhs));
    const out: JsonObject = { ...lhs };
    for (const [key, value] of Object.entries(rhs)) {
      if (value === null) {
        delete out[key];
        continue;
      }
      out[key] = mergeValues(lhs[key], value, [...names, key], schema);
    }
    return out;
  }
  if (Array.isArray(rhs)) {
    const lt = schema.listType(names);
    if (!Array.isArray(lhs) || lt.type === 'atomic') return clone(rhs);
    const l = indexList(lt, lhs, names);
    const r = indexList(lt, rhs, names);
    const out: Json[] = [];
    mergeOrdered(l.order, r.order, (pe, inL, inR) => {
      const lv = l.items.get(pe);
      const rv = r.items.get(pe);
      if (inR && rv !== undefined) out.push(inL && lt.type === 'map' ? mergeValues(lv, rv, names, schema) : clone(rv));
      else if (lv !== undefined) out.push(lv);
    });
    return out;
  }
  return rhs;
}

function dropNullMembers(value: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(value)) if (v === null) delete value[k];
  return value;
}

function isEmptyContainer(value: Json | undefined): boolean {
  return (isObject(value) && Object.keys(value).length === 0) || (Array.isArray(value) && value.length === 0);
}

/** Whether `path` names a key field of an associative-list item (removing it would orphan the item). */
function isItemKeyField(path: FieldPath): boolean {
  const item = path[path.length - 2];
  const field = path[path.length - 1];
  if (!item?.startsWith('k:') || !field?.startsWith('f:')) return false;
  const keys = JSON.parse(item.slice(2)) as JsonObject;
  return Object.hasOwn(keys, field.slice(2));
}

/**
 * Removes from `merged` (in place) what the applier owned last time but did not send now,
 * unless another manager — or the applier's new configuration — owns it or something below it.
 */
export function pruneUnapplied(merged: JsonObject, lastSet: FieldSet, appliedSet: FieldSet, othersSet: FieldSet, schema: ObjectSchema): void {
  const owned = appliedSet.union(othersSet);
  const candidates = lastSet.difference(appliedSet).paths();
  const emptied = new Map<string, FieldPath>();
  // Shallow paths first: a removed item takes its fields with it, a kept one has its fields checked one by one.
  for (const path of candidates.sort((a, b) => a.length - b.length)) {
    if (owned.touches(path)) continue;
    if (isItemKeyField(path) && owned.touches(path.slice(0, -1))) continue;
    if (removeAt(merged, path, schema)) {
      for (let n = path.length - 1; n >= 1; n--) {
        const parent = path.slice(0, n);
        if (parent.length === 1 && parent[0] === 'f:metadata') continue;
        emptied.set(JSON.stringify(parent), parent);
      }
    }
  }
  // Containers left empty by the removal go too, unless someone still claims them.
  for (const parent of [...emptied.values()].sort((a, b) => b.length - a.length)) {
    if (owned.touches(parent)) continue;
    if (isEmptyContainer(valueAt(merged, parent, schema))) removeAt(merged, parent, schema);
  }
}

export interface ApplyRequest {
  live: JsonObject | undefined;
  /** The applied configuration, already stripped of what this subresource may not set. */
  config: JsonObject;
  entries: readonly ManagedEntry[];
  schema: ObjectSchema;
  manager: string;
  apiVersion: string;
  subresource: string;
  isForce: boolean;
  /** Restricts a field set to what this write may own (drops server-managed and reset fields). */
  scope: (set: FieldSet) => FieldSet;
  now: Date;
}

export type ApplyOutcome =
  | { ok: true; object: JsonObject; entries: ManagedEntry[]; comparison: Comparison }
  | { ok: false; conflicts: Conflict[] };

/** The managed-fields-free view of an object that ownership comparisons work on. */
export function withoutManagedFields(obj: JsonObject): JsonObject {
  const copy = { ...obj };
  const m = copy['metadata'];
  if (isObject(m) && Object.hasOwn(m, 'managedFields')) {
    const rest = { ...m };
    delete rest['managedFields'];
    copy['metadata'] = rest;
  }
  return copy;
}

export function scopeComparison(c: Comparison, scope: (set: FieldSet) => FieldSet): Comparison {
  return { added: scope(c.added), modified: scope(c.modified), removed: scope(c.removed) };
}

export function serverSideApply(req: ApplyRequest): ApplyOutcome {
  const live = req.live ? withoutManagedFields(req.live) : {};
  const merged = mergeValues(live, req.config, [], req.schema) as JsonObject;
  const appliedSet = req.scope(toFieldSet(req.config, req.schema));
  const applierId = entryIdentity({ manager: req.manager, operation: Operation.Apply, apiVersion: req.apiVersion, subresource: req.subresource });
  const previous = req.entries.find((e) => entryIdentity(e) === applierId);
  const others = req.entries.filter((e) => e !== previous);
  if (previous) {
    const othersSet = others.reduce((acc, e) => acc.union(e.fields), new FieldSet());
    pruneUnapplied(merged, previous.fields, appliedSet, othersSet, req.schema);
  }
  const comparison = scopeComparison(compareObjects(live, merged, req.schema), req.scope);
  const conflicts = findConflicts(others, comparison, applierId);
  if (conflicts.length > 0 && !req.isForce) return { ok: false, conflicts };
  const taken = FieldSet.of(conflicts.map((c) => c.path));
  const entries: ManagedEntry[] = [];
  for (const e of others) {
    const fields = e.fields.difference(taken).difference(comparison.removed);
    if (!fields.isEmpty()) entries.push(fields.equals(e.fields) ? e : { ...e, fields });
  }
  const isUnchanged = comparison.added.isEmpty() && comparison.modified.isEmpty() && comparison.removed.isEmpty();
  if (!appliedSet.isEmpty()) {
    const time = previous && isUnchanged ? previous.time : rfc3339(req.now);
    entries.push({ manager: req.manager, operation: Operation.Apply, apiVersion: req.apiVersion, subresource: req.subresource, time, fields: appliedSet });
  }
  return { ok: true, object: merged, entries, comparison };
}
