/**
 * Repository-relative path checks. Files are read from Git objects, so nothing can really leave
 * the repository, but a `..` or absolute path is still a bug or an attack and gets a clear refusal.
 */
import { UnsafePathError } from './errors.js';

/**
 * Returns the path's segments (empty for the root: '', '.', '/'-free forms only) or throws
 * UnsafePathError for absolute paths, `..` segments and NUL bytes.
 */
export function splitRepoPath(path: string): string[] {
  if (path.includes('\0')) throw new UnsafePathError(path, 'the path contains a NUL byte');
  if (path.startsWith('/')) throw new UnsafePathError(path, 'absolute paths are not allowed, use a path relative to the repository root');
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') throw new UnsafePathError(path, '".." would leave the folder; paths must stay inside the repository');
    segments.push(segment);
  }
  return segments;
}

/** The canonical form of a repository path: no `./`, no doubled or trailing slashes ('' is the root). */
export function normalizeRepoPath(path: string): string {
  return splitRepoPath(path).join('/');
}
