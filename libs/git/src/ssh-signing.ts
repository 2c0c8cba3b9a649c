/**
 * Commit signing with an SSH key, as `git commit -S` does with `gpg.format=ssh`: an SSHSIG
 * signature (namespace "git", SHA-512) over the commit object's text, armored for the commit's
 * `gpgsig` header, so `git verify-commit` with an allowed-signers file accepts it. Ed25519 keys,
 * unencrypted, in OpenSSH or PKCS#8 PEM form; anything else is refused with what to do instead.
 */
import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { InvalidInputError } from '@driftless/contracts';
import type { CommitSigner } from './ports.js';

const MAGIC = 'SSHSIG';
const SIG_VERSION = 1;
const HASH_ALGORITHM = 'sha512';
const ED25519 = 'ssh-ed25519';
const OPENSSH_MAGIC = 'openssh-key-v1\0';
const ARMOR_LINE_CHARS = 70;

/** A key that cannot be used to sign: wrong type, encrypted, or not a private key. */
export class SigningKeyError extends InvalidInputError {
  override readonly name: string = 'SigningKeyError';
}

/** A private key ready for SSHSIG, with its public key in SSH wire form. */
export interface SshSigningKey {
  readonly privateKey: KeyObject;
  /** The public key blob (`string "ssh-ed25519" || string key`). */
  readonly publicKeyBlob: Buffer;
  /** `ssh-ed25519 AAAA…`, as in an allowed-signers or authorized_keys line. */
  readonly publicKeyLine: string;
}

/** Reads an unencrypted Ed25519 private key (OpenSSH `BEGIN OPENSSH PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE KEY`). */
export function parseSshSigningKey(text: string, source = 'the signing key'): SshSigningKey {
  const privateKey = text.includes('BEGIN OPENSSH PRIVATE KEY') ? openSshEd25519(text, source) : pemKey(text, source);
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new SigningKeyError(`${source} is not an Ed25519 key; create one with ssh-keygen -t ed25519`);
  const publicKeyBlob = Buffer.concat([sshString(ED25519), sshString(Buffer.from(jwk.x, 'base64url'))]);
  return { privateKey, publicKeyBlob, publicKeyLine: `${ED25519} ${publicKeyBlob.toString('base64')}` };
}

/** The armored SSHSIG signature of `payload` in `namespace`, as `ssh-keygen -Y sign -n <namespace>` writes it. */
export function sshSign(payload: string | Uint8Array, key: SshSigningKey, namespace = 'git'): string {
  const digest = createHash(HASH_ALGORITHM).update(payload).digest();
  const signed = Buffer.concat([Buffer.from(MAGIC), sshString(namespace), sshString(''), sshString(HASH_ALGORITHM), sshString(digest)]);
  const signature = Buffer.concat([sshString(ED25519), sshString(sign(null, signed, key.privateKey))]);
  const blob = Buffer.concat([Buffer.from(MAGIC), uint32(SIG_VERSION), sshString(key.publicKeyBlob), sshString(namespace), sshString(''), sshString(HASH_ALGORITHM), sshString(signature)]);
  const base64 = blob.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += ARMOR_LINE_CHARS) lines.push(base64.slice(i, i + ARMOR_LINE_CHARS));
  return ['-----BEGIN SSH SIGNATURE-----', ...lines, '-----END SSH SIGNATURE-----'].join('\n');
}

/** A CommitSigner over an SSH key (namespace "git"). */
export function sshCommitSigner(key: SshSigningKey): CommitSigner {
  return { sign: (payload) => Promise.resolve(sshSign(payload, key, 'git')) };
}

function pemKey(text: string, source: string): KeyObject {
  try {
    return createPrivateKey(text);
  } catch (err) {
    throw new SigningKeyError(`${source} is not a readable private key (${(err as Error).message}); use an unencrypted Ed25519 key from ssh-keygen -t ed25519 -N ''`, { cause: err });
  }
}

/** The OpenSSH private key format (PROTOCOL.key), unencrypted, one Ed25519 key. */
function openSshEd25519(text: string, source: string): KeyObject {
  const body = text
    .replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, '')
    .replace(/\s+/g, '');
  const reader = new WireReader(Buffer.from(body, 'base64'), source);
  if (reader.bytes(OPENSSH_MAGIC.length).toString('latin1') !== OPENSSH_MAGIC) throw new SigningKeyError(`${source} is not an OpenSSH private key`);
  const cipher = reader.string().toString();
  reader.string(); // kdf name
  reader.string(); // kdf options
  if (cipher !== 'none') throw new SigningKeyError(`${source} is encrypted with a passphrase; Driftless needs an unencrypted key (protect the file instead)`);
  if (reader.uint32() !== 1) throw new SigningKeyError(`${source} holds more than one key`);
  reader.string(); // public key
  const secret = new WireReader(reader.string(), source);
  if (secret.uint32() !== secret.uint32()) throw new SigningKeyError(`${source} is damaged (check bytes differ)`);
  const type = secret.string().toString();
  if (type !== ED25519) throw new SigningKeyError(`${source} is a ${type} key; Driftless signs with Ed25519 keys (ssh-keygen -t ed25519)`);
  const publicKey = secret.string();
  const secretKey = secret.string(); // seed (32) || public key (32)
  if (publicKey.length !== 32 || secretKey.length !== 64) throw new SigningKeyError(`${source} is damaged (unexpected Ed25519 key sizes)`);
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: secretKey.subarray(0, 32).toString('base64url'), x: publicKey.toString('base64url') }, format: 'jwk' });
}

class WireReader {
  private offset = 0;
  constructor(
    private readonly buffer: Buffer,
    private readonly source: string,
  ) {}

  bytes(count: number): Buffer {
    if (this.offset + count > this.buffer.length) throw new SigningKeyError(`${this.source} is damaged (truncated)`);
    const out = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  uint32(): number {
    return this.bytes(4).readUInt32BE(0);
  }

  string(): Buffer {
    return this.bytes(this.uint32());
  }
}

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value, 0);
  return out;
}

function sshString(value: string | Uint8Array): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([uint32(bytes.length), bytes]);
}
