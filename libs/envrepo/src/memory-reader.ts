/**
 * An in-memory RepoReader over a `path → content` map: for tests, benchmarks and examples.
 * Paths are repository-relative with `/` separators; folders exist implicitly.
 */
import { createHash } from 'node:crypto';
import type { DirEntry, RepoReader } from './ports.js';

export interface MemoryReaderOptions {
  /** Offer `blobId` (a hash of the content, like Git's). Default true. */
  readonly hasBlobIds?: boolean;
}

export function memoryReader(files: Readonly<Record<string, string | Uint8Array>>, options: MemoryReaderOptions = {}): RepoReader {
  const encoder = new TextEncoder();
  const contents = new Map<string, Uint8Array>();
  const dirs = new Map<string, Map<string, DirEntry['type']>>();
  const dirOf = (path: string) => {
    let dir = dirs.get(path);
    if (!dir) dirs.set(path, (dir = new Map<string, DirEntry['type']>()));
    return dir;
  };
  dirOf('');
  for (const [rawPath, content] of Object.entries(files)) {
    const path = rawPath.replace(/^\/+/, '');
    contents.set(path, typeof content === 'string' ? encoder.encode(content) : content);
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      dirOf(parent).set(parts[i] as string, i === parts.length - 1 ? 'file' : 'dir');
    }
  }
  const ids = new Map<string, string>();
  const reader: RepoReader = {
    readFile: (path) => Promise.resolve(contents.get(path)),
    listDir: (path) => {
      const dir = dirs.get(path.replace(/\/+$/, ''));
      return Promise.resolve(dir ? [...dir].map(([name, type]) => ({ name, type })) : undefined);
    },
  };
  if (options.hasBlobIds ?? true) {
    reader.blobId = (path) => {
      const content = contents.get(path);
      if (content === undefined) return Promise.resolve(undefined);
      let id = ids.get(path);
      if (id === undefined) ids.set(path, (id = createHash('sha1').update(content).digest('hex')));
      return Promise.resolve(id);
    };
  }
  return reader;
}
