/**
 * The cache a caller keeps across commits. It holds compiled template files keyed by path and
 * content (the Git blob id when the reader offers one), so a commit re-parses only changed files,
 * and each pair's last result with the inputs it was rendered from, so a pair whose templates,
 * version, values, labels and options are all unchanged is not rendered again.
 */
import type { RenderError } from './errors.js';
import type { CompiledFile } from './template.js';

export type CachedFile = CompiledFile | RenderError;

const MAX_ENVIRONMENT_ENTRIES = 64;

/** What a pair was last rendered from, and what it rendered to. */
export interface CachedResult<R> {
  readonly files: readonly CompiledFile[];
  readonly inputKey: string;
  readonly result: R;
}

/** Opaque to callers: create one with `createTemplateCache` and pass it to every render call. */
export interface TemplateCache {
  /** Number of compiled files held. */
  readonly size: number;
  /** Number of pair results held. */
  readonly resultCount: number;
}

export class LruTemplateCache implements TemplateCache {
  private readonly files = new Map<string, CachedFile>();
  private readonly results = new Map<string, CachedResult<unknown>>();
  /** Parsed driftless.yaml and version files by content; a handful of recent ones is plenty. */
  private readonly environment = new Map<string, unknown>();

  constructor(private readonly maxFiles: number) {}

  get size(): number {
    return this.files.size;
  }
  get resultCount(): number {
    return this.results.size;
  }

  getFile(key: string): CachedFile | undefined {
    const file = this.files.get(key);
    if (file !== undefined) {
      // Re-insert to mark as recently used (a Map keeps insertion order).
      this.files.delete(key);
      this.files.set(key, file);
    }
    return file;
  }

  setFile(key: string, file: CachedFile): void {
    this.files.delete(key);
    this.files.set(key, file);
    if (this.files.size > this.maxFiles) {
      const oldest = this.files.keys().next();
      if (!oldest.done) this.files.delete(oldest.value);
    }
  }

  getResult<R>(pair: string): CachedResult<R> | undefined {
    return this.results.get(pair) as CachedResult<R> | undefined;
  }

  setResult<R>(pair: string, entry: CachedResult<R>): void {
    this.results.set(pair, entry);
  }

  getEnvironment<T>(key: string): T | undefined {
    return this.environment.get(key) as T | undefined;
  }

  setEnvironment(key: string, value: unknown): void {
    this.environment.delete(key);
    this.environment.set(key, value);
    if (this.environment.size > MAX_ENVIRONMENT_ENTRIES) {
      const oldest = this.environment.keys().next();
      if (!oldest.done) this.environment.delete(oldest.value);
    }
  }

  /** Forgets the results of pairs no longer placed anywhere. */
  retainResults(pairs: ReadonlySet<string>): void {
    for (const pair of this.results.keys()) if (!pairs.has(pair)) this.results.delete(pair);
  }
}

/** A cache holding at most `maxFiles` compiled files (least recently used go first) and one result per placed pair. */
export function createTemplateCache(maxFiles = 20_000): TemplateCache {
  return new LruTemplateCache(maxFiles);
}

export function asLru(cache: TemplateCache): LruTemplateCache {
  if (!(cache instanceof LruTemplateCache)) throw new TypeError('pass a cache made by createTemplateCache()');
  return cache;
}
