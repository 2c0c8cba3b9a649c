/**
 * Test helpers: real Git repositories on disk driven through the `git` CLI (a bare "origin"
 * plus a working clone that commits and pushes to it), and an HTTP Git server with token auth.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Person } from '@driftless/contracts';

export const TEST_AUTHOR: Person = { name: 'Ada Lovelace', email: 'ada@example.com' };

export interface TestCommitOptions {
  author?: Person;
  committer?: Person;
  date?: Date;
  /** Commit even when nothing changed. */
  isEmptyAllowed?: boolean;
}

/** A bare origin repository and a working clone pushing to it, in a fresh temp folder. */
export class TestRepo {
  private constructor(
    readonly dir: string,
    readonly originPath: string,
    readonly workPath: string,
    readonly branch: string,
  ) {}

  static create(options: { branch?: string; prefix?: string } = {}): TestRepo {
    const branch = options.branch ?? 'main';
    const dir = mkdtempSync(join(tmpdir(), `${options.prefix ?? 'driftless-git'}-`));
    const originPath = join(dir, 'origin.git');
    const workPath = join(dir, 'work');
    execFileSync('git', ['init', '-q', '--bare', '-b', branch, originPath]);
    execFileSync('git', ['init', '-q', '-b', branch, workPath]);
    const repo = new TestRepo(dir, originPath, workPath, branch);
    repo.git('remote', 'add', 'origin', originPath);
    repo.git('config', 'core.symlinks', 'true');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.workPath, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();
  }

  /** Writes files (a null content deletes the file). */
  write(files: Record<string, string | Uint8Array | null>): this {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.workPath, path);
      if (content === null) {
        rmSync(full, { force: true, recursive: true });
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
    return this;
  }

  symlink(path: string, target: string): this {
    const full = join(this.workPath, path);
    mkdirSync(dirname(full), { recursive: true });
    rmSync(full, { force: true });
    symlinkSync(target, full);
    return this;
  }

  /** Commits everything in the working tree and pushes it to origin; returns the new sha. */
  commit(message: string, options: TestCommitOptions = {}): string {
    const author = options.author ?? TEST_AUTHOR;
    const committer = options.committer ?? author;
    const date = (options.date ?? new Date()).toISOString();
    this.git('add', '-A');
    execFileSync('git', ['commit', '-q', ...(options.isEmptyAllowed ? ['--allow-empty'] : []), '-m', message], {
      cwd: this.workPath,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: date,
      },
    });
    this.git('push', '-q', 'origin', `HEAD:refs/heads/${this.branch}`);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }

  /** Moves the branch back to `sha` and force-pushes it (a rewind). */
  resetAndForcePush(sha: string): void {
    this.git('reset', '-q', '--hard', sha);
    this.git('push', '-q', '--force', 'origin', `HEAD:refs/heads/${this.branch}`);
  }

  /** Pulls what others (e.g. a promotion push) added to origin into the working clone. */
  pull(): void {
    this.git('fetch', '-q', 'origin');
    this.git('reset', '-q', '--hard', `origin/${this.branch}`);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface GitHttpServer {
  /** Base URL; a repository `<root>/x.git` is served at `${url}/x.git`. */
  url: string;
  /** Requests seen, for asserting what the client sent. */
  requestCount(): number;
  close(): Promise<void>;
}

/**
 * Serves the repositories under `root` over smart HTTP (git-http-backend) and requires HTTP basic
 * auth with `token` as the password, like a Git host with access tokens.
 */
export async function serveGitOverHttp(root: string, token: string): Promise<GitHttpServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    const auth = req.headers.authorization ?? '';
    const password = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
    if (password !== token) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_HTTP_RECEIVE_PACK: '1',
        REMOTE_USER: 'test',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        HTTP_GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      },
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let isHeadDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (isHeadDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
      isHeadDone = true;
    });
    child.stdout.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requestCount: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
