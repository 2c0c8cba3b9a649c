/**
 * A RepoReader that shows a commit's tree with some files replaced, added or deleted: what the
 * tree would be after a promotion's edits, so the renderer can plan it without a commit.
 */
import { createHash } from 'node:crypto';
import type { DirEntry, RepoReader } from '@driftless/envrepo';

/** Path → new content, or null for a deleted file. */
export type Overlay = ReadonlyMap<string, string | null>;

export function overlayReader(base: RepoReader, overlay: Overlay): RepoReader {
  const encoder = new TextEncoder();
  const reader: RepoReader = {
    readFile: async (path) => {
      const content = overlay.get(path);
      if (content === undefined) return base.readFile(path);
      return content === null ? undefined : encoder.encode(content);
    },
    listDir: async (path) => {
      const dir = path.replace(/\/+$/, '');
      const entries = new Map<string, DirEntry['type']>((await base.listDir(dir))?.map((e) => [e.name, e.type]));
      let isTouched = false;
      for (const [file, content] of overlay) {
        const rest = dir === '' ? file : file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : undefined;
        if (rest === undefined) continue;
        const slash = rest.indexOf('/');
        if (content === null) {
          if (slash < 0 && entries.get(rest) === 'file') entries.delete(rest);
          continue;
        }
        entries.set(slash < 0 ? rest : rest.slice(0, slash), slash < 0 ? 'file' : 'dir');
        isTouched = true;
      }
      if (entries.size === 0 && !isTouched) return base.listDir(dir);
      return [...entries].map(([name, type]) => ({ name, type })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
  const baseBlobId = base.blobId?.bind(base);
  // Without blob ids underneath, the overlay offers none either (a mix would defeat the cache's key).
  if (baseBlobId) {
    reader.blobId = async (path) => {
      const content = overlay.get(path);
      if (content === undefined) return baseBlobId(path);
      if (content === null) return undefined;
      // Git's blob id of the content, so a cache keyed by blob id cannot mix it up with another file.
      const bytes = encoder.encode(content);
      return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    };
  }
  return reader;
}
