/**
 * What a watcher has published for one repository: the last processed commit and, per
 * `<cluster>.<component>`, the version and content hash now in the `desired` bucket. Saved after
 * every commit so a restart compares against it instead of re-publishing everything.
 */
import type { PolicyState } from './policy-state.js';

export interface PublishedEntry {
  version: string;
  hash: string;
}

export interface Checkpoint {
  repo: string;
  branch: string;
  commitSha: string;
  /** Keyed by the `desired` KV key, `<cluster>.<component>`. */
  entries: Readonly<Record<string, PublishedEntry>>;
  /** The change policy's state (released commit per stage, held commits), saved in the same write. */
  policy?: PolicyState;
}

/** An empty history: the first commit publishes everything it renders. */
export function emptyEntries(): Readonly<Record<string, PublishedEntry>> {
  return {};
}
