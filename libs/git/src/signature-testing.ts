/**
 * Test helpers for signed commits: SSH keys made with ssh-keygen and OpenPGP keys made with gpg in
 * a throwaway GNUPGHOME, and a switch that makes a TestRepo sign its commits the way
 * `git commit -S` does with either.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestRepo } from './testing.js';

export interface TestSshKey {
  readonly kind: 'ssh';
  readonly name: string;
  readonly privateKeyPath: string;
  /** The `.pub` line: `ssh-ed25519 AAAA… comment`. */
  readonly publicKey: string;
}

export interface TestGpgKey {
  readonly kind: 'gpg';
  readonly name: string;
  readonly home: string;
  readonly fingerprint: string;
  /** `gpg --armor --export` of the key. */
  readonly publicKey: string;
  /** A gpg wrapper bound to this key's GNUPGHOME, for git's gpg.program. */
  readonly program: string;
}

export type TestSigningKey = TestSshKey | TestGpgKey;

/** A folder for keys; remove it with cleanupKeys (gpg agents included). */
export function keyFolder(): string {
  return mkdtempSync(join(tmpdir(), 'driftless-keys-'));
}

/** A fresh unencrypted SSH key (`ed25519`, `rsa` or `ecdsa`) made by ssh-keygen. */
export function sshTestKey(dir: string, name: string, type: 'ed25519' | 'rsa' | 'ecdsa' = 'ed25519'): TestSshKey {
  const privateKeyPath = join(dir, `${name}-${type}`);
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', `${name}@example.com`, '-f', privateKeyPath]);
  return { kind: 'ssh', name, privateKeyPath, publicKey: readFileSync(`${privateKeyPath}.pub`, 'utf8').trim() };
}

/** A fresh OpenPGP signing key (ed25519) in its own GNUPGHOME, made by gpg --quick-gen-key. */
export function gpgTestKey(dir: string, name: string, email = `${name}@example.com`): TestGpgKey {
  // A short path: gpg-agent's socket path must stay under the Unix socket limit.
  const home = mkdtempSync(join(dir, 'g'));
  chmodSync(home, 0o700);
  const gpg = (...args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--quiet', ...args], { encoding: 'utf8' });
  gpg('--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', `${name} <${email}>`, 'ed25519', 'sign', 'never');
  const fingerprint = gpg('--with-colons', '--list-keys', email)
    .split('\n')
    .find((line) => line.startsWith('fpr:'))
    ?.split(':')[9];
  if (!fingerprint) throw new Error(`gpg made no key for ${email}`);
  const program = join(home, 'gpg.sh');
  writeFileSync(program, `#!/bin/sh\nexec gpg --homedir '${home}' "$@"\n`);
  chmodSync(program, 0o755);
  return { kind: 'gpg', name, home, fingerprint, publicKey: gpg('--armor', '--export', email), program };
}

/** Makes every following TestRepo.commit signed with `key` (as `git commit -S`), or unsigned with undefined. */
export function signCommitsWith(repo: TestRepo, key: TestSigningKey | undefined): void {
  if (key === undefined) {
    repo.git('config', 'commit.gpgsign', 'false');
    return;
  }
  if (key.kind === 'ssh') {
    repo.git('config', 'gpg.format', 'ssh');
    repo.git('config', 'user.signingkey', key.privateKeyPath);
  } else {
    repo.git('config', 'gpg.format', 'openpgp');
    repo.git('config', 'gpg.program', key.program);
    repo.git('config', 'user.signingkey', key.fingerprint);
  }
  repo.git('config', 'commit.gpgsign', 'true');
}

/** Stops the gpg agents the keys started and removes the folder. */
export function cleanupKeys(dir: string, keys: readonly TestSigningKey[]): void {
  for (const key of keys) {
    if (key.kind === 'gpg') {
      try {
        execFileSync('gpgconf', ['--homedir', key.home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
      } catch {
        // No agent was started.
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
