/**
 * Canonical JSON (keys sorted at every level) and the content hash built on it. Frozen subtrees
 * are shared between renders, so their canonical text is memoised: a 10,000-pair render hashes
 * each static part of a template once.
 */
import { createHash } from 'node:crypto';

const memo = new WeakMap<object, string>();

/** JSON with object keys sorted, so equal data always gives equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new TypeError(`${typeof value} cannot be represented in JSON`);
    return text;
  }
  const isFrozen = Object.isFrozen(value);
  if (isFrozen) {
    const known = memo.get(value);
    if (known !== undefined) return known;
  }
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    text = `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
  }
  if (isFrozen) memo.set(value, text);
  return text;
}

/** `sha256:<64 hex>` of the canonical JSON of `value`. */
export function contentHash(value: unknown): `sha256:${string}` {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
