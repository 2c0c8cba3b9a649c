/**
 * Plain-JSON helpers for Kubernetes objects held as untyped trees: type guards, deep copy,
 * deep equality and small accessors, so the rest of the core never casts blindly.
 */

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** A Kubernetes object as stored: an untyped JSON object with apiVersion, kind and metadata. */
export type KubeObject = JsonObject;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(b, key) || !deepEqual(a[key], b[key])) return false;
    }
    return true;
  }
  return false;
}

/** The object at `key`, created empty if missing (or replaced if it is not an object). */
export function child(obj: JsonObject, key: string): JsonObject {
  const value = obj[key];
  if (isObject(value)) return value;
  const fresh: JsonObject = {};
  obj[key] = fresh;
  return fresh;
}

export function getIn(value: Json | undefined, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = value;
  for (const key of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}

export function str(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: Json | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

export function meta(obj: KubeObject): JsonObject {
  return child(obj, 'metadata');
}

export function nameOf(obj: KubeObject): string {
  return str(getIn(obj, ['metadata', 'name'])) ?? '';
}

export function namespaceOf(obj: KubeObject): string {
  return str(getIn(obj, ['metadata', 'namespace'])) ?? '';
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  const labels = getIn(obj, ['metadata', 'labels']);
  const out: Record<string, string> = {};
  if (isObject(labels)) {
    for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Removes `null` members recursively: Kubernetes treats an explicit null in a written object as "unset". */
export function dropNulls(value: Json): Json {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = dropNulls(v);
    return out;
  }
  return value;
}

/** RFC 3339 time in seconds precision, as the API server writes `creationTimestamp`. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A JSON value as text: strings as they are, anything else as JSON (never "[object Object]"). */
export function text(value: Json | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
