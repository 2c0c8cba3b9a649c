/**
 * Reading the `FieldsV1` sets of `managedFields`: `f:<field>` for a struct or map member,
 * `k:{"name":"x"}` for a list element identified by its keys, `v:<json>` for a set member,
 * `i:<n>` for a positional element, and `.` for the node itself. An empty set `{}` owns the whole
 * value below it (a leaf or an atomic struct/list).
 */
import { isPlainObject } from './objects.js';

export interface FieldSet {
  [member: string]: FieldSet;
}

/** One step of a path into an object: a named member, or a list element (with its value to match keys against). */
export type PathSegment = { field: string } | { element: unknown; index: number };

export function isFieldSet(value: unknown): value is FieldSet {
  return isPlainObject(value) && Object.values(value).every(isFieldSet);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => isDeepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const keyCache = new Map<string, Record<string, unknown> | null>();

function parseKey(member: string): Record<string, unknown> | undefined {
  let parsed = keyCache.get(member);
  if (parsed === undefined) {
    try {
      const value = JSON.parse(member.slice(2)) as unknown;
      parsed = isPlainObject(value) ? value : null;
    } catch {
      parsed = null;
    }
    // The set of distinct keys is small (container names, ports); bound it anyway.
    if (keyCache.size > 10_000) keyCache.clear();
    keyCache.set(member, parsed);
  }
  return parsed ?? undefined;
}

/**
 * The member of `node` for one path step. A list element matches a `k:` member when every key field
 * the element sets has the key's value; key fields the element leaves out (e.g. a defaulted
 * `protocol` of a port) do not count against it.
 */
export function childFor(node: FieldSet, segment: PathSegment): FieldSet | undefined {
  if ('field' in segment) return node[`f:${segment.field}`];
  const { element, index } = segment;
  if (isPlainObject(element)) {
    for (const member of Object.keys(node)) {
      if (!member.startsWith('k:')) continue;
      const key = parseKey(member);
      if (!key) continue;
      let matched = 0;
      let isMismatch = false;
      for (const [field, value] of Object.entries(key)) {
        if (element[field] === undefined) continue;
        if (isDeepEqual(element[field], value)) matched += 1;
        else isMismatch = true;
      }
      if (matched > 0 && !isMismatch) return node[member];
    }
  } else {
    const byValue = node[`v:${JSON.stringify(element)}`];
    if (byValue) return byValue;
  }
  return node[`i:${index}`];
}

/** The node a path leads to, or undefined when the set does not reach it. An atomic node owns everything below it. */
export function nodeAt(set: FieldSet, path: readonly PathSegment[]): FieldSet | undefined {
  let node: FieldSet | undefined = set;
  for (const segment of path) {
    if (!node) return undefined;
    if (Object.keys(node).length === 0) return node;
    node = childFor(node, segment);
  }
  return node;
}

/**
 * The paths of `value`'s leaves that `set` does not own. Null members are skipped: in an apply
 * they mean "unset", so nobody owns them.
 */
export function uncoveredPaths(value: unknown, set: FieldSet | undefined): PathSegment[][] {
  const out: PathSegment[][] = [];
  walk(value, set, [], out);
  return out;
}

function walk(value: unknown, node: FieldSet | undefined, path: PathSegment[], out: PathSegment[][]): void {
  if (value === null || value === undefined) return;
  if (!node) {
    // A whole list element missing is one finding (the element), not one per member.
    const last = path[path.length - 1];
    if (last !== undefined && 'element' in last) out.push(path);
    else leaves(value, path, out);
    return;
  }
  // An empty set owns the value whole (a leaf, or an atomic struct or list).
  if (Object.keys(node).length === 0) return;
  if (Array.isArray(value)) {
    (value as unknown[]).forEach((element, index) => {
      const segment = { element, index };
      walk(element, childFor(node, segment), [...path, segment], out);
    });
    return;
  }
  if (isPlainObject(value)) {
    for (const [field, member] of Object.entries(value)) walk(member, node[`f:${field}`], [...path, { field }], out);
  }
}

/** The leaf paths of an unowned value, so a report names `data.color`, not just `data`; lists count as leaves. */
function leaves(value: unknown, path: PathSegment[], out: PathSegment[][]): void {
  if (value === null || value === undefined) return;
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [field, member] of Object.entries(value)) leaves(member, [...path, { field }], out);
    return;
  }
  out.push(path);
}

const IDENTIFYING_FIELDS = ['name', 'containerPort', 'port', 'mountPath', 'devicePath', 'key', 'type', 'ip', 'topologyKey'];
const PLAIN_FIELD = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function describeElement(element: unknown, index: number): string {
  if (isPlainObject(element)) {
    for (const field of IDENTIFYING_FIELDS) {
      const value = element[field];
      if (typeof value === 'string' || typeof value === 'number') return `[${field}=${value}]`;
    }
    return `[${index}]`;
  }
  return typeof element === 'string' || typeof element === 'number' || typeof element === 'boolean' ? `[=${element}]` : `[${index}]`;
}

/** A readable path: `spec.template.spec.containers[name=web].image`, `metadata.labels["app.kubernetes.io/name"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if ('field' in segment) {
      if (PLAIN_FIELD.test(segment.field)) out += out === '' ? segment.field : `.${segment.field}`;
      else out += `[${JSON.stringify(segment.field)}]`;
    } else {
      out += describeElement(segment.element, segment.index);
    }
  }
  return out === '' ? '.' : out;
}
