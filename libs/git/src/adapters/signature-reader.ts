/**
 * Reads a commit's signature and signed payload from a repository on disk (the watcher's bare
 * mirror) through nodegit, without a checkout.
 */
import NodeGit from 'nodegit';
import { splitSignedCommit, type SignedCommit } from '../signature-payload.js';

export interface CommitSignatureReader {
  /** The commit's signature and the payload it covers; undefined when the commit is unsigned. */
  read(sha: string): Promise<SignedCommit | undefined>;
}

/** A reader over the repository at `path`, opened on first use. */
export function openCommitSignatureReader(path: string): CommitSignatureReader {
  let repo: Promise<NodeGit.Repository> | undefined;
  return {
    async read(sha) {
      repo ??= NodeGit.Repository.open(path).catch((err: unknown) => {
        repo = undefined;
        throw err;
      });
      const commit = await (await repo).getCommit(sha);
      // The raw header keeps its final newline; a blank line separates it from the message.
      return splitSignedCommit(`${commit.rawHeader()}\n${commit.messageRaw()}`);
    },
  };
}
