/**
 * The GitMirror port over nodegit (libgit2): a bare repository mirroring every branch of one
 * remote. Network calls get a time budget and their libgit2 failures are mapped to GitAuthError,
 * GitUnreachableError or GitTimeoutError with a message naming the remote (never its credentials).
 */
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import NodeGit from 'nodegit';
import type { Commit, Person } from '@driftless/contracts';
import { ConflictError, InvalidInputError } from '@driftless/contracts';
import { GitAuthError, GitNotFoundError, GitTimeoutError, GitUnreachableError, PushRejectedError } from '../errors.js';
import { normalizeRepoPath } from '../paths.js';
import { DEFAULT_READ_LIMITS, type FileEdit, type FilesEdit, type GitAuth, type GitMirror, type MirrorSpec, type NetworkOptions, type ReadLimits, type RepoReader } from '../ports.js';
import { credentialsCallback, type CredentialState } from './credentials.js';
import { TreeReader } from './tree-reader.js';

const REMOTE_NAME = 'origin';
// Every branch, force-updated: the mirror must see force-pushes to report them.
const MIRROR_REFSPEC = '+refs/heads/*:refs/heads/*';
const MAX_MESSAGE_CHARS = 65536;
const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
// libgit2 constants (the typings' const enums are unusable under isolatedModules).
const AUTOTAG_DOWNLOAD_NONE = 1;
const TREE_UPDATE_UPSERT = 0;
const TREE_UPDATE_REMOVE = 1;
const FILEMODE_BLOB = 0o100644;
const OBJECT_COMMIT = 1;
const SORT_TOPOLOGICAL = 1;

/** Opens the bare mirror at `spec.path`, creating it (and its remote) if needed; the remote URL follows the spec. */
export async function openMirror(spec: MirrorSpec): Promise<GitMirror> {
  let repo: NodeGit.Repository;
  if (existsSync(spec.path)) {
    try {
      repo = await NodeGit.Repository.openBare(spec.path);
    } catch (err) {
      throw new InvalidInputError(`${spec.path} exists but is not a bare Git repository (${(err as Error).message})`, { cause: err });
    }
  } else {
    repo = await NodeGit.Repository.init(spec.path, 1);
  }
  const names = await repo.getRemoteNames();
  if (names.includes(REMOTE_NAME)) {
    const remote = await repo.getRemote(REMOTE_NAME);
    if (remote.url() !== spec.url) NodeGit.Remote.setUrl(repo, REMOTE_NAME, spec.url);
  } else {
    await NodeGit.Remote.createWithFetchspec(repo, REMOTE_NAME, spec.url, MIRROR_REFSPEC);
  }
  return new NodeGitMirror(repo, spec.path, spec.url, spec.auth ?? { kind: 'none' });
}

/** A remote URL with any user-info removed, safe for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}

class NodeGitMirror implements GitMirror {
  private inFlightFetch: Promise<unknown> | undefined;
  private hasTimedOutFetch = false;

  constructor(
    private readonly repo: NodeGit.Repository,
    readonly path: string,
    private readonly url: string,
    private readonly auth: GitAuth,
  ) {}

  async fetch({ timeoutMs, signal }: NetworkOptions): Promise<void> {
    // libgit2 cannot cancel a stalled network read: a timed-out fetch keeps running natively,
    // and starting another one on the same refs would fail on ref locks.
    if (this.inFlightFetch && this.hasTimedOutFetch) {
      throw new GitUnreachableError(`a previous fetch from ${redactUrl(this.url)} timed out and has not finished yet; try again later`);
    }
    if (this.inFlightFetch) await this.inFlightFetch;
    this.assertLocalRemoteExists();
    const state: CredentialState = { isRejected: false };
    const abort = { isAborted: false };
    const remote = await this.repo.getRemote(REMOTE_NAME);
    const operation = remote.fetch(
      [MIRROR_REFSPEC],
      {
        callbacks: {
          credentials: credentialsCallback(this.auth, state),
          // A non-zero return cancels the transfer once we have given up on it.
          transferProgress: () => (abort.isAborted ? -1 : 0),
        },
        prune: 1,
        downloadTags: AUTOTAG_DOWNLOAD_NONE,
        updateFetchhead: 0,
      },
      'driftless fetch',
    );
    // Tracks the operation without ever rejecting: the caller below handles its failure.
    const tracked: Promise<unknown> = operation.then(
      () => undefined,
      () => undefined,
    );
    void tracked.then(() => {
      if (this.inFlightFetch === tracked) {
        this.inFlightFetch = undefined;
        this.hasTimedOutFetch = false;
      }
    });
    this.inFlightFetch = tracked;
    try {
      await withDeadline(operation, timeoutMs, signal, (isCancelled) => {
        abort.isAborted = true;
        this.hasTimedOutFetch = true;
        return new GitTimeoutError(`fetch from ${redactUrl(this.url)} ${isCancelled ? 'was cancelled' : `did not finish within ${timeoutMs} ms`}`);
      });
    } catch (err) {
      throw this.networkError('fetch from', err, state);
    }
  }

  async resolveBranch(branch: string): Promise<string | undefined> {
    try {
      const ref = await this.repo.getReference(`refs/heads/${branch}`);
      const target = await ref.peel(OBJECT_COMMIT);
      return target.id().tostrS();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async hasCommit(sha: string): Promise<boolean> {
    if (!SHA.test(sha)) return false;
    try {
      await this.repo.getCommit(sha);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async readCommit(sha: string): Promise<Commit> {
    const commit = await this.commit(sha);
    return {
      sha: commit.sha(),
      author: person(commit.author()),
      committer: person(commit.committer()),
      message: commit.message().slice(0, MAX_MESSAGE_CHARS),
      // Committer time: when the change landed on the branch.
      time: new Date(commit.time() * 1000).toISOString(),
    };
  }

  async reader(sha: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<RepoReader> {
    const commit = await this.commit(sha);
    return new TreeReader(this.repo, await commit.getTree(), limits);
  }

  async changedPaths(fromSha: string, toSha: string): Promise<string[]> {
    const [from, to] = await Promise.all([this.commit(fromSha), this.commit(toSha)]);
    const diff = await NodeGit.Diff.treeToTree(this.repo, await from.getTree(), await to.getTree());
    const paths = new Set<string>();
    for (let i = 0; i < diff.numDeltas(); i++) {
      const delta = diff.getDelta(i);
      paths.add(delta.oldFile().path());
      paths.add(delta.newFile().path());
    }
    return [...paths].sort();
  }

  async isAncestor(ancestorSha: string, descendantSha: string): Promise<boolean> {
    const [ancestor, descendant] = await Promise.all([this.commit(ancestorSha), this.commit(descendantSha)]);
    if (ancestor.id().equal(descendant.id())) return true;
    return (await NodeGit.Graph.descendantOf(this.repo, descendant.id(), ancestor.id())) === 1;
  }

  async commitsBetween(fromSha: string, toSha: string, limit: number): Promise<string[]> {
    const [from, to] = await Promise.all([this.commit(fromSha), this.commit(toSha)]);
    // Newest first, so that `limit` keeps the newest commits.
    return (await this.firstParentWalk(to, from, limit)).reverse();
  }

  async recentCommits(sha: string, limit: number): Promise<Commit[]> {
    const shas = await this.firstParentWalk(await this.commit(sha), undefined, limit);
    const commits: Commit[] = [];
    for (const one of shas) commits.push(await this.readCommit(one));
    return commits;
  }

  /** Up to `limit` shas of `head`'s first-parent chain, newest first, stopping before `hide`. */
  private async firstParentWalk(head: NodeGit.Commit, hide: NodeGit.Commit | undefined, limit: number): Promise<string[]> {
    const walk = this.repo.createRevWalk();
    walk.sorting(SORT_TOPOLOGICAL);
    walk.simplifyFirstParent();
    walk.push(head.id());
    if (hide) walk.hide(hide.id());
    const newestFirst: string[] = [];
    while (newestFirst.length < limit) {
      let oid: NodeGit.Oid;
      try {
        oid = await walk.next();
      } catch (err) {
        if (isIterOver(err)) break;
        throw err;
      }
      newestFirst.push(oid.tostrS());
    }
    return newestFirst;
  }

  async commitFileAndPush(edit: FileEdit, options: NetworkOptions): Promise<string> {
    const { path, content, ...rest } = edit;
    return this.commitFilesAndPush({ ...rest, changes: [{ path, content }] }, options);
  }

  async commitFilesAndPush(edit: FilesEdit, { timeoutMs, signal }: NetworkOptions): Promise<string> {
    if (edit.changes.length === 0) throw new InvalidInputError('a commit needs at least one file change');
    const paths = new Set<string>();
    for (const change of edit.changes) {
      const path = normalizeRepoPath(change.path);
      if (path === '') throw new InvalidInputError('a file edit needs a file path, not the repository root');
      if (paths.has(path)) throw new InvalidInputError(`file "${path}" is changed twice in one commit`);
      paths.add(path);
    }
    const parentSha = await this.resolveBranch(edit.branch);
    if (!parentSha) throw new GitNotFoundError(`branch "${edit.branch}" does not exist in the mirror of ${redactUrl(this.url)}`);
    if (edit.expectedParentSha !== undefined && edit.expectedParentSha !== parentSha) {
      throw new ConflictError(`branch "${edit.branch}" is at ${parentSha}, not at the expected ${edit.expectedParentSha}`);
    }
    const parent = await this.repo.getCommit(parentSha);
    const tree = await parent.getTree();
    const updates: { action: number; filemode: number; id: NodeGit.Oid; path: string }[] = [];
    for (const change of edit.changes) {
      const path = normalizeRepoPath(change.path);
      if (change.content === null) {
        // libgit2 refuses to remove an entry that is not there; deleting an absent file is a no-op.
        if (await hasEntry(tree, path)) updates.push({ action: TREE_UPDATE_REMOVE, filemode: FILEMODE_BLOB, id: tree.id(), path });
        continue;
      }
      const bytes = typeof change.content === 'string' ? Buffer.from(change.content, 'utf8') : Buffer.from(change.content);
      const blobId = await NodeGit.Blob.createFromBuffer(this.repo, bytes, bytes.length);
      updates.push({ action: TREE_UPDATE_UPSERT, filemode: FILEMODE_BLOB, id: blobId, path });
    }
    // One update per call: the binding garbles an array of more than one ("invalid name for a
    // tree entry - ."). It takes an array; the typings say a single update.
    let updated = tree;
    for (const update of updates) updated = await this.repo.getTree(await updated.createUpdated(this.repo, 1, [update] as unknown as NodeGit.TreeUpdate));
    const treeId = updated.id();
    if (treeId.equal(tree.id())) throw new InvalidInputError(`the edit of ${[...paths].join(', ')} changes nothing on branch "${edit.branch}"`);
    const time = edit.time ?? new Date();
    const author = signature(edit.author, time);
    const committer = signature(edit.committer, time);
    let commitId: NodeGit.Oid;
    if (edit.signer) {
      let payload = await (NodeGit.Commit as unknown as CommitBufferApi).createBuffer(this.repo, author, committer, null, edit.message, updated, 1, [parent]);
      // What git signs and what libgit2 stores must be the same bytes.
      if (!payload.endsWith('\n')) payload += '\n';
      commitId = await NodeGit.Commit.createWithSignature(this.repo, payload, await edit.signer.sign(payload), 'gpgsig');
    } else {
      // No ref is moved here: a successful push moves the mirror's branch through the refspec.
      commitId = await this.repo.createCommit(null as unknown as string, author, committer, edit.message, treeId, [parent]);
    }
    const sha = commitId.tostrS();
    await edit.beforePush?.(sha);
    await this.push(sha, edit.branch, timeoutMs, signal);
    return sha;
  }

  close(): void {
    // Frees libgit2's handles; nothing useful can be done if that fails at shutdown.
    this.repo.cleanup().catch(() => undefined);
  }

  private async push(sha: string, branch: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    this.assertLocalRemoteExists();
    const state: CredentialState = { isRejected: false };
    const rejections: string[] = [];
    const remote = await this.repo.getRemote(REMOTE_NAME);
    const operation = remote.push([`${sha}:refs/heads/${branch}`], {
      callbacks: {
        // (pushUpdateReference exists in the binding but not in the typings.)
        credentials: credentialsCallback(this.auth, state),
        // libgit2 reports a refused ref update here, not as a failed push.
        pushUpdateReference: (refname: string, status: string | null) => {
          if (status) rejections.push(`${refname}: ${status}`);
        },
      } as NodeGit.RemoteCallbacks,
    });
    try {
      await withDeadline(
        operation,
        timeoutMs,
        signal,
        (isCancelled) => new GitTimeoutError(`push to ${redactUrl(this.url)} ${isCancelled ? 'was cancelled' : `did not finish within ${timeoutMs} ms`}`),
      );
    } catch (err) {
      if (/non-fast-forward|cannot push because a reference that you are trying to update on the remote contains commits/i.test(String((err as Error).message))) {
        throw new PushRejectedError(`push to ${redactUrl(this.url)} was rejected: branch "${branch}" moved on the remote; fetch and try again`, { cause: err });
      }
      throw this.networkError('push to', err, state);
    }
    if (rejections.length > 0) {
      throw new PushRejectedError(`push to ${redactUrl(this.url)} was rejected (${rejections.join('; ')}); fetch and try again`);
    }
  }

  private async commit(sha: string): Promise<NodeGit.Commit> {
    if (!SHA.test(sha)) throw new InvalidInputError(`"${sha}" is not a full commit sha`);
    try {
      return await this.repo.getCommit(sha);
    } catch (err) {
      if (isNotFound(err)) throw new GitNotFoundError(`commit ${sha} is not in the mirror of ${redactUrl(this.url)}`, { cause: err });
      throw err;
    }
  }

  private assertLocalRemoteExists(): void {
    const localPath = this.url.startsWith('file://') ? new URL(this.url).pathname : isAbsolute(this.url) ? this.url : undefined;
    if (localPath !== undefined && !existsSync(localPath)) {
      throw new GitUnreachableError(`remote ${this.url} does not exist on this machine`);
    }
  }

  private networkError(what: string, err: unknown, state: CredentialState): Error {
    if (err instanceof GitTimeoutError || err instanceof PushRejectedError) return err;
    const where = redactUrl(this.url);
    const message = redactSecrets(String((err as Error | undefined)?.message ?? err), this.auth);
    if (state.isRejected || /authentication|credentials|401|403|unauthorized|permission denied \(publickey/i.test(message)) {
      const hint =
        this.auth.kind === 'none'
          ? 'the remote requires credentials and none are configured'
          : `the remote refused the configured ${this.auth.kind === 'token' ? 'token' : 'ssh key'}`;
      return new GitAuthError(`${what} ${where} failed: authentication failed (${hint})`, { cause: err });
    }
    return new GitUnreachableError(`${what} ${where} failed: ${message}`, { cause: err });
  }
}

/** `git_commit_create_buffer`, which the binding has and its typings lack. */
interface CommitBufferApi {
  createBuffer(
    repo: NodeGit.Repository,
    author: NodeGit.Signature,
    committer: NodeGit.Signature,
    messageEncoding: string | null,
    message: string,
    tree: NodeGit.Tree,
    parentCount: number,
    parents: NodeGit.Commit[],
  ): Promise<string>;
}

function person(signature: NodeGit.Signature): Person {
  return { name: signature.name(), email: signature.email() };
}

function signature(who: Person, time: Date): NodeGit.Signature {
  return NodeGit.Signature.create(who.name, who.email, Math.floor(time.getTime() / 1000), 0);
}

function isNotFound(err: unknown): boolean {
  const errno = (err as { errno?: number } | undefined)?.errno;
  // GIT_ENOTFOUND = -3; invalid ref names surface as GIT_EINVALIDSPEC = -12.
  return errno === -3 || errno === -12;
}

async function hasEntry(tree: NodeGit.Tree, path: string): Promise<boolean> {
  try {
    await tree.getEntry(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function isIterOver(err: unknown): boolean {
  return (err as { errno?: number } | undefined)?.errno === -31;
}

function redactSecrets(message: string, auth: GitAuth): string {
  if (auth.kind === 'token' && auth.token !== '') return message.split(auth.token).join('***');
  if (auth.kind === 'ssh' && auth.passphrase) return message.split(auth.passphrase).join('***');
  return message;
}

/** Resolves like `operation`, or rejects with `onTimeout(isCancelled)` after `timeoutMs` or when `signal` aborts. */
async function withDeadline<T>(
  operation: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  onTimeout: (isCancelled: boolean) => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout(false)), timeoutMs);
    if (signal) {
      onAbort = () => reject(onTimeout(true));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  // The abandoned operation still settles later; swallow that so it is never unhandled.
  operation.catch(() => undefined);
  try {
    return await Promise.race([operation, deadline]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
