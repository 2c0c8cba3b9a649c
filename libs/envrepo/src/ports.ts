/**
 * The one port through which the environment-repository library sees files. libs/git implements
 * it over a commit's tree; tests use an in-memory map. The library never touches a disk or Git itself.
 */

export interface DirEntry {
  readonly name: string;
  readonly type: 'file' | 'dir';
}

export interface RepoReader {
  /** The file's bytes, or undefined if there is no such file. Throws on a symlink or anything that is not a blob. */
  readFile(path: string): Promise<Uint8Array | undefined>;
  /** The folder's entries, or undefined if there is no such folder. */
  listDir(path: string): Promise<readonly DirEntry[] | undefined>;
  /**
   * A stable id of the file's content (a Git blob id), or undefined if there is no such file.
   * When present, parsed templates are cached by it and unchanged files are not even read again.
   */
  blobId?(path: string): Promise<string | undefined>;
}
