/**
 * SSH signatures as `git commit -S` with `gpg.format=ssh` makes them (OpenSSH's SSHSIG format,
 * namespace "git"), verified with node:crypto alone: ed25519, RSA (rsa-sha2-256/512) and ECDSA
 * (nistp256/384/521) keys.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

const MAGIC = Buffer.from('SSHSIG');
const ARMOUR = /^-----BEGIN SSH SIGNATURE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END SSH SIGNATURE-----\s*$/;
export const GIT_NAMESPACE = 'git';

/** A length-prefixed reader over an SSH wire-format blob (RFC 4251 strings). */
class WireReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  raw(length: number): Buffer {
    if (this.offset + length > this.bytes.length) throw new RangeError('truncated');
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  uint32(): number {
    return this.raw(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.raw(this.uint32());
  }
  text(): string {
    return this.string().toString('utf8');
  }
  get isAtEnd(): boolean {
    return this.offset === this.bytes.length;
  }
}

function sshString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}

/** An mpint without its sign-padding zero, as JWK and IEEE P1363 want it. */
function unsigned(mpint: Buffer): Buffer {
  let start = 0;
  while (start < mpint.length - 1 && mpint[start] === 0) start++;
  return mpint.subarray(start);
}

const CURVES: Readonly<Record<string, { crv: string; hash: string; bytes: number }>> = {
  nistp256: { crv: 'P-256', hash: 'sha256', bytes: 32 },
  nistp384: { crv: 'P-384', hash: 'sha384', bytes: 48 },
  nistp521: { crv: 'P-521', hash: 'sha512', bytes: 66 },
};

/** The public key blob of an OpenSSH `.pub` line (`ssh-ed25519 AAAA… comment`). */
export function sshKeyBlob(publicKeyLine: string): Buffer {
  const [, base64] = publicKeyLine.trim().split(/\s+/);
  if (base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new SshSignatureFormatError('not an OpenSSH public key line');
  return Buffer.from(base64, 'base64');
}

/** OpenSSH's fingerprint of a key blob: `SHA256:` and unpadded base64. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export class SshSignatureFormatError extends Error {
  override readonly name: string = 'SshSignatureFormatError';
}

interface ParsedKey {
  readonly type: string;
  readonly key: KeyObject;
  readonly curve?: { crv: string; hash: string; bytes: number };
}

function keyFromBlob(blob: Buffer): ParsedKey {
  const wire = new WireReader(blob);
  const type = wire.text();
  const b64url = (bytes: Buffer) => bytes.toString('base64url');
  if (type === 'ssh-ed25519') {
    return { type, key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(wire.string()) }, format: 'jwk' }) };
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(wire.string());
    const n = unsigned(wire.string());
    return { type, key: createPublicKey({ key: { kty: 'RSA', e: b64url(e), n: b64url(n) }, format: 'jwk' }) };
  }
  const curveName = type.startsWith('ecdsa-sha2-') ? wire.text() : undefined;
  const curve = curveName === undefined ? undefined : CURVES[curveName];
  if (curve !== undefined) {
    const point = wire.string();
    if (point[0] !== 4 || point.length !== 1 + 2 * curve.bytes) throw new SshSignatureFormatError(`unsupported ${type} point encoding`);
    const x = point.subarray(1, 1 + curve.bytes);
    const y = point.subarray(1 + curve.bytes);
    return { type, curve, key: createPublicKey({ key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }, format: 'jwk' }) };
  }
  throw new SshSignatureFormatError(`unsupported key type ${type} (supported: ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521)`);
}

export interface SshSignature {
  /** The signer's public key blob, as embedded in the signature. */
  readonly publicKey: Buffer;
  readonly namespace: string;
  readonly hashAlgorithm: string;
  readonly signatureAlgorithm: string;
  readonly signatureBytes: Buffer;
  readonly reserved: Buffer;
}

/** Parses an armoured SSHSIG signature; throws SshSignatureFormatError when it is not one. */
export function parseSshSignature(armoured: string): SshSignature {
  const match = ARMOUR.exec(armoured.trim());
  if (!match) throw new SshSignatureFormatError('not an armoured SSH signature');
  const blob = Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64');
  try {
    const wire = new WireReader(blob);
    if (!wire.raw(MAGIC.length).equals(MAGIC)) throw new SshSignatureFormatError('missing the SSHSIG preamble');
    const version = wire.uint32();
    if (version !== 1) throw new SshSignatureFormatError(`unsupported SSHSIG version ${version}`);
    const publicKey = wire.string();
    const namespace = wire.text();
    const reserved = wire.string();
    const hashAlgorithm = wire.text();
    const signature = new WireReader(wire.string());
    const signatureAlgorithm = signature.text();
    const signatureBytes = signature.string();
    return { publicKey, namespace, hashAlgorithm, signatureAlgorithm, signatureBytes, reserved };
  } catch (err) {
    if (err instanceof SshSignatureFormatError) throw err;
    throw new SshSignatureFormatError('the SSH signature is truncated', { cause: err });
  }
}

const HASHES = new Set(['sha256', 'sha512']);
const RSA_HASHES: Readonly<Record<string, string>> = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512' };

/**
 * Whether `signature` is a valid SSHSIG over `payload` in `namespace` by the key it embeds.
 * Which key that is (and whether it is trusted) is the caller's question: compare `publicKey`.
 * Returns a reason when it is not valid.
 */
export function verifySshSignature(signature: SshSignature, payload: string | Uint8Array, namespace = GIT_NAMESPACE): { ok: true } | { ok: false; reason: string } {
  if (signature.namespace !== namespace) return { ok: false, reason: `the signature is for namespace "${signature.namespace}", not "${namespace}"` };
  if (!HASHES.has(signature.hashAlgorithm)) return { ok: false, reason: `unsupported hash algorithm ${signature.hashAlgorithm}` };
  let parsed: ParsedKey;
  try {
    parsed = keyFromBlob(signature.publicKey);
  } catch (err) {
    return { ok: false, reason: err instanceof SshSignatureFormatError ? err.message : `the signature's public key cannot be read (${(err as Error).message})` };
  }
  const digest = createHash(signature.hashAlgorithm).update(payload).digest();
  const signed = Buffer.concat([
    MAGIC,
    sshString(signature.namespace),
    sshString(signature.reserved),
    sshString(signature.hashAlgorithm),
    sshString(digest),
  ]);
  let isValid: boolean;
  try {
    if (parsed.type === 'ssh-ed25519') {
      if (signature.signatureAlgorithm !== 'ssh-ed25519') return { ok: false, reason: `an ed25519 key cannot make a ${signature.signatureAlgorithm} signature` };
      isValid = verify(null, signed, parsed.key, signature.signatureBytes);
    } else if (parsed.type === 'ssh-rsa') {
      const hash = RSA_HASHES[signature.signatureAlgorithm];
      if (hash === undefined) return { ok: false, reason: `RSA signature algorithm ${signature.signatureAlgorithm} is not accepted (use rsa-sha2-256 or rsa-sha2-512)` };
      isValid = verify(hash, signed, parsed.key, signature.signatureBytes);
    } else {
      const curve = parsed.curve;
      if (curve === undefined || signature.signatureAlgorithm !== parsed.type) return { ok: false, reason: `a ${parsed.type} key cannot make a ${signature.signatureAlgorithm} signature` };
      const wire = new WireReader(signature.signatureBytes);
      const pad = (mpint: Buffer) => {
        const bytes = unsigned(mpint);
        if (bytes.length > curve.bytes) throw new SshSignatureFormatError('ECDSA signature value too long');
        return Buffer.concat([Buffer.alloc(curve.bytes - bytes.length), bytes]);
      };
      const r = pad(wire.string());
      const s = pad(wire.string());
      isValid = verify(curve.hash, signed, { key: parsed.key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
    }
  } catch (err) {
    return { ok: false, reason: `the signature cannot be checked (${(err as Error).message})` };
  }
  return isValid ? { ok: true } : { ok: false, reason: 'the signature does not match the commit' };
}
