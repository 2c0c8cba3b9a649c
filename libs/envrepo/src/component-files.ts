/**
 * A component's templates at one commit: every *.yaml / *.yml in its folder and subfolders, in
 * path order, parsed and compiled once per content (through the TemplateCache) within the limits.
 */
import { createHash } from 'node:crypto';
import { RenderError } from './errors.js';
import type { ComponentDef, Environment } from './model.js';
import type { RepoReader } from './ports.js';
import { blobId, listDir, readFile } from './read.js';
import { ENVIRONMENT_FILE } from './schema.js';
import { compileFile, type CompiledFile } from './template.js';
import type { LruTemplateCache } from './template-cache.js';
import { parseYaml } from './yaml-file.js';

const TEMPLATE_FILE = /\.ya?ml$/;

export interface CompiledComponent {
  readonly files: readonly CompiledFile[];
}

/** Paths of the component's template files, sorted; dot-files and dot-folders are skipped. */
async function templatePaths(reader: RepoReader, model: Environment, component: ComponentDef): Promise<string[] | RenderError> {
  const { limits } = model;
  const paths: string[] = [];
  const walk = async (dir: string, depth: number): Promise<RenderError | undefined> => {
    const entries = await listDir(reader, dir);
    if (entries === undefined) {
      const path = ['components', component.name, 'path'] as const;
      return new RenderError({
        file: dir === component.path ? ENVIRONMENT_FILE : dir,
        line: dir === component.path ? model.lineOf(path) : undefined,
        ...(dir === component.path ? { path: path.join('.') } : {}),
        reason: `component folder ${JSON.stringify(dir)} does not exist in the repository`,
      });
    }
    const folders: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = `${dir}/${entry.name}`;
      if (entry.type === 'dir') folders.push(path);
      else if (TEMPLATE_FILE.test(entry.name)) paths.push(path);
    }
    if (paths.length > limits.maxFilesPerComponent) {
      return new RenderError({ file: component.path, reason: `component folder has more than ${limits.maxFilesPerComponent} YAML files` });
    }
    if (folders.length > 0 && depth >= limits.maxDepth) {
      return new RenderError({ file: dir, reason: `folders are nested more than ${limits.maxDepth} deep` });
    }
    for (const folder of folders) {
      const error = await walk(folder, depth + 1);
      if (error) return error;
    }
    return undefined;
  };
  const error = await walk(component.path, 0);
  if (error) return error;
  if (paths.length === 0) {
    return new RenderError({ file: component.path, reason: 'component folder has no .yaml or .yml files, so the component would render to nothing' });
  }
  return paths.sort();
}

async function compiledFile(reader: RepoReader, model: Environment, path: string, cache: LruTemplateCache, limitsKey: string): Promise<CompiledFile | RenderError> {
  try {
    const id = await blobId(reader, path);
    const known = id === undefined ? undefined : cache.getFile(`${limitsKey}\0${path}\0${id}`);
    if (known !== undefined) return known;
    const bytes = await readFile(reader, path);
    if (bytes === undefined) return new RenderError({ file: path, reason: 'file disappeared while the component was being read' });
    const key = `${limitsKey}\0${path}\0${id ?? createHash('sha256').update(bytes).digest('hex')}`;
    if (id === undefined) {
      const cached = cache.getFile(key);
      if (cached !== undefined) return cached;
    }
    let result: CompiledFile | RenderError;
    try {
      result = compileFile(parseYaml(bytes, path, model.limits), bytes.byteLength);
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      result = err;
    }
    cache.setFile(key, result);
    return result;
  } catch (err) {
    // A refused read (a symlink, say) fails this component only; an outage propagates.
    if (err instanceof RenderError) return err;
    throw err;
  }
}

/** The component's compiled templates, or the RenderError that makes it unrenderable on every cluster. */
export async function loadComponent(reader: RepoReader, model: Environment, component: ComponentDef, cache: LruTemplateCache, limitsKey: string): Promise<CompiledComponent | RenderError> {
  const { limits } = model;
  let paths: string[] | RenderError;
  try {
    paths = await templatePaths(reader, model, component);
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
  if (paths instanceof RenderError) return paths;
  const files = await Promise.all(paths.map((path) => compiledFile(reader, model, path, cache, limitsKey)));
  let bytes = 0;
  let objects = 0;
  for (const file of files) {
    if (file instanceof RenderError) return file;
    bytes += file.bytes;
    objects += file.documents.length;
  }
  if (bytes > limits.maxComponentBytes) {
    return new RenderError({ file: component.path, reason: `component files add up to ${bytes} bytes, more than the limit of ${limits.maxComponentBytes}` });
  }
  if (objects > limits.maxObjectsPerComponent) {
    return new RenderError({ file: component.path, reason: `component has ${objects} objects, more than the limit of ${limits.maxObjectsPerComponent}` });
  }
  return { files: files as CompiledFile[] };
}
