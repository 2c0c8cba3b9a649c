export * from './errors.js';
export * from './paths.js';
export * from './ports.js';
export { openMirror, redactUrl } from './adapters/nodegit-mirror.js';
export { parseSshSigningKey, sshCommitSigner, sshSign, SigningKeyError, type SshSigningKey } from './ssh-signing.js';
export { splitSignedCommit, type SignedCommit } from './signature-payload.js';
export {
  SignatureKind,
  SignatureStatus,
  verifyCommitSignature,
  type SignatureVerdict,
  type SigningKey,
} from './signature.js';
export { openCommitSignatureReader, type CommitSignatureReader } from './adapters/signature-reader.js';
