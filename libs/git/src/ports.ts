/**
 * What this library offers, independent of nodegit: a bare mirror of one remote, read-only
 * views of a commit's tree, history questions, and a commit-and-push of file edits for promotions.
 */
import type { Commit, Person } from '@driftless/contracts';

/** How to authenticate to the remote. Credentials live in memory only, never in the mirror's config. */
export type GitAuth =
  | { kind: 'none' }
  /** HTTPS with a personal access / deploy token. GitHub wants username `x-access-token`, GitLab `oauth2`. */
  | { kind: 'token'; token: string; username?: string }
  /** SSH with a private key (OpenSSH or PEM text). */
  | { kind: 'ssh'; privateKey: string; publicKey?: string; passphrase?: string; username?: string };

export interface MirrorSpec {
  /** Where the bare mirror lives on local disk; created if absent. */
  path: string;
  /** A local path, `file://`, `https://` or `ssh://` / `user@host:path` URL. */
  url: string;
  auth?: GitAuth;
}

export interface NetworkOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Bounds applied while reading a commit's tree. */
export interface ReadLimits {
  /** A blob larger than this is refused before it is copied into memory. */
  maxFileBytes: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { maxFileBytes: 1024 * 1024 };

export interface DirEntry {
  name: string;
  /** Symlinks and submodules are listed as files so that reading them fails loudly instead of being skipped. */
  type: 'file' | 'dir';
}

/** Read-only access to one commit's tree; the shape libs/envrepo renders from. */
export interface RepoReader {
  /** The file's bytes, or undefined if absent. Throws UnsafePathError for a symlink, submodule or escaping path. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** The entries of a folder sorted by name, or undefined if absent (or not a folder). */
  listDir(path: string): Promise<readonly DirEntry[] | undefined>;
  /** The blob id of the plain file at `path` without reading it, for caches keyed by content; undefined otherwise. */
  blobId(path: string): Promise<string | undefined>;
}

/** A file to write (created or replaced), or to delete with `content: null` (nothing happens if it is absent). */
export interface FileChange {
  path: string;
  content: string | Uint8Array | null;
}

/** Signs a commit: gets the commit object's text and returns the armored signature for its `gpgsig` header. */
export interface CommitSigner {
  sign(payload: string): Promise<string>;
}

/** Edits of several files committed on top of a branch as one commit and pushed (promotion). */
export interface FilesEdit {
  branch: string;
  changes: readonly FileChange[];
  message: string;
  author: Person;
  committer: Person;
  /** Defaults to now. */
  time?: Date;
  /** Refuse (ConflictError) unless the branch is at this commit in the mirror. */
  expectedParentSha?: string;
  /** Sign the commit (as `git commit -S` would); unsigned without one. */
  signer?: CommitSigner;
  /** Runs with the new commit's sha once it exists and before it is pushed (to record it as one's own). */
  beforePush?: (sha: string) => Promise<void>;
}

/** One-file edit committed on top of a branch and pushed. */
export type FileEdit = Omit<FilesEdit, 'changes'> & { path: string; content: string | Uint8Array };

export interface GitMirror {
  readonly path: string;
  /** Brings every branch of the mirror up to date with the remote (force-pushed branches included). */
  fetch(options: NetworkOptions): Promise<void>;
  /** The commit a branch points at, or undefined if the branch does not exist. */
  resolveBranch(branch: string): Promise<string | undefined>;
  hasCommit(sha: string): Promise<boolean>;
  readCommit(sha: string): Promise<Commit>;
  reader(sha: string, limits?: ReadLimits): Promise<RepoReader>;
  /** Paths added, removed or modified between two commits, sorted. */
  changedPaths(fromSha: string, toSha: string): Promise<string[]>;
  /** Whether `ancestorSha` is `descendantSha` or one of its ancestors. */
  isAncestor(ancestorSha: string, descendantSha: string): Promise<boolean>;
  /**
   * The first-parent chain after `fromSha` up to and including `toSha`, oldest first; at most
   * `limit` commits (the newest ones). `fromSha` must be an ancestor of `toSha`.
   */
  commitsBetween(fromSha: string, toSha: string, limit: number): Promise<string[]>;
  /**
   * The newest commits on the first-parent chain ending at `sha`, newest first (`sha` included),
   * at most `limit` of them.
   */
  recentCommits(sha: string, limit: number): Promise<Commit[]>;
  /** Commits one file edit on top of the branch, pushes it, and returns the new commit's sha. */
  commitFileAndPush(edit: FileEdit, options: NetworkOptions): Promise<string>;
  /**
   * Commits several file edits on top of the branch as one commit, pushes it, and returns the new
   * commit's sha. InvalidInputError if they change nothing; PushRejectedError (a ConflictError) if
   * the remote branch moved meanwhile.
   */
  commitFilesAndPush(edit: FilesEdit, options: NetworkOptions): Promise<string>;
  close(): void;
}
