/**
 * Walks objects the way structured-merge-diff does: which field paths an object sets
 * (`toFieldSet`), and what changed between two versions (`compareObjects`), with list items
 * identified by their keys so ownership survives reordering.
 */
import type { Json, JsonObject } from './json.js';
import { deepEqual, isObject } from './json.js';
import type { FieldPath, PathElement } from './fieldpath.js';
import { FieldSet, fieldElement, indexElement, keyElement, valueElement } from './fieldpath.js';
import type { FieldNamePath, ListType, ObjectSchema } from './schema.js';

export class FieldPathError extends Error {
  override readonly name: string = 'FieldPathError';
}

function describe(names: FieldNamePath): string {
  return names.length === 0 ? '<root>' : `.${names.join('.')}`;
}

/** The path element identifying `item` in a list of the given type. */
function listItemElement(listType: ListType, item: Json, index: number, names: FieldNamePath): PathElement {
  switch (listType.type) {
    case 'map': {
      if (!isObject(item)) throw new FieldPathError(`${describe(names)}: element ${index}: associative list with keys has an element that is not an object`);
      const keys: Record<string, Json> = {};
      for (const key of listType.keys) {
        const value = item[key] ?? listType.defaults?.[key];
        if (value === undefined || value === null) {
          throw new FieldPathError(`${describe(names)}: element ${index}: associative list with keys has an element that omits key field "${key}" (and doesn't have default value)`);
        }
        keys[key] = value;
      }
      return keyElement(keys);
    }
    case 'set':
      return valueElement(item);
    case 'atomic':
      return indexElement(index);
  }
}

/** Items of a list by path element; the first occurrence of a duplicate key wins. */
export function indexList(listType: ListType, list: readonly Json[], names: FieldNamePath): { order: PathElement[]; items: Map<PathElement, Json> } {
  const order: PathElement[] = [];
  const items = new Map<PathElement, Json>();
  list.forEach((item, i) => {
    const pe = listItemElement(listType, item, i, names);
    if (items.has(pe)) return;
    items.set(pe, item);
    order.push(pe);
  });
  return { order, items };
}

/** Every leaf, list item and atomic value `obj` sets — what an applier claims by sending it. */
export function toFieldSet(obj: JsonObject, schema: ObjectSchema): FieldSet {
  const set = new FieldSet();
  const visit = (value: Json, path: PathElement[], names: string[]): void => {
    if (Array.isArray(value)) {
      const lt = schema.listType(names);
      if (lt.type === 'atomic') {
        set.insert(path);
        return;
      }
      value.forEach((item, i) => {
        const pe = listItemElement(lt, item, i, names);
        const itemPath = [...path, pe];
        set.insert(itemPath);
        if (isObject(item)) visitMap(item, itemPath, names);
      });
      return;
    }
    if (isObject(value)) {
      if (path.length > 0 && schema.isAtomicMap(names)) {
        set.insert(path);
        return;
      }
      if (Object.keys(value).length === 0) {
        set.insert(path);
        return;
      }
      visitMap(value, path, names);
      return;
    }
    set.insert(path);
  };
  const visitMap = (value: JsonObject, path: PathElement[], names: string[]): void => {
    for (const [key, v] of Object.entries(value)) {
      if (v === null) {
        set.insert([...path, fieldElement(key)]);
        continue;
      }
      visit(v, [...path, fieldElement(key)], [...names, key]);
    }
  };
  visitMap(obj, [], []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from `lhs` to `rhs`, as structured-merge-diff's Compare reports it. */
export function compareObjects(lhs: JsonObject, rhs: JsonObject, schema: ObjectSchema): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const leaf = (l: Json | undefined, r: Json | undefined, path: FieldPath): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!deepEqual(l, r)) c.modified.insert(path);
  };
  const node = (l: Json | undefined, r: Json | undefined, path: PathElement[], names: string[]): void => {
    if (l === undefined && r === undefined) return;
    const isMapL = l === undefined || isObject(l);
    const isMapR = r === undefined || isObject(r);
    const isListL = l === undefined || Array.isArray(l);
    const isListR = r === undefined || Array.isArray(r);
    if (isMapL && isMapR && (isObject(l) || isObject(r))) {
      const lm = isObject(l) ? l : undefined;
      const rm = isObject(r) ? r : undefined;
      const empty = (!lm || Object.keys(lm).length === 0) && (!rm || Object.keys(rm).length === 0);
      if (empty || (path.length > 0 && schema.isAtomicMap(names))) {
        leaf(l, r, path);
        return;
      }
      const keys = new Set([...Object.keys(lm ?? {}), ...Object.keys(rm ?? {})]);
      for (const key of keys) {
        const lv = lm?.[key] ?? undefined;
        const rv = rm?.[key] ?? undefined;
        node(lv === null ? undefined : lv, rv === null ? undefined : rv, [...path, fieldElement(key)], [...names, key]);
      }
      post(l, r, path);
      return;
    }
    if (isListL && isListR && (Array.isArray(l) || Array.isArray(r))) {
      const ll = Array.isArray(l) ? l : undefined;
      const rl = Array.isArray(r) ? r : undefined;
      const lt = schema.listType(names);
      const empty = (!ll || ll.length === 0) && (!rl || rl.length === 0);
      if (lt.type === 'atomic' || empty) {
        leaf(l, r, path);
        return;
      }
      const li = indexList(lt, ll ?? [], names);
      const ri = indexList(lt, rl ?? [], names);
      const pes = new Set([...li.order, ...ri.order]);
      for (const pe of pes) {
        const lv = li.items.get(pe);
        const rv = ri.items.get(pe);
        const itemPath = [...path, pe];
        if (isObject(lv) || isObject(rv)) {
          node(lv, rv, itemPath, names);
        } else {
          leaf(lv, rv, itemPath);
        }
      }
      post(l, r, path);
      return;
    }
    leaf(l, r, path);
  };
  const post = (l: Json | undefined, r: Json | undefined, path: FieldPath): void => {
    if (path.length === 0) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  node(lhs, rhs, [], []);
  return c;
}

/** Navigates `value` along `path`; undefined when any step is missing. */
export function valueAt(value: Json | undefined, path: FieldPath, schema: ObjectSchema): Json | undefined {
  let cur: Json | undefined = value;
  const names: string[] = [];
  for (const pe of path) {
    if (cur === undefined || cur === null) return undefined;
    if (pe.startsWith('f:')) {
      if (!isObject(cur)) return undefined;
      const key = pe.slice(2);
      names.push(key);
      cur = cur[key];
      continue;
    }
    if (!Array.isArray(cur)) return undefined;
    const lt = schema.listType(names);
    const list: Json[] = cur;
    cur = undefined;
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as Json;
      let itemPe: PathElement;
      try {
        itemPe = listItemElement(lt, item, i, names);
      } catch {
        continue;
      }
      if (itemPe === pe) {
        cur = item;
        break;
      }
    }
  }
  return cur;
}

/**
 * Removes the value at `path` from `root` in place. Returns whether something was removed.
 * Removing the last member of a list leaves an empty list, of a map an empty map.
 */
export function removeAt(root: JsonObject, path: FieldPath, schema: ObjectSchema): boolean {
  if (path.length === 0) return false;
  const parentPath = path.slice(0, -1);
  const parent = parentPath.length === 0 ? root : valueAt(root, parentPath, schema);
  const last = path[path.length - 1] as PathElement;
  if (last.startsWith('f:')) {
    if (!isObject(parent)) return false;
    const key = last.slice(2);
    if (!Object.hasOwn(parent, key)) return false;
    delete parent[key];
    return true;
  }
  if (!Array.isArray(parent)) return false;
  const names = parentPath.filter((pe) => pe.startsWith('f:')).map((pe) => pe.slice(2));
  const lt = schema.listType(names);
  for (let i = 0; i < parent.length; i++) {
    let pe: PathElement;
    try {
      pe = listItemElement(lt, parent[i] as Json, i, names);
    } catch {
      continue;
    }
    if (pe === last) {
      parent.splice(i, 1);
      return true;
    }
  }
  return false;
}
