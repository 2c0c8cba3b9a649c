export * from './errors.js';
export * from './paths.js';
export * from './ports.js';
export { openMirror, redactUrl } from './adapters/nodegit-mirror.js';
export { parseSshSigningKey, sshCommitSigner, sshSign, SigningKeyError, type SshSigningKey } from './ssh-signing.js';
