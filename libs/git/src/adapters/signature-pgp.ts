/**
 * OpenPGP commit signatures (what `git commit -S` makes with gpg), verified with openpgp.js:
 * which listed key (primary or subkey) issued the signature, and whether it holds over the payload.
 */
import * as openpgp from 'openpgp';

export type PgpVerdict =
  | { readonly status: 'valid'; readonly keyName: string; readonly keyId: string }
  | { readonly status: 'unknown-key'; readonly keyIds: readonly string[] }
  | { readonly status: 'bad'; readonly keyName?: string; readonly reason: string };

export interface NamedArmouredKey {
  readonly name: string;
  readonly armoured: string;
}

const keyCache = new Map<string, Promise<openpgp.Key | undefined>>();

/** Parsed keys are cached by their text: policies rarely change and parsing is the slow part. */
function readKey(armoured: string): Promise<openpgp.Key | undefined> {
  let key = keyCache.get(armoured);
  if (key === undefined) {
    key = openpgp.readKey({ armoredKey: armoured }).catch(() => undefined);
    if (keyCache.size > 100) keyCache.clear();
    keyCache.set(armoured, key);
  }
  return key;
}

/** Verifies an armoured OpenPGP detached signature over `payload` against the named keys. */
export async function verifyPgpSignature(armouredSignature: string, payload: string, keys: readonly NamedArmouredKey[]): Promise<PgpVerdict> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: armouredSignature });
  } catch (err) {
    return { status: 'bad', reason: `the OpenPGP signature cannot be read (${(err as Error).message})` };
  }
  const issuers = signature.getSigningKeyIDs();
  const keyIds = issuers.map((id) => id.toHex().toUpperCase());
  for (const { name, armoured } of keys) {
    const key = await readKey(armoured);
    if (key === undefined) continue;
    const issuer = issuers.find((id) => key.getKeys(id).length > 0);
    if (issuer === undefined) continue;
    try {
      const message = await openpgp.createMessage({ binary: new TextEncoder().encode(payload) });
      const result = await openpgp.verify({ message, signature, verificationKeys: [key], format: 'binary' });
      const verification = result.signatures[0];
      if (verification === undefined) throw new Error('no signature to check');
      await verification.verified;
      return { status: 'valid', keyName: name, keyId: issuer.toHex().toUpperCase() };
    } catch (err) {
      return { status: 'bad', keyName: name, reason: `the signature by key ${name} (${issuer.toHex().toUpperCase()}) does not verify: ${(err as Error).message}` };
    }
  }
  return { status: 'unknown-key', keyIds };
}
