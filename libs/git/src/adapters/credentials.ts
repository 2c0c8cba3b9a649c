/**
 * libgit2 credential callbacks built from a GitAuth. libgit2 asks again after every refusal, so
 * the callback answers once and reports a second request as an authentication failure instead of
 * looping forever.
 */
import NodeGit from 'nodegit';
import type { GitAuth } from '../ports.js';

// libgit2's git_credential_t bits (the typings' const enum is unusable under isolatedModules).
const CredentialType = { userpassPlaintext: 1, sshKey: 2, sshMemory: 64, username: 32 } as const;

export interface CredentialState {
  /** Set when the remote asked for credentials again (they were refused) or none were configured. */
  isRejected: boolean;
}

export type CredentialsCallback = (url: string, usernameFromUrl: string | null, allowedTypes: number) => Promise<NodeGit.Credential>;

export function credentialsCallback(auth: GitAuth, state: CredentialState): CredentialsCallback {
  let attempts = 0;
  return async (_url, usernameFromUrl, allowedTypes) => {
    attempts += 1;
    switch (auth.kind) {
      case 'none':
        state.isRejected = true;
        throw new Error('the remote requires authentication and none is configured');
      case 'token':
        if (attempts > 1 || (allowedTypes & CredentialType.userpassPlaintext) === 0) {
          state.isRejected = true;
          throw new Error('token refused');
        }
        return NodeGit.Credential.userpassPlaintextNew(auth.username ?? usernameFromUrl ?? 'x-access-token', auth.token);
      case 'ssh': {
        const username = auth.username ?? usernameFromUrl ?? 'git';
        // Without a user in the URL, libgit2 first asks only for the user name, then for the key.
        if ((allowedTypes & CredentialType.username) !== 0 && (allowedTypes & (CredentialType.sshKey | CredentialType.sshMemory)) === 0) {
          return NodeGit.Credential.usernameNew(username);
        }
        if (attempts > 2 || (allowedTypes & (CredentialType.sshKey | CredentialType.sshMemory)) === 0) {
          state.isRejected = true;
          throw new Error('ssh key refused');
        }
        return NodeGit.Credential.sshKeyMemoryNew(username, auth.publicKey ?? '', auth.privateKey, auth.passphrase ?? '');
      }
    }
  };
}
