/**
 * Opaque keyset-pagination cursors: the sort key of the last item of a page, base64url-encoded.
 * A cursor that was tampered with or belongs to another listing is refused with a clear error.
 */
import { InvalidInputError } from '@driftless/contracts';

export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key]), 'utf8').toString('base64url');
}

/** Decodes a cursor of `kind` whose key parts have the given types. */
export function decodeCursor<const T extends readonly ('string' | 'number')[]>(
  kind: string,
  text: string,
  types: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError('cursor is not valid: pass the nextCursor of a previous page unchanged');
  }
  if (!Array.isArray(value) || value[0] !== kind || value.length !== types.length + 1) {
    throw new InvalidInputError(`cursor is not valid for this listing: pass the nextCursor of a previous ${kind} page unchanged`);
  }
  const key = value.slice(1) as unknown[];
  types.forEach((type, i) => {
    if (typeof key[i] !== type || (type === 'number' && !Number.isSafeInteger(key[i]))) {
      throw new InvalidInputError('cursor is not valid: pass the nextCursor of a previous page unchanged');
    }
  });
  return key as { [K in keyof T]: T[K] extends 'number' ? number : string };
}
