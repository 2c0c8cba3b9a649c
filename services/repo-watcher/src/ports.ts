/**
 * The narrow interfaces the watcher needs. Adapters implement them over nodegit (libs/git),
 * the renderer (libs/envrepo) and NATS (libs/nats); tests use in-memory fakes.
 */
import type { DesiredState, DriftlessEvent } from '@driftless/contracts';
import type { GitMirror, RepoReader } from '@driftless/git';
import type { Checkpoint } from './core/checkpoint.js';
import type { CommitRender } from './core/render-result.js';

/** The Git side: a mirror of one repository. */
export type GitSource = Pick<GitMirror, 'fetch' | 'resolveBranch' | 'hasCommit' | 'readCommit' | 'reader' | 'changedPaths' | 'isAncestor' | 'commitsBetween'>;

/** The Git side of promotions: read the head, find earlier promotion commits, write one. */
export type PromoteGit = Pick<GitMirror, 'fetch' | 'resolveBranch' | 'reader' | 'recentCommits' | 'commitFilesAndPush'>;

/** What changed since the commit the renderer saw last, so it can re-render only affected pairs. */
export interface RenderChange {
  previousSha: string;
  changedPaths: readonly string[];
}

/** Renders every (cluster, component) of a commit; never throws for bad repository content. */
export interface Renderer {
  render(sha: string, reader: RepoReader, change?: RenderChange): Promise<CommitRender>;
}

/** A desired state to publish; the store decides whether manifests go inline or to the object store. */
export type DesiredRecord = Omit<DesiredState, 'manifests'> & { objects: readonly Record<string, unknown>[] };

/** Where desired state lives (the `desired` KV bucket and the manifests object store). */
export interface DesiredStore {
  put(key: string, record: DesiredRecord): Promise<void>;
  remove(key: string): Promise<void>;
}

export interface EventSink {
  /** Publishes with the event id as dedup id; resolves once the stream has it. */
  publish(event: DriftlessEvent): Promise<void>;
}

/** The `watcher-state` bucket: one checkpoint per repository. */
export interface CheckpointStore {
  load(repo: string): Promise<Checkpoint | undefined>;
  /** `isEntriesUnchanged` lets a store that keeps entries apart skip rewriting them when only the commit moved. */
  save(checkpoint: Checkpoint, hint?: { isEntriesUnchanged: boolean }): Promise<void>;
}

/** The `leases` bucket: one holder per repository at a time, expiring unless renewed. */
export interface LeaseStore {
  /** Takes the lease if free, or renews it if `holder` has it; false if someone else holds it. */
  acquireOrRenew(repo: string, holder: string): Promise<boolean>;
  release(repo: string, holder: string): Promise<void>;
  /** How long a lease lives without renewal. */
  readonly ttlMs: number;
}
