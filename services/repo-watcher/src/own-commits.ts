/**
 * The commits the watcher itself wrote (promotions), per repository. The change policy exempts
 * them from the author rule and the brake: the promotion already passed its gates in the audit
 * service, and the commit is authored as the requester, who may not be an allowed author.
 */
import { assertDnsLabel } from '@driftless/contracts';
import type { KV } from '@nats-io/kv';

export interface OwnCommits {
  record(sha: string): Promise<void>;
  has(sha: string): Promise<boolean>;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

function checkedSha(sha: string): string {
  if (!SHA.test(sha)) throw new Error(`"${sha}" is not a commit sha (40 or 64 lowercase hex digits)`);
  return sha;
}

/** The key of one own commit in the `watcher-state` bucket (apart from the `repo.<name>` checkpoints). */
export const ownCommitKey = (repo: string, sha: string): string => `own-commit.${assertDnsLabel('repository', repo)}.${checkedSha(sha)}`;

/** OwnCommits in the `watcher-state` KV bucket, so another watcher that takes the lease knows them too. */
export class KvOwnCommits implements OwnCommits {
  constructor(
    private readonly watcherState: KV,
    private readonly repo: string,
  ) {}

  async record(sha: string): Promise<void> {
    await this.watcherState.put(ownCommitKey(this.repo, sha), JSON.stringify({ recordedAt: new Date().toISOString() }));
  }

  async has(sha: string): Promise<boolean> {
    const entry = await this.watcherState.get(ownCommitKey(this.repo, sha));
    return entry !== null && entry.operation === 'PUT';
  }
}

/** OwnCommits in memory, for tests and for code that runs without NATS. */
export class MemoryOwnCommits implements OwnCommits {
  private readonly shas = new Set<string>();

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a bad sha rejects like the KV one
  async record(sha: string): Promise<void> {
    this.shas.add(checkedSha(sha));
  }

  has(sha: string): Promise<boolean> {
    return Promise.resolve(this.shas.has(sha));
  }
}
