import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConflictError, InvalidInputError } from '@driftless/contracts';
import { openMirror, parseSshSigningKey, PushRejectedError, SigningKeyError, sshCommitSigner, sshSign, type FilesEdit, type GitMirror } from './index.js';
import { TestRepo } from './testing.js';

const NET = { timeoutMs: 30_000 };
const ALICE = { name: 'Alice', email: 'alice@example.com' };
const DRIFTLESS = { name: 'Driftless', email: 'driftless@localhost' };

describe('commitFilesAndPush', () => {
  let repo: TestRepo;
  let dir: string;
  let mirror: GitMirror;
  let base: string;
  const edit = (changes: FilesEdit['changes'], extra: Partial<FilesEdit> = {}): FilesEdit => ({ branch: 'main', changes, message: 'edit\n', author: ALICE, committer: DRIFTLESS, ...extra });
  const origin = (...args: string[]) => repo.git('--git-dir', repo.originPath, ...args);

  before(async () => {
    repo = TestRepo.create();
    dir = mkdtempSync(join(tmpdir(), 'driftless-commit-'));
    repo.write({ 'versions/prod.yaml': 'cart: 1.0.0\n', 'versions/clusters/prod-eu.yaml': 'cart: 1.1.0\n', 'README.md': 'hi\n' });
    base = repo.commit('base');
    mirror = await openMirror({ path: join(dir, 'm.git'), url: repo.originPath });
    await mirror.fetch(NET);
  });
  after(() => {
    mirror.close();
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes, adds and deletes several files in one commit on top of the branch head', async () => {
    const recorded: string[] = [];
    const sha = await mirror.commitFilesAndPush(
      edit(
        [
          { path: 'versions/prod.yaml', content: 'cart: 1.1.0\n' },
          { path: 'versions/clusters/prod-eu.yaml', content: null },
          { path: 'versions/clusters/prod-us.yaml', content: 'payment: 2.0.0\n' },
          { path: 'versions/clusters/absent.yaml', content: null },
        ],
        { expectedParentSha: base, message: 'promote cart 1.1.0 to prod\n\nPromotion: p-1\n', beforePush: (sha) => Promise.resolve(void recorded.push(sha)) },
      ),
      NET,
    );
    assert.deepEqual(recorded, [sha]);
    assert.equal(origin('rev-parse', 'main'), sha);
    assert.equal(origin('log', '-1', '--format=%P|%an <%ae>|%cn <%ce>', sha), `${base}|Alice <alice@example.com>|Driftless <driftless@localhost>`);
    assert.equal(origin('diff', '--name-status', base, sha), 'D\tversions/clusters/prod-eu.yaml\nA\tversions/clusters/prod-us.yaml\nM\tversions/prod.yaml');
    assert.equal(origin('show', `${sha}:versions/prod.yaml`), 'cart: 1.1.0');
    assert.equal(origin('log', '-1', '--format=%B', sha), 'promote cart 1.1.0 to prod\n\nPromotion: p-1');
    assert.equal(await mirror.resolveBranch('main'), sha);
    base = sha;
  });

  it('lists recent first-parent commits newest first', async () => {
    const recent = await mirror.recentCommits(base, 5);
    assert.deepEqual(recent.map((c) => c.message.split('\n')[0]), ['promote cart 1.1.0 to prod', 'base']);
    assert.equal(recent[0]?.sha, base);
    assert.equal((await mirror.recentCommits(base, 1)).length, 1);
  });

  it('refuses an edit that changes nothing, a path given twice, and a moved parent', async () => {
    await assert.rejects(mirror.commitFilesAndPush(edit([{ path: 'versions/prod.yaml', content: 'cart: 1.1.0\n' }]), NET), (err: Error) => err instanceof InvalidInputError && /changes nothing/.test(err.message));
    await assert.rejects(mirror.commitFilesAndPush(edit([{ path: 'gone.yaml', content: null }]), NET), /changes nothing/);
    await assert.rejects(mirror.commitFilesAndPush(edit([]), NET), /at least one file change/);
    await assert.rejects(
      mirror.commitFilesAndPush(edit([{ path: 'a', content: '1' }, { path: './a', content: '2' }]), NET),
      /file "a" is changed twice/,
    );
    await assert.rejects(mirror.commitFilesAndPush(edit([{ path: 'a', content: '1' }], { expectedParentSha: '0'.repeat(40) }), NET), ConflictError);
  });

  it('reports a push the remote refused because the branch moved as a ConflictError', async () => {
    repo.pull();
    repo.write({ 'README.md': 'theirs\n' });
    const theirs = repo.commit('concurrent change');
    await assert.rejects(
      mirror.commitFilesAndPush(edit([{ path: 'versions/prod.yaml', content: 'cart: 1.2.0\n' }]), NET),
      (err: Error) => err instanceof PushRejectedError && err instanceof ConflictError,
    );
    assert.equal(origin('rev-parse', 'main'), theirs);
    await mirror.fetch(NET);
    base = theirs;
  });

  it('signs a commit with an SSH key so that git verify-commit accepts it', async () => {
    const keyFile = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'driftless', '-f', keyFile]);
    const key = parseSshSigningKey(readFileSync(keyFile, 'utf8'), keyFile);
    assert.equal(key.publicKeyLine, readFileSync(`${keyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' '));
    const sha = await mirror.commitFilesAndPush(edit([{ path: 'versions/prod.yaml', content: 'cart: 1.3.0\n' }], { signer: sshCommitSigner(key), message: 'promote cart 1.3.0 to prod\n' }), NET);
    assert.equal(origin('rev-parse', 'main'), sha);
    assert.match(origin('cat-file', 'commit', sha), /^gpgsig -----BEGIN SSH SIGNATURE-----$/m);

    const allowed = join(dir, 'allowed_signers');
    writeFileSync(allowed, `driftless@localhost ${key.publicKeyLine}\n`);
    const verify = (signers: string) =>
      execFileSync('git', ['--git-dir', repo.originPath, '-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${signers}`, 'verify-commit', '--raw', sha], { encoding: 'utf8', stdio: 'pipe' });
    verify(allowed);
    // Another key's allowed-signers file does not accept it: the check is real.
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const otherAllowed = join(dir, 'other_signers');
    writeFileSync(otherAllowed, `driftless@localhost ${readFileSync(join(dir, 'other.pub'), 'utf8').trim()}\n`);
    assert.throws(() => verify(otherAllowed));
    // The signature is also what ssh-keygen -Y verify accepts for the payload alone.
    const payload = 'hello\n';
    const sigFile = join(dir, 'payload.sig');
    writeFileSync(sigFile, `${sshSign(payload, key, 'git')}\n`);
    execFileSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'driftless@localhost', '-n', 'git', '-s', sigFile], { input: payload, stdio: ['pipe', 'pipe', 'pipe'] });
  });

  it('refuses keys it cannot sign with, saying what to use instead', () => {
    const rsa = join(dir, 'id_rsa');
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    assert.throws(() => parseSshSigningKey(readFileSync(rsa, 'utf8'), 'rsa.key'), (err: Error) => err instanceof SigningKeyError && /rsa.key is a ssh-rsa key; Driftless signs with Ed25519 keys/.test(err.message));
    const locked = join(dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', locked]);
    assert.throws(() => parseSshSigningKey(readFileSync(locked, 'utf8'), 'locked.key'), /locked.key is encrypted with a passphrase/);
    assert.throws(() => parseSshSigningKey('not a key', 'junk.key'), /junk.key is not a readable private key/);
  });
});
