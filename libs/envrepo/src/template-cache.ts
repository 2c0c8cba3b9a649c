/**
 * A bounded cache of compiled template files keyed by path and content (the Git blob id when the
 * reader offers one), so a commit that changes one component re-parses only that component's files.
 */
import type { RenderError } from './errors.js';
import type { CompiledFile } from './template.js';

export type CachedFile = CompiledFile | RenderError;

export interface TemplateCache {
  get(key: string): CachedFile | undefined;
  set(key: string, file: CachedFile): void;
  readonly size: number;
}

/** Least-recently-used, holding at most `maxEntries` files. */
export function createTemplateCache(maxEntries = 20_000): TemplateCache {
  const entries = new Map<string, CachedFile>();
  return {
    get(key) {
      const file = entries.get(key);
      if (file !== undefined) {
        // Re-insert to mark as recently used (Map keeps insertion order).
        entries.delete(key);
        entries.set(key, file);
      }
      return file;
    },
    set(key, file) {
      entries.delete(key);
      entries.set(key, file);
      if (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
    },
    get size() {
      return entries.size;
    },
  };
}
