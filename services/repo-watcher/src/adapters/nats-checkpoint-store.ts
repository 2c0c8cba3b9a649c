/**
 * CheckpointStore over the `watcher-state` KV bucket. A small checkpoint is one KV value; a large
 * one (many thousands of pairs) keeps its entries in the object store under a name that includes
 * the commit, and the KV value points at it — the KV put is the single commit point, so a crash
 * never leaves entries and commit out of step.
 */
import { kvKeys, UnavailableError } from '@driftless/contracts';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { Checkpoint, PublishedEntry } from '../core/checkpoint.js';
import type { PolicyState } from '../core/policy-state.js';
import type { CheckpointStore } from '../ports.js';

const FORMAT = 1;

type Stored = { format: typeof FORMAT; repo: string; branch: string; commitSha: string; policy?: PolicyState } & (
  | { entries: Record<string, PublishedEntry> }
  | { entriesObject: string; entryCount: number }
);

export interface NatsCheckpointStoreOptions {
  watcherState: KV;
  objects: ObjectStore;
  /** A checkpoint larger than this keeps its entries in the object store. */
  maxInlineBytes: number;
}

export class NatsCheckpointStore implements CheckpointStore {
  constructor(private readonly options: NatsCheckpointStoreOptions) {}

  async load(repo: string): Promise<Checkpoint | undefined> {
    const entry = await this.options.watcherState.get(kvKeys.lastPublished(repo));
    if (!entry || entry.operation !== 'PUT') return undefined;
    const stored = entry.json<Stored>();
    if (stored.format !== FORMAT) throw new UnavailableError(`watcher state of repository ${repo} has unknown format ${String(stored.format)}`);
    const policy = stored.policy === undefined ? {} : { policy: stored.policy };
    if ('entries' in stored) return { repo: stored.repo, branch: stored.branch, commitSha: stored.commitSha, entries: stored.entries, ...policy };
    const bytes = await this.options.objects.getBlob(stored.entriesObject);
    if (!bytes) throw new UnavailableError(`watcher state of repository ${repo} points at missing object ${stored.entriesObject}`);
    const entries = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, PublishedEntry>;
    return { repo: stored.repo, branch: stored.branch, commitSha: stored.commitSha, entries, ...policy };
  }

  async save(checkpoint: Checkpoint, hint: { isEntriesUnchanged: boolean } = { isEntriesUnchanged: false }): Promise<void> {
    const key = kvKeys.lastPublished(checkpoint.repo);
    if (hint.isEntriesUnchanged) {
      // Only the commit moved: point at the entries object already stored instead of rewriting it.
      const entry = await this.options.watcherState.get(key);
      const stored = entry && entry.operation === 'PUT' ? entry.json<Stored>() : undefined;
      if (stored && 'entriesObject' in stored && stored.branch === checkpoint.branch) {
        const policy = checkpoint.policy === undefined ? {} : { policy: checkpoint.policy };
        await this.options.watcherState.put(key, JSON.stringify({ ...stored, commitSha: checkpoint.commitSha, ...policy } satisfies Stored), { previousSeq: entry!.revision });
        return;
      }
    }
    const inline: Stored = { format: FORMAT, ...checkpoint, entries: { ...checkpoint.entries } };
    const inlineJson = JSON.stringify(inline);
    if (Buffer.byteLength(inlineJson, 'utf8') <= this.options.maxInlineBytes) {
      const previous = await this.previousObject(key);
      await this.options.watcherState.put(key, inlineJson);
      if (previous) await this.options.objects.delete(previous).catch(() => undefined);
      return;
    }
    const name = `watcher-state.${checkpoint.repo}.${checkpoint.commitSha}`;
    const previous = await this.previousObject(key);
    await this.options.objects.putBlob({ name }, new TextEncoder().encode(JSON.stringify(checkpoint.entries)));
    const pointer: Stored = {
      format: FORMAT,
      repo: checkpoint.repo,
      branch: checkpoint.branch,
      commitSha: checkpoint.commitSha,
      entriesObject: name,
      entryCount: Object.keys(checkpoint.entries).length,
      ...(checkpoint.policy === undefined ? {} : { policy: checkpoint.policy }),
    };
    await this.options.watcherState.put(key, JSON.stringify(pointer));
    // Only once the pointer moved is the old object garbage.
    if (previous && previous !== name) await this.options.objects.delete(previous).catch(() => undefined);
  }

  private async previousObject(key: string): Promise<string | undefined> {
    const entry = await this.options.watcherState.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const stored = entry.json<Stored>();
    return 'entriesObject' in stored ? stored.entriesObject : undefined;
  }
}
