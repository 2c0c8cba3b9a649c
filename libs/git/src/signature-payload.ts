/**
 * Splits a raw commit object into what its signature covers and the signature itself, as Git does:
 * the payload is the commit without its `gpgsig` header (continuation lines included).
 */

export interface SignedCommit {
  /** The commit object's text without the signature header: the bytes the signer signed. */
  readonly payload: string;
  /** The armoured signature from the `gpgsig` header (SSH or OpenPGP). */
  readonly signature: string;
}

// Both hash-algorithm variants are stripped from the payload, as Git strips them before verifying.
const SIGNATURE_HEADERS = new Set(['gpgsig', 'gpgsig-sha256']);

/** The signed payload and the `gpgsig` signature of a raw commit object; undefined for an unsigned commit. */
export function splitSignedCommit(raw: string): SignedCommit | undefined {
  const headerEnd = raw.indexOf('\n\n');
  const header = headerEnd < 0 ? raw : raw.slice(0, headerEnd + 1);
  const rest = headerEnd < 0 ? '' : raw.slice(headerEnd + 1);
  const kept: string[] = [];
  let signature: string[] | undefined;
  let current: string | undefined;
  for (const line of header.split(/(?<=\n)/)) {
    if (line.startsWith(' ') && current !== undefined) {
      if (SIGNATURE_HEADERS.has(current)) {
        if (current === 'gpgsig') signature?.push(line.slice(1));
        continue;
      }
      kept.push(line);
      continue;
    }
    const space = line.indexOf(' ');
    current = space < 0 ? line.trimEnd() : line.slice(0, space);
    if (SIGNATURE_HEADERS.has(current)) {
      if (current === 'gpgsig' && signature === undefined) signature = [line.slice(space + 1)];
      continue;
    }
    kept.push(line);
  }
  if (signature === undefined) return undefined;
  return { payload: kept.join('') + rest, signature: signature.join('') };
}
