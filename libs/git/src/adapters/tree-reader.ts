/**
 * A RepoReader over one commit's tree, straight from Git objects (never a checkout): symlinks
 * and submodules are refused, paths cannot leave the root, and a blob's size is checked before
 * its bytes are copied into memory.
 */
import NodeGit from 'nodegit';
import { BlobTooLargeError, UnsafePathError } from '../errors.js';
import { splitRepoPath } from '../paths.js';
import type { DirEntry, ReadLimits, RepoReader } from '../ports.js';

// Git file modes (the typings' const enum is unusable under isolatedModules).
const FileMode = { tree: 0o040000, link: 0o120000, commit: 0o160000 } as const;

type Located = { kind: 'absent' } | { kind: 'tree'; folder: Folder } | { kind: 'entry'; entry: NodeGit.TreeEntry };

/** A tree with its entries indexed by name (nodegit's entryByName throws on a missing name). */
interface Folder {
  tree: NodeGit.Tree;
  entries: ReadonlyMap<string, NodeGit.TreeEntry>;
}

function folderOf(tree: NodeGit.Tree): Folder {
  return { tree, entries: new Map(tree.entries().map((e) => [e.name(), e])) };
}

export class TreeReader implements RepoReader {
  // One lookup per folder per commit, however many files the renderer reads from it.
  private readonly folders = new Map<string, Promise<Folder | undefined>>();

  constructor(
    private readonly repo: NodeGit.Repository,
    root: NodeGit.Tree,
    private readonly limits: ReadLimits,
  ) {
    this.folders.set('', Promise.resolve(folderOf(root)));
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    const located = await this.locate(path);
    if (located.kind === 'absent') return undefined;
    if (located.kind === 'tree') throw new UnsafePathError(path, 'it is a folder, not a file');
    const { entry } = located;
    assertPlainFile(path, entry);
    const blob = await NodeGit.Blob.lookup(this.repo, entry.id());
    const sizeBytes = blob.rawsize();
    if (sizeBytes > this.limits.maxFileBytes) throw new BlobTooLargeError(path, sizeBytes, this.limits.maxFileBytes);
    return new Uint8Array(blob.content());
  }

  async listDir(path: string): Promise<readonly DirEntry[] | undefined> {
    const located = await this.locate(path);
    if (located.kind !== 'tree') return undefined;
    return [...located.folder.entries.values()]
      .map((e): DirEntry => ({ name: e.name(), type: modeOf(e) === FileMode.tree ? 'dir' : 'file' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async blobId(path: string): Promise<string | undefined> {
    const located = await this.locate(path);
    // Only plain files have a content id; for anything else readFile gives the refusal.
    if (located.kind !== 'entry' || isRefused(located.entry)) return undefined;
    return located.entry.sha();
  }

  private async locate(path: string): Promise<Located> {
    const segments = splitRepoPath(path);
    const parent = await this.folder(path, segments.slice(0, -1));
    if (segments.length === 0) return parent ? { kind: 'tree', folder: parent } : { kind: 'absent' };
    const entry = parent?.entries.get(segments.at(-1)!);
    if (!entry) return { kind: 'absent' };
    if (modeOf(entry) === FileMode.tree) {
      const folder = await this.folder(path, segments);
      return folder ? { kind: 'tree', folder } : { kind: 'absent' };
    }
    return { kind: 'entry', entry };
  }

  /** The folder at `segments`, refusing to walk through a symlink on the way. */
  private folder(path: string, segments: readonly string[]): Promise<Folder | undefined> {
    const key = segments.join('/');
    let folder = this.folders.get(key);
    if (!folder) {
      folder = (async () => {
        const parent = await this.folder(path, segments.slice(0, -1));
        const entry = parent?.entries.get(segments.at(-1)!);
        if (!entry) return undefined;
        const mode = modeOf(entry);
        if (mode === FileMode.link) throw new UnsafePathError(path, `"${key}" is a symbolic link; symlinks are never followed`);
        if (mode !== FileMode.tree) return undefined;
        return folderOf(await this.repo.getTree(entry.id()));
      })();
      this.folders.set(key, folder);
    }
    return folder;
  }
}

function modeOf(entry: NodeGit.TreeEntry): number {
  return entry.filemode();
}

function isRefused(entry: NodeGit.TreeEntry): boolean {
  const mode = modeOf(entry);
  return mode === FileMode.link || mode === FileMode.commit;
}

function assertPlainFile(path: string, entry: NodeGit.TreeEntry): void {
  const mode = modeOf(entry);
  if (mode === FileMode.link) throw new UnsafePathError(path, 'it is a symbolic link; symlinks are never followed');
  if (mode === FileMode.commit) throw new UnsafePathError(path, 'it is a submodule; submodules are not read');
}
