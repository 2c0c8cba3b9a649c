/**
 * The three non-apply patch formats the API server accepts: JSON merge patch (RFC 7386),
 * JSON patch (RFC 6902) and strategic merge patch (merge keys from the built-in types,
 * with the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList`
 * directives kubectl sends).
 */
import type { Json, JsonObject } from './json.js';
import { clone, deepEqual, isObject } from './json.js';
import type { FieldNamePath, ObjectSchema } from './schema.js';

export class PatchError extends Error {
  override readonly name: string = 'PatchError';
}

/** RFC 7386: objects merge recursively, `null` deletes, anything else replaces. */
export function jsonMergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = jsonMergePatch(out[key], value);
  }
  return out;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": must start with "/"`);
  return pointer.slice(1).split('/').map(unescapePointer);
}

function arrayIndex(token: string, length: number, isInsert: boolean): number {
  if (token === '-' && isInsert) return length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new PatchError(`invalid array index "${token}"`);
  const i = Number(token);
  if (i > length || (!isInsert && i === length)) throw new PatchError(`array index ${i} out of bounds`);
  return i;
}

function parentOf(root: Json, tokens: string[], op: string, path: string): { parent: Json; last: string } {
  let cur: Json = root;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(token, cur.length, false)] as Json;
    else if (isObject(cur) && Object.hasOwn(cur, token)) cur = cur[token] as Json;
    else throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
  }
  return { parent: cur, last: tokens[tokens.length - 1] as string };
}

function getPointer(root: Json, path: string, op: string): Json {
  let cur: Json = root;
  for (const token of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(token, cur.length, false)] as Json;
    else if (isObject(cur) && Object.hasOwn(cur, token)) cur = cur[token] as Json;
    else throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
  }
  return cur;
}

function addAt(root: Json, path: string, value: Json, op: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, last } = parentOf(root, tokens, op, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, true), 0, value);
  else if (isObject(parent)) parent[last] = value;
  else throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
  return root;
}

function removeAtPointer(root: Json, path: string, op: string): Json {
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new PatchError(`${op} operation cannot remove the whole document`);
  const { parent, last } = parentOf(root, tokens, op, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(last, parent.length, false), 1);
  else if (isObject(parent) && Object.hasOwn(parent, last)) delete parent[last];
  else throw new PatchError(`${op} operation does not apply: doc is missing path: "${path}"`);
  return root;
}

/** RFC 6902 operations applied in order to a copy of `target`; fails as a whole. */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  let doc = clone(target);
  ops.forEach((raw, i) => {
    if (!isObject(raw)) throw new PatchError(`operation ${i} is not an object`);
    const op = raw['op'];
    const path = raw['path'];
    if (typeof path !== 'string') throw new PatchError(`operation ${i}: "path" is missing`);
    switch (op) {
      case 'add':
        if (!Object.hasOwn(raw, 'value')) throw new PatchError(`operation ${i}: "value" is missing`);
        doc = addAt(doc, path, clone(raw['value'] as Json), 'add');
        break;
      case 'remove':
        doc = removeAtPointer(doc, path, 'remove');
        break;
      case 'replace':
        if (!Object.hasOwn(raw, 'value')) throw new PatchError(`operation ${i}: "value" is missing`);
        getPointer(doc, path, 'replace');
        doc = path === '' ? clone(raw['value'] as Json) : addAt(removeAtPointer(doc, path, 'replace'), path, clone(raw['value'] as Json), 'replace');
        break;
      case 'move':
      case 'copy': {
        const from = raw['from'];
        if (typeof from !== 'string') throw new PatchError(`operation ${i}: "from" is missing`);
        const value = clone(getPointer(doc, from, op));
        if (op === 'move') doc = removeAtPointer(doc, from, op);
        doc = addAt(doc, path, value, op);
        break;
      }
      case 'test':
        if (!deepEqual(getPointer(doc, path, 'test'), raw['value'] ?? null)) {
          throw new PatchError(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`operation ${i}: unknown op ${JSON.stringify(op ?? null)}`);
    }
  });
  return doc;
}

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE = '$deleteFromPrimitiveList/';

/** The merge key a strategic merge patch uses for a list ('set' for a merged list of scalars), or undefined for a list that is replaced. */
function mergeKey(schema: ObjectSchema, names: FieldNamePath): string | undefined {
  const lt = schema.listType(names);
  if (lt.type === 'map') return lt.keys[0];
  if (lt.type === 'set') return 'set';
  return undefined;
}

function strategicList(original: Json[] | undefined, patch: Json[], names: FieldNamePath, schema: ObjectSchema, order: Json[] | undefined): Json[] {
  const key = mergeKey(schema, names);
  if (key === undefined) return patch.filter((item) => !(isObject(item) && item['$patch'] !== undefined)).map((x) => clone(x));
  if (patch.some((item) => isObject(item) && item['$patch'] === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item['$patch'] === 'replace')).map((x) => clone(x));
  }
  const out: Json[] = (original ?? []).map((x) => x);
  if (key === 'set') {
    for (const item of patch) if (!out.some((o) => deepEqual(o, item))) out.push(clone(item));
  } else {
    for (const item of patch) {
      if (!isObject(item)) throw new PatchError(`.${names.join('.')}: a strategic merge patch item must be an object with "${key}"`);
      const id = item[key];
      const at = out.findIndex((o) => isObject(o) && deepEqual(o[key], id));
      if (item['$patch'] === 'delete') {
        if (at >= 0) out.splice(at, 1);
        continue;
      }
      if (at >= 0) out[at] = strategicMerge(out[at], item, names, schema);
      else out.push(strategicMerge(undefined, item, names, schema));
    }
  }
  if (order) return reorder(out, order, key);
  return out;
}

function reorder(items: Json[], order: Json[], key: string): Json[] {
  const idOf = (item: Json): Json => (key === 'set' ? item : isObject(item) ? (item[key] ?? null) : null);
  const wanted = order.map((o) => (key === 'set' ? o : isObject(o) ? (o[key] ?? null) : o));
  const positioned = items.filter((i) => wanted.some((w) => deepEqual(w, idOf(i))));
  positioned.sort((a, b) => wanted.findIndex((w) => deepEqual(w, idOf(a))) - wanted.findIndex((w) => deepEqual(w, idOf(b))));
  const rest = items.filter((i) => !wanted.some((w) => deepEqual(w, idOf(i))));
  return [...positioned, ...rest];
}

/** A strategic merge patch applied to `original` (a copy is returned). */
export function strategicMerge(original: Json | undefined, patch: Json, names: FieldNamePath, schema: ObjectSchema): Json {
  if (!isObject(patch)) return clone(patch);
  const directive = patch['$patch'];
  if (directive === 'delete') return {};
  const base: JsonObject = isObject(original) && directive !== 'replace' ? { ...original } : {};
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const key of Object.keys(base)) if (!retain.includes(key)) delete base[key];
  }
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE.length);
      const current = base[field];
      if (Array.isArray(current) && Array.isArray(value)) base[field] = current.filter((x) => !value.some((v) => deepEqual(v, x)));
      continue;
    }
    const childNames = [...names, key];
    if (value === null) {
      delete base[key];
    } else if (isObject(value)) {
      if (value['$patch'] === 'delete') delete base[key];
      else base[key] = strategicMerge(base[key], value, childNames, schema);
    } else if (Array.isArray(value)) {
      const current = base[key];
      const order = patch[`${SET_ORDER}${key}`];
      base[key] = strategicList(Array.isArray(current) ? current : undefined, value, childNames, schema, Array.isArray(order) ? order : undefined);
    } else {
      base[key] = value;
    }
  }
  // Ordering directives for lists the patch did not otherwise touch.
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER) || !Array.isArray(value)) continue;
    const field = key.slice(SET_ORDER.length);
    const current = base[field];
    const mk = mergeKey(schema, [...names, field]);
    if (Array.isArray(current) && mk !== undefined && !Object.hasOwn(patch, field)) base[field] = reorder(current, value, mk);
  }
  return base;
}
