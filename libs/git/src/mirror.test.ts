import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConflictError, ForbiddenError, UnavailableError } from '@driftless/contracts';
import {
  BlobTooLargeError,
  GitAuthError,
  GitNotFoundError,
  GitTimeoutError,
  GitUnreachableError,
  openMirror,
  PushRejectedError,
  UnsafePathError,
  type GitMirror,
} from './index.js';
import { serveGitOverHttp, TestRepo } from './testing.js';

const FETCH = { timeoutMs: 30_000 };
const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

describe('GitMirror over a local repository', () => {
  let origin: TestRepo;
  let scratch: string;
  let mirror: GitMirror;
  const shas: string[] = [];

  before(async () => {
    origin = TestRepo.create();
    scratch = mkdtempSync(join(tmpdir(), 'driftless-mirror-'));
    origin.write({ 'driftless.yaml': 'kind: Environment\n', 'components/cart/deploy.yaml': 'kind: Deployment\n', 'components/cart/svc.yaml': 'kind: Service\n' });
    origin.symlink('components/evil.yaml', '../../../../etc/passwd');
    origin.symlink('linked', 'components');
    shas.push(origin.commit('first', { date: new Date('2026-01-02T03:04:05Z'), committer: { name: 'Bob', email: 'bob@example.com' } }));
    origin.write({ 'components/cart/deploy.yaml': 'kind: Deployment # v2\n' });
    shas.push(origin.commit('second'));
    origin.write({ 'versions/prod.yaml': 'cart: 1.0.0\n', 'components/cart/svc.yaml': null });
    shas.push(origin.commit('third'));
    mirror = await openMirror({ path: join(scratch, 'mirror.git'), url: origin.originPath });
    await mirror.fetch(FETCH);
  });

  after(() => {
    mirror.close();
    origin.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('resolves a branch and reads commit metadata', async () => {
    assert.equal(await mirror.resolveBranch('main'), shas[2]);
    assert.equal(await mirror.resolveBranch('nope'), undefined);
    const first = await mirror.readCommit(shas[0]!);
    assert.deepEqual(first, {
      sha: shas[0],
      author: { name: 'Ada Lovelace', email: 'ada@example.com' },
      committer: { name: 'Bob', email: 'bob@example.com' },
      message: 'first\n',
      time: '2026-01-02T03:04:05.000Z',
    });
    await assert.rejects(mirror.readCommit('0'.repeat(40)), GitNotFoundError);
    assert.equal(await mirror.hasCommit('0'.repeat(40)), false);
    assert.equal(await mirror.hasCommit(shas[0]!), true);
  });

  it('reads files and folders of a commit from Git objects', async () => {
    const reader = await mirror.reader(shas[0]!);
    assert.equal(text(await reader.readFile('driftless.yaml')), 'kind: Environment\n');
    assert.equal(text(await reader.readFile('./components//cart/deploy.yaml')), 'kind: Deployment\n');
    assert.equal(await reader.readFile('components/cart/missing.yaml'), undefined);
    assert.equal(await reader.readFile('nope/deeper/x.yaml'), undefined);
    assert.deepEqual(await reader.listDir('components/cart'), [
      { name: 'deploy.yaml', type: 'file' },
      { name: 'svc.yaml', type: 'file' },
    ]);
    assert.deepEqual(await reader.listDir(''), [
      { name: 'components', type: 'dir' },
      { name: 'driftless.yaml', type: 'file' },
      { name: 'linked', type: 'file' },
    ]);
    assert.equal(await reader.listDir('components/nope'), undefined);
    assert.equal(await reader.listDir('driftless.yaml'), undefined);
    assert.equal(await reader.blobId('components/cart/deploy.yaml'), origin.git('rev-parse', `${shas[0]}:components/cart/deploy.yaml`));
    assert.equal(await reader.blobId('components/cart/none.yaml'), undefined);
    // The same path at a later commit has other content.
    const later = await mirror.reader(shas[1]!);
    assert.equal(text(await later.readFile('components/cart/deploy.yaml')), 'kind: Deployment # v2\n');
  });

  it('refuses symlinks, paths leaving the repository and folders read as files', async () => {
    const reader = await mirror.reader(shas[0]!);
    await assert.rejects(reader.readFile('components/evil.yaml'), (err: Error) => err instanceof UnsafePathError && /symbolic link/.test(err.message));
    await assert.rejects(reader.readFile('linked/cart/deploy.yaml'), (err: Error) => err instanceof UnsafePathError && /"linked" is a symbolic link/.test(err.message));
    assert.equal(await reader.blobId('components/evil.yaml'), undefined);
    await assert.rejects(reader.blobId('linked/cart/deploy.yaml'), UnsafePathError);
    await assert.rejects(reader.readFile('../outside.yaml'), UnsafePathError);
    await assert.rejects(reader.readFile('/etc/passwd'), UnsafePathError);
    await assert.rejects(reader.readFile('components/cart'), /it is a folder/);
  });

  it('refuses a blob above the size limit before reading it', async () => {
    const reader = await mirror.reader(shas[0]!, { maxFileBytes: 10 });
    await assert.rejects(reader.readFile('components/cart/deploy.yaml'), (err: Error) => {
      assert.ok(err instanceof BlobTooLargeError);
      assert.equal(err.sizeBytes, 17);
      assert.match(err.message, /components\/cart\/deploy\.yaml" is 17 bytes, more than the limit of 10 bytes/);
      return true;
    });
  });

  it('answers history questions: changed paths, ancestry, first-parent commits', async () => {
    assert.deepEqual(await mirror.changedPaths(shas[0]!, shas[2]!), ['components/cart/deploy.yaml', 'components/cart/svc.yaml', 'versions/prod.yaml']);
    assert.deepEqual(await mirror.changedPaths(shas[2]!, shas[2]!), []);
    assert.equal(await mirror.isAncestor(shas[0]!, shas[2]!), true);
    assert.equal(await mirror.isAncestor(shas[2]!, shas[2]!), true);
    assert.equal(await mirror.isAncestor(shas[2]!, shas[0]!), false);
    assert.deepEqual(await mirror.commitsBetween(shas[0]!, shas[2]!, 10), [shas[1], shas[2]]);
    assert.deepEqual(await mirror.commitsBetween(shas[0]!, shas[2]!, 1), [shas[2]]);
    assert.deepEqual(await mirror.commitsBetween(shas[2]!, shas[2]!, 10), []);
  });

  it('follows a force-push, keeping the old commits readable', async () => {
    const repo = TestRepo.create();
    const dir = mkdtempSync(join(tmpdir(), 'driftless-mirror-'));
    try {
      repo.write({ a: '1' });
      const a = repo.commit('a');
      repo.write({ a: '2' });
      const b = repo.commit('b');
      const m = await openMirror({ path: join(dir, 'm.git'), url: repo.originPath });
      await m.fetch(FETCH);
      assert.equal(await m.resolveBranch('main'), b);
      repo.resetAndForcePush(a);
      repo.write({ a: '3' });
      const c = repo.commit('c');
      await m.fetch(FETCH);
      assert.equal(await m.resolveBranch('main'), c);
      assert.equal(await m.isAncestor(b, c), false);
      assert.equal(await m.hasCommit(b), true);
      m.close();
      // Re-opening the same mirror works and keeps what was fetched.
      const again = await openMirror({ path: join(dir, 'm.git'), url: repo.originPath });
      assert.equal(await again.resolveBranch('main'), c);
      again.close();
    } finally {
      repo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits one file edit with the given author and committer and pushes it', async () => {
    const repo = TestRepo.create();
    const dir = mkdtempSync(join(tmpdir(), 'driftless-mirror-'));
    try {
      repo.write({ 'versions/prod.yaml': 'cart: 1.0.0\npayment: 2.0.0\n', 'README.md': 'hi\n' });
      const base = repo.commit('base');
      const m = await openMirror({ path: join(dir, 'm.git'), url: repo.originPath });
      await m.fetch(FETCH);
      const sha = await m.commitFileAndPush(
        {
          branch: 'main',
          path: 'versions/prod.yaml',
          content: 'cart: 1.1.0\npayment: 2.0.0\n',
          message: 'promote cart 1.1.0 to prod\n',
          author: { name: 'Alice', email: 'alice@example.com' },
          committer: { name: 'Driftless', email: 'bot@driftless.dev' },
          time: new Date('2026-03-04T05:06:07Z'),
          expectedParentSha: base,
        },
        FETCH,
      );
      assert.equal(repo.git('--git-dir', repo.originPath, 'rev-parse', 'main'), sha);
      assert.equal(repo.git('--git-dir', repo.originPath, 'show', `${sha}:versions/prod.yaml`), 'cart: 1.1.0\npayment: 2.0.0');
      assert.equal(repo.git('--git-dir', repo.originPath, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%aI|%P', sha), `Alice <alice@example.com>|Driftless <bot@driftless.dev>|2026-03-04T05:06:07+00:00|${base}`);
      assert.deepEqual(repo.git('--git-dir', repo.originPath, 'diff', '--name-only', base, sha), 'versions/prod.yaml');

      // libgit2 moves the mirror's branch along with a successful push (the refspec maps it).
      assert.equal(await m.resolveBranch('main'), sha);
      const edit = { branch: 'main', path: 'versions/prod.yaml', content: 'x', message: 'm', author: { name: 'a', email: 'a@x' }, committer: { name: 'a', email: 'a@x' } };
      await assert.rejects(m.commitFileAndPush({ ...edit, expectedParentSha: base }, FETCH), ConflictError);
      // Someone else pushes first: our push is rejected and the remote keeps their commit.
      repo.pull();
      repo.write({ 'README.md': 'changed elsewhere\n' });
      const theirs = repo.commit('concurrent change');
      await assert.rejects(m.commitFileAndPush(edit, FETCH), (err: Error) => err instanceof PushRejectedError && /fetch and try again/.test(err.message));
      assert.equal(repo.git('--git-dir', repo.originPath, 'rev-parse', 'main'), theirs);
      await m.fetch(FETCH);
      assert.equal(await m.resolveBranch('main'), theirs);
      await assert.rejects(m.commitFileAndPush({ ...edit, path: '../escape' }, FETCH), /leave the folder/);
      m.close();
    } finally {
      repo.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('GitMirror over HTTP with a token', () => {
  let repo: TestRepo;
  let dir: string;
  let server: Awaited<ReturnType<typeof serveGitOverHttp>>;
  let url: string;

  before(async () => {
    repo = TestRepo.create();
    repo.write({ 'driftless.yaml': 'kind: Environment\n' });
    repo.commit('init');
    dir = mkdtempSync(join(tmpdir(), 'driftless-mirror-'));
    server = await serveGitOverHttp(repo.dir, 's3cret-token');
    url = `${server.url}/origin.git`;
  });

  after(async () => {
    await server.close();
    repo.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches with the right token', async () => {
    const m = await openMirror({ path: join(dir, 'good.git'), url, auth: { kind: 'token', token: 's3cret-token' } });
    await m.fetch(FETCH);
    assert.equal(await m.resolveBranch('main'), repo.head());
    m.close();
  });

  it('fails clearly, without echoing the token, when the token is wrong or missing', async () => {
    const wrong = await openMirror({ path: join(dir, 'wrong.git'), url, auth: { kind: 'token', token: 'not-the-token' } });
    await assert.rejects(wrong.fetch(FETCH), (err: Error) => {
      assert.ok(err instanceof GitAuthError && err instanceof ForbiddenError);
      assert.match(err.message, /authentication failed \(the remote refused the configured token\)/);
      assert.ok(err.message.includes(url));
      assert.ok(!err.message.includes('not-the-token'));
      return true;
    });
    wrong.close();
    const none = await openMirror({ path: join(dir, 'none.git'), url });
    await assert.rejects(none.fetch(FETCH), /authentication failed \(the remote requires credentials and none are configured\)/);
    none.close();
  });
});

describe('GitMirror network failures', () => {
  let dir: string;
  let silent: Server;
  const sockets: Socket[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'driftless-mirror-'));
    // Accepts connections and never answers: a stalled remote.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports an unreachable remote (closed port, missing path, ssh)', async () => {
    const closed = await openMirror({ path: join(dir, 'closed.git'), url: 'http://127.0.0.1:1/x.git' });
    await assert.rejects(closed.fetch(FETCH), (err: Error) => err instanceof GitUnreachableError && err instanceof UnavailableError && /http:\/\/127\.0\.0\.1:1\/x\.git/.test(err.message));
    closed.close();
    const missing = await openMirror({ path: join(dir, 'missing.git'), url: join(dir, 'does-not-exist.git') });
    await assert.rejects(missing.fetch(FETCH), /does not exist on this machine/);
    missing.close();
    const ssh = await openMirror({ path: join(dir, 'ssh.git'), url: 'ssh://git@127.0.0.1:1/x.git', auth: { kind: 'ssh', privateKey: 'not a key' } });
    await assert.rejects(ssh.fetch(FETCH), GitUnreachableError);
    ssh.close();
  });

  it('times out a stalled fetch and refuses to start another until it ends', async () => {
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const m = await openMirror({ path: join(dir, 'stalled.git'), url: `http://127.0.0.1:${port}/x.git` });
    await assert.rejects(m.fetch({ timeoutMs: 300 }), (err: Error) => err instanceof GitTimeoutError && /did not finish within 300 ms/.test(err.message));
    await assert.rejects(m.fetch(FETCH), /timed out and has not finished yet/);
    const controller = new AbortController();
    controller.abort();
    // Once the stalled connection dies, fetching is possible again (and fails normally here).
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await assert.rejects(m.fetch({ timeoutMs: 30_000, signal: controller.signal }), /was cancelled|failed/);
    m.close();
  });
});
