/**
 * Canonical JSON: object keys sorted, no insignificant whitespace, `undefined` members dropped.
 * The same value always gives the same text, whichever order its keys were written in — which is
 * what lets a hash computed at ingest be recomputed from what Postgres (jsonb) gives back.
 */

export function canonicalJson(value: unknown): string {
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
  // Default sort compares UTF-16 code units: stable across engines and independent of insertion order.
  const keys = Object.keys(record).sort();
  let out = '{';
  let isFirst = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += `${isFirst ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
    isFirst = false;
  }
  return `${out}}`;
}
