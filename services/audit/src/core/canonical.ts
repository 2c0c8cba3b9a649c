/**
 * Canonical JSON: object keys sorted, no insignificant whitespace, `undefined` members dropped.
 * The same value always gives the same text, whichever order its keys were written in — which is
 * what lets a hash computed at ingest be recomputed from what Postgres (jsonb) gives back.
 *
 * Every ledger row's hash covers this text, so it must never change by a single byte: keys sort
 * by UTF-16 code units (integer-like keys as strings too, unlike JSON.stringify's own order), and
 * scalars are written by JSON.stringify. The code is shaped for ingest, which serializes every
 * event: quoted keys are remembered, and keys already in order are not sorted again.
 */

/** Quoted forms of the keys seen so far; event payloads use a small, fixed vocabulary. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 10_000;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/** Whether `keys` is already in default sort order (`<` on strings compares UTF-16 code units, as sort does). */
function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') {
    // JSON has no undefined; inside arrays JSON.stringify writes null, and so do we.
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (!isSorted(keys)) keys.sort();
  let out = '{';
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += (out.length === 1 ? '' : ',') + quoteKey(key) + ':' + canonicalJson(member);
  }
  return `${out}}`;
}
