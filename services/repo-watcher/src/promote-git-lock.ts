/**
 * One network operation at a time on a mirror: a sync's fetch and a promotion's push both write
 * the mirror's refs, and libgit2 fails the second writer on the ref lock instead of waiting.
 */
import type { GitMirror } from '@driftless/git';

export function withExclusiveNetwork(mirror: GitMirror): GitMirror {
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(operation: () => Promise<T>): Promise<T> => {
    const run = queue.then(operation);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    get path() {
      return mirror.path;
    },
    fetch: (options) => exclusive(() => mirror.fetch(options)),
    commitFileAndPush: (edit, options) => exclusive(() => mirror.commitFileAndPush(edit, options)),
    commitFilesAndPush: (edit, options) => exclusive(() => mirror.commitFilesAndPush(edit, options)),
    resolveBranch: (branch) => mirror.resolveBranch(branch),
    hasCommit: (sha) => mirror.hasCommit(sha),
    readCommit: (sha) => mirror.readCommit(sha),
    reader: (sha, limits) => mirror.reader(sha, limits),
    changedPaths: (from, to) => mirror.changedPaths(from, to),
    isAncestor: (a, d) => mirror.isAncestor(a, d),
    commitsBetween: (from, to, limit) => mirror.commitsBetween(from, to, limit),
    recentCommits: (sha, limit) => mirror.recentCommits(sha, limit),
    close: () => mirror.close(),
  };
}
