/**
 * Verifying a commit's signature against named public keys (the keys a repository's policy
 * lists): SSH (SSHSIG, namespace "git") and OpenPGP. The verdict tells an unsigned commit, a
 * signature by a key that is not listed and a signature that does not hold apart.
 */
import { verifyPgpSignature } from './adapters/signature-pgp.js';
import type { SignedCommit } from './signature-payload.js';
import { SshSignatureFormatError, parseSshSignature, sshFingerprint, sshKeyBlob, verifySshSignature } from './signature-ssh.js';

export const SignatureKind = { ssh: 'ssh', gpg: 'gpg' } as const;
export type SignatureKind = (typeof SignatureKind)[keyof typeof SignatureKind];

export const SignatureStatus = {
  /** Signed by a listed key, and the signature holds. */
  valid: 'valid',
  /** No signature at all. */
  unsigned: 'unsigned',
  /** A signature by a key the list does not hold. */
  unknownKey: 'unknown-key',
  /** A signature that does not hold, is malformed, or uses something we do not accept. */
  bad: 'bad',
} as const;
export type SignatureStatus = (typeof SignatureStatus)[keyof typeof SignatureStatus];

/** A public key commits may be signed with: an OpenSSH `.pub` line or an armoured OpenPGP key. */
export interface SigningKey {
  readonly name: string;
  readonly kind: SignatureKind;
  readonly publicKey: string;
}

export type SignatureVerdict =
  | { readonly status: 'valid'; readonly kind: SignatureKind; readonly keyName: string; readonly reason: string }
  | { readonly status: 'unsigned'; readonly reason: string }
  | { readonly status: 'unknown-key'; readonly kind: SignatureKind; readonly signer: string; readonly reason: string }
  | { readonly status: 'bad'; readonly kind?: SignatureKind; readonly keyName?: string; readonly reason: string };

const PGP_ARMOUR = '-----BEGIN PGP SIGNATURE-----';
const SSH_ARMOUR = '-----BEGIN SSH SIGNATURE-----';

function verifySsh(signed: SignedCommit, keys: readonly SigningKey[]): SignatureVerdict {
  let signature;
  try {
    signature = parseSshSignature(signed.signature);
  } catch (err) {
    return { status: 'bad', kind: 'ssh', reason: `the SSH signature cannot be read: ${err instanceof SshSignatureFormatError ? err.message : String(err)}` };
  }
  const key = keys.find((k) => {
    if (k.kind !== 'ssh') return false;
    try {
      return sshKeyBlob(k.publicKey).equals(signature.publicKey);
    } catch {
      return false;
    }
  });
  const fingerprint = sshFingerprint(signature.publicKey);
  if (key === undefined) {
    return { status: 'unknown-key', kind: 'ssh', signer: fingerprint, reason: `signed with SSH key ${fingerprint}, which is not one of the listed keys` };
  }
  const result = verifySshSignature(signature, signed.payload);
  if (!result.ok) return { status: 'bad', kind: 'ssh', keyName: key.name, reason: `the SSH signature by key ${key.name} is not valid: ${result.reason}` };
  return { status: 'valid', kind: 'ssh', keyName: key.name, reason: `signed with SSH key ${key.name} (${fingerprint})` };
}

async function verifyPgp(signed: SignedCommit, keys: readonly SigningKey[]): Promise<SignatureVerdict> {
  const verdict = await verifyPgpSignature(
    signed.signature,
    signed.payload,
    keys.filter((k) => k.kind === 'gpg').map((k) => ({ name: k.name, armoured: k.publicKey })),
  );
  switch (verdict.status) {
    case 'valid':
      return { status: 'valid', kind: 'gpg', keyName: verdict.keyName, reason: `signed with OpenPGP key ${verdict.keyName} (${verdict.keyId})` };
    case 'unknown-key': {
      const signer = verdict.keyIds.join(', ') || 'an unnamed key';
      return { status: 'unknown-key', kind: 'gpg', signer, reason: `signed with OpenPGP key ${signer}, which is not one of the listed keys` };
    }
    case 'bad':
      return { status: 'bad', kind: 'gpg', ...(verdict.keyName === undefined ? {} : { keyName: verdict.keyName }), reason: verdict.reason };
  }
}

/** The verdict on a commit's signature (undefined: the commit is unsigned) against the given keys. */
export async function verifyCommitSignature(signed: SignedCommit | undefined, keys: readonly SigningKey[]): Promise<SignatureVerdict> {
  if (signed === undefined) return { status: 'unsigned', reason: 'the commit is not signed' };
  const text = signed.signature.trimStart();
  if (text.startsWith(SSH_ARMOUR)) return verifySsh(signed, keys);
  if (text.startsWith(PGP_ARMOUR)) return verifyPgp(signed, keys);
  const kind = text.split('\n')[0]?.slice(0, 60) ?? '';
  return { status: 'bad', reason: `the commit carries a signature of a kind that is not accepted (${JSON.stringify(kind)}); sign with SSH or OpenPGP` };
}
