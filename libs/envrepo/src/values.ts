/** Values: deep merge of layers and path lookup, on frozen plain data shared between renders. */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Freezes a parsed value in place, all the way down, so renders can share it safely. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Builds a plain object from entries; unlike assignment, a `__proto__` key stays an ordinary property. */
export function objectFrom(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  return Object.fromEntries(entries);
}

/**
 * Merges `over` onto `base`: maps merge key by key, anything else in `over` replaces. Unchanged
 * subtrees are shared, new maps are frozen, so the result is immutable like its inputs.
 */
export function mergeValues(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  if (Object.keys(over).length === 0) return base;
  // The same two frozen layers always give the same (frozen) result, so a merge done for one
  // render is reused by the next, and its canonical JSON is memoised with it.
  const isMemoisable = Object.isFrozen(base) && Object.isFrozen(over);
  const known = isMemoisable ? merges.get(base)?.get(over) : undefined;
  if (known !== undefined) return known;
  const entries = new Map<string, unknown>(Object.entries(base));
  for (const [key, value] of Object.entries(over)) entries.set(key, entries.has(key) ? mergeValues(entries.get(key), value) : value);
  const merged = Object.freeze(objectFrom(entries));
  if (isMemoisable) {
    let byOver = merges.get(base);
    if (!byOver) merges.set(base, (byOver = new WeakMap()));
    byOver.set(over, merged);
  }
  return merged;
}

const merges = new WeakMap<object, WeakMap<object, unknown>>();

/** Follows `segments` into a value: map keys by name, list items by index. `found: false` if any step is missing. */
export function lookup(root: unknown, segments: readonly string[]): { found: true; value: unknown } | { found: false } {
  let current = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = /^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : -1;
      if (index < 0 || index >= current.length) return { found: false };
      current = current[index] as unknown;
    } else if (isPlainObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
