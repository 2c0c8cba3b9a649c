/** Bounds on what a repository may make the renderer do, so a hostile or broken commit cannot exhaust the watcher. */

export interface Limits {
  /** Largest file read, in bytes (driftless.yaml, version files, templates). */
  readonly maxFileBytes: number;
  /** Largest total size of one component's template files, in bytes. */
  readonly maxComponentBytes: number;
  /** Most template files in one component folder, subfolders included. */
  readonly maxFilesPerComponent: number;
  /** Most YAML documents in one file. */
  readonly maxDocumentsPerFile: number;
  /** Most Kubernetes objects one component may render to. */
  readonly maxObjectsPerComponent: number;
  /** yaml's `maxAliasCount`: how many nodes alias expansion may produce before it is treated as an attack. */
  readonly maxAliasCount: number;
  /** Deepest nesting of maps and lists in any parsed file. */
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxComponentBytes: 8 * 1024 * 1024,
  maxFilesPerComponent: 500,
  maxDocumentsPerFile: 500,
  maxObjectsPerComponent: 1000,
  maxAliasCount: 100,
  maxDepth: 100,
});

/** The defaults with the given overrides; a non-positive or non-integer limit is a programming error. */
export function resolveLimits(overrides: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`limit ${key} must be a non-negative integer, got ${String(value)}`);
  }
  return Object.freeze(limits);
}
