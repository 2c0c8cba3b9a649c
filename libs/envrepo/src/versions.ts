/**
 * Version files: `versions/<stage>.yaml` and `versions/clusters/<cluster>.yaml`, each a flat map of
 * `component: version`, one line per component so a promotion is a one-line diff. They are read
 * with YAML's failsafe schema, so `1.10` stays the string "1.10".
 */
import { RenderError } from './errors.js';
import type { Limits } from './limits.js';
import type { VersionEntry, VersionTable } from './model.js';
import type { RepoReader } from './ports.js';
import { blobId, readFile } from './read.js';
import { CLUSTER_PINS_DIR, VERSIONS_DIR, VERSION_PATTERN } from './schema.js';
import { isPlainObject } from './values.js';
import { alternatives } from './words.js';
import { parseYaml } from './yaml-file.js';

const versionPattern = new RegExp(VERSION_PATTERN);

export const stageVersionsFile = (stage: string) => `${VERSIONS_DIR}/${stage}.yaml`;
export const clusterPinsFile = (cluster: string) => `${CLUSTER_PINS_DIR}/${cluster}.yaml`;

function emptyTable(file: string, error?: RenderError): VersionTable {
  return { file, error, entries: new Map() };
}

/** Interprets one version file's bytes; never throws for content problems (they are kept in the table). */
export function parseVersionTable(
  bytes: Uint8Array | undefined,
  file: string,
  components: ReadonlySet<string>,
  limits: Limits,
  warnings: string[],
): VersionTable {
  if (bytes === undefined) return emptyTable(file);
  let parsed;
  try {
    parsed = parseYaml(bytes, file, limits, { schema: 'failsafe' });
  } catch (err) {
    if (err instanceof RenderError) return emptyTable(file, err);
    throw err;
  }
  const documents = parsed.documents.filter((d) => d.value !== null);
  if (documents.length > 1) {
    return emptyTable(file, new RenderError({ file, line: documents[1]?.line, reason: 'must be a single YAML document' }));
  }
  const root = documents[0]?.value ?? {};
  if (!isPlainObject(root)) {
    return emptyTable(file, new RenderError({ file, line: documents[0]?.line, reason: 'must be a map of component: version, one per line' }));
  }
  const entries = new Map<string, VersionEntry | RenderError>();
  for (const [component, version] of Object.entries(root)) {
    const line = parsed.lineOf(0, [component]);
    if (!components.has(component)) {
      warnings.push(`${file}:${line ?? 1}: "${component}" is not a component${alternatives('components', component, components)}; the line is ignored`);
      continue;
    }
    if (typeof version !== 'string' || !versionPattern.test(version)) {
      const shown = typeof version === 'string' ? JSON.stringify(version) : 'not a plain value';
      entries.set(
        component,
        new RenderError({
          file,
          line,
          path: component,
          reason: `version ${shown} is not valid: use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-' (like an image tag)`,
        }),
      );
      continue;
    }
    entries.set(component, { version, line });
  }
  return { file, error: undefined, entries };
}

/** A version file's table and the warnings reading it gave. */
export interface LoadedVersionTable {
  readonly table: VersionTable;
  readonly warnings: readonly string[];
}

/**
 * Reads one version file, keeping a read refusal (a symlink, say) as the table's error. With a
 * cache and a reader offering blob ids, an unchanged file is neither read nor parsed again.
 */
export async function loadVersionTable(
  reader: RepoReader,
  file: string,
  components: ReadonlySet<string>,
  limits: Limits,
  cache?: { key: string; get(key: string): LoadedVersionTable | undefined; set(key: string, value: LoadedVersionTable): void },
): Promise<LoadedVersionTable> {
  try {
    const id = cache && reader.blobId ? await blobId(reader, file) : undefined;
    if (reader.blobId && cache && id === undefined) return { table: emptyTable(file), warnings: [] };
    // The table depends on which components exist (unknown ones are warnings), so they are part of the key.
    const key = id === undefined || !cache ? undefined : `${cache.key}\0${file}\0${id}\0${[...components].join(',')}`;
    const known = key === undefined ? undefined : cache?.get(key);
    if (known) return known;
    const warnings: string[] = [];
    const loaded = { table: parseVersionTable(await readFile(reader, file), file, components, limits, warnings), warnings };
    if (key !== undefined) cache?.set(key, loaded);
    return loaded;
  } catch (err) {
    if (err instanceof RenderError) return { table: emptyTable(file, err), warnings: [] };
    throw err;
  }
}
