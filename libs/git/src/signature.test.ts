import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  openCommitSignatureReader,
  openMirror,
  splitSignedCommit,
  verifyCommitSignature,
  type CommitSignatureReader,
  type GitMirror,
  type SigningKey,
} from './index.js';
import { cleanupKeys, gpgTestKey, keyFolder, signCommitsWith, sshTestKey, type TestGpgKey, type TestSigningKey, type TestSshKey } from './signature-testing.js';
import { TestRepo } from './testing.js';

const FETCH = { timeoutMs: 30_000 };
const asKey = (key: TestSigningKey): SigningKey => ({ name: key.name, kind: key.kind, publicKey: key.publicKey });

describe('splitSignedCommit', () => {
  it('takes the gpgsig header (continuation lines included) out of the payload, as Git does', () => {
    const raw = 'tree abc\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NI\n \n -----END SSH SIGNATURE-----\n\nmessage\n\nbody\n';
    assert.deepEqual(splitSignedCommit(raw), {
      payload: 'tree abc\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nmessage\n\nbody\n',
      signature: '-----BEGIN SSH SIGNATURE-----\nU1NI\n\n-----END SSH SIGNATURE-----\n',
    });
  });

  it('says an unsigned commit is unsigned', () => {
    assert.equal(splitSignedCommit('tree abc\nauthor A <a@x> 1 +0000\n\ngpgsig in the message is not a header\n'), undefined);
  });
});

describe('commit signatures in real repositories', () => {
  let keys: string;
  let alice: TestSshKey;
  let aliceRsa: TestSshKey;
  let aliceEcdsa: TestSshKey;
  let mallory: TestSshKey;
  let bob: TestGpgKey;
  let eve: TestGpgKey;
  let origin: TestRepo;
  let scratch: string;
  let mirror: GitMirror;
  let reader: CommitSignatureReader;
  const shas: Record<string, string> = {};

  before(async () => {
    keys = keyFolder();
    alice = sshTestKey(keys, 'alice');
    aliceRsa = sshTestKey(keys, 'alice-rsa', 'rsa');
    aliceEcdsa = sshTestKey(keys, 'alice-ecdsa', 'ecdsa');
    mallory = sshTestKey(keys, 'mallory');
    bob = gpgTestKey(keys, 'bob');
    eve = gpgTestKey(keys, 'eve');
    origin = TestRepo.create({ prefix: 'driftless-sig' });
    const commit = (name: string, key: TestSigningKey | undefined) => {
      signCommitsWith(origin, key);
      origin.write({ [`${name}.txt`]: `${name}\n` });
      shas[name] = origin.commit(`${name}\n\nwith a body and ünïcödé`);
    };
    commit('unsigned', undefined);
    commit('ssh', alice);
    commit('ssh-rsa', aliceRsa);
    commit('ssh-ecdsa', aliceEcdsa);
    commit('ssh-mallory', mallory);
    commit('gpg', bob);
    commit('gpg-eve', eve);
    scratch = mkdtempSync(join(tmpdir(), 'driftless-sig-mirror-'));
    mirror = await openMirror({ path: join(scratch, 'mirror.git'), url: origin.originPath });
    await mirror.fetch(FETCH);
    reader = openCommitSignatureReader(mirror.path);
  });

  after(() => {
    mirror.close();
    origin.cleanup();
    rmSync(scratch, { recursive: true, force: true });
    cleanupKeys(keys, [alice, aliceRsa, aliceEcdsa, mallory, bob, eve]);
  });

  const listed = () => [alice, aliceRsa, aliceEcdsa, bob].map(asKey);
  const verdictOf = async (name: string, signingKeys = listed()) => verifyCommitSignature(await reader.read(shas[name] ?? ''), signingKeys);

  it('accepts SSH signatures by listed ed25519, RSA and ECDSA keys, naming the key', async () => {
    assert.deepEqual(await verdictOf('ssh'), { status: 'valid', kind: 'ssh', keyName: 'alice', reason: `signed with SSH key alice (${fingerprint(alice)})` });
    assert.equal((await verdictOf('ssh-rsa')).status, 'valid');
    assert.equal((await verdictOf('ssh-ecdsa')).status, 'valid');
  });

  it('accepts an OpenPGP signature by a listed key, naming the key', async () => {
    const verdict = await verdictOf('gpg');
    assert.equal(verdict.status, 'valid');
    assert.ok(verdict.status === 'valid' && verdict.keyName === 'bob' && verdict.kind === 'gpg');
    assert.match(verdict.reason, new RegExp(`^signed with OpenPGP key bob \\(${bob.fingerprint.slice(-16)}\\)$`));
  });

  it('agrees with git verify-commit', () => {
    const allowed = join(keys, 'allowed_signers');
    writeFileSync(allowed, `alice@example.com ${alice.publicKey}\n`);
    const verify = (sha: string, ...config: string[]) => {
      try {
        execFileSync('git', [...config, 'verify-commit', sha], { cwd: origin.workPath, stdio: 'pipe' });
        return true;
      } catch {
        return false;
      }
    };
    const ssh = ['-c', `gpg.ssh.allowedSignersFile=${allowed}`];
    assert.equal(verify(shas['ssh'] ?? '', ...ssh), true);
    assert.equal(verify(shas['ssh-mallory'] ?? '', ...ssh), false);
    assert.equal(verify(shas['gpg'] ?? '', '-c', `gpg.program=${bob.program}`), true);
    assert.equal(verify(shas['gpg-eve'] ?? '', '-c', `gpg.program=${bob.program}`), false);
  });

  it('tells an unsigned commit, an unknown key and a bad signature apart', async () => {
    assert.deepEqual(await verdictOf('unsigned'), { status: 'unsigned', reason: 'the commit is not signed' });

    const unknownSsh = await verdictOf('ssh-mallory');
    assert.equal(unknownSsh.status, 'unknown-key');
    assert.equal(unknownSsh.reason, `signed with SSH key ${fingerprint(mallory)}, which is not one of the listed keys`);
    const unknownGpg = await verdictOf('gpg-eve');
    assert.equal(unknownGpg.status, 'unknown-key');
    assert.match(unknownGpg.reason, new RegExp(`^signed with OpenPGP key ${eve.fingerprint.slice(-16)}, which is not one of the listed keys$`));

    // The same signatures over a different payload: a tampered commit.
    for (const name of ['ssh', 'gpg']) {
      const signed = await reader.read(shas[name] ?? '');
      assert.ok(signed);
      const tampered = await verifyCommitSignature({ ...signed, payload: signed.payload.replace(`${name}\n\nwith a body`, `${name}\n\nwith another body`) }, listed());
      assert.equal(tampered.status, 'bad', name);
      assert.equal(tampered.status === 'bad' && tampered.keyName, name === 'ssh' ? 'alice' : 'bob');
      assert.match(tampered.reason, name === 'ssh' ? /^the SSH signature by key alice is not valid: the signature does not match the commit$/ : /^the signature by key bob \([0-9A-F]{16}\) does not verify/);
    }
  });

  it('refuses a signature in another SSH namespace and garbage in the signature header', async () => {
    const signed = await reader.read(shas['ssh'] ?? '');
    assert.ok(signed);
    const file = join(keys, 'payload');
    writeFileSync(file, signed.payload);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-q', '-n', 'file', '-f', alice.privateKeyPath, file], { stdio: 'pipe' });
    const otherNamespace = execFileSync('cat', [`${file}.sig`], { encoding: 'utf8' });
    const verdict = await verifyCommitSignature({ payload: signed.payload, signature: otherNamespace }, listed());
    assert.equal(verdict.reason, 'the SSH signature by key alice is not valid: the signature is for namespace "file", not "git"');
    const garbage = await verifyCommitSignature({ payload: signed.payload, signature: 'hello' }, listed());
    assert.equal(garbage.status, 'bad');
    assert.match(garbage.reason, /signature of a kind that is not accepted/);
    const truncated = await verifyCommitSignature({ payload: signed.payload, signature: '-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n' }, listed());
    assert.equal(truncated.reason, 'the SSH signature cannot be read: the SSH signature is truncated');
  });

  it('finds no listed key when the list is empty', async () => {
    assert.equal((await verdictOf('ssh', [])).status, 'unknown-key');
    assert.equal((await verdictOf('gpg', [])).status, 'unknown-key');
  });
});

function fingerprint(key: TestSshKey): string {
  return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${key.privateKeyPath}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
}
