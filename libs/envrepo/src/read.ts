/** Reading through the RepoReader port, turning content refusals into RenderErrors and keeping outages as they are. */
import { UnavailableError } from '@driftless/contracts';
import { RenderError } from './errors.js';
import type { DirEntry, RepoReader } from './ports.js';

function refused(file: string, err: unknown): unknown {
  // An outage is worth retrying and must not be reported as a problem in the commit; anything
  // else the reader refuses (a symlink, a tree where a file should be, an oversized blob) is the commit's fault.
  if (err instanceof UnavailableError || (err instanceof Error && err.name === 'AbortError')) return err;
  return new RenderError({ file, reason: err instanceof Error ? err.message : String(err) }, { cause: err });
}

export async function readFile(reader: RepoReader, file: string): Promise<Uint8Array | undefined> {
  try {
    return await reader.readFile(file);
  } catch (err) {
    throw refused(file, err);
  }
}

export async function listDir(reader: RepoReader, dir: string): Promise<readonly DirEntry[] | undefined> {
  try {
    return await reader.listDir(dir);
  } catch (err) {
    throw refused(dir, err);
  }
}

export async function blobId(reader: RepoReader, file: string): Promise<string | undefined> {
  if (!reader.blobId) return undefined;
  try {
    return await reader.blobId(file);
  } catch (err) {
    throw refused(file, err);
  }
}
