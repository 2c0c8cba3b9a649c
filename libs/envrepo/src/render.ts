/**
 * Rendering: every placed (cluster, component) pair to Kubernetes objects with Driftless's
 * ownership labels and a content hash. A pair that fails gets its own RenderError and never
 * stops the others; each component's templates are read and compiled once per call.
 */
import { NotFoundError } from '@driftless/contracts';
import { canonicalJson, contentHash } from './canonical.js';
import { loadComponent, type CompiledComponent } from './component-files.js';
import { RenderError } from './errors.js';
import type { ComponentOptions, Environment, Placement } from './model.js';
import { pairKey, resolvePair, type ResolvedPair } from './placement.js';
import type { RepoReader } from './ports.js';
import { asLru, createTemplateCache, type LruTemplateCache, type TemplateCache } from './template-cache.js';
import { instantiate, type Variables } from './template.js';
import { isPlainObject } from './values.js';

/** Label on every rendered object: who manages it. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'driftless';
/** Label on every rendered object: the component it belongs to. */
export const COMPONENT_LABEL = 'driftless.dev/component';
/** Annotation on every rendered object: the pair's content hash (`sha256:…`), the same as `hash`. */
export const REVISION_ANNOTATION = 'driftless.dev/revision';
/** Annotation on every rendered object: the component version it was rendered for. */
export const VERSION_ANNOTATION = 'driftless.dev/version';

export type KubeObject = Readonly<Record<string, unknown>>;

export interface RenderedComponent {
  readonly ok: true;
  readonly cluster: string;
  readonly component: string;
  readonly stage: string;
  readonly apps: readonly string[];
  readonly version: string;
  /** In template-file order, then document order. Treat as immutable: parts are shared between pairs. */
  readonly objects: readonly KubeObject[];
  /** sha256 of the canonical JSON of `{ objects, options }`, objects taken before the revision annotation is added. */
  readonly hash: `sha256:${string}`;
  readonly options: ComponentOptions;
}

export interface FailedComponent {
  readonly ok: false;
  readonly cluster: string;
  readonly component: string;
  readonly stage: string;
  readonly apps: readonly string[];
  readonly error: RenderError;
}

export type RenderResult = RenderedComponent | FailedComponent;

export interface RenderOptions {
  /**
   * Keep one cache across commits: unchanged files are not parsed again and pairs whose inputs
   * did not change are not rendered again. Default: a cache for this call only.
   */
  readonly cache?: TemplateCache;
  /** How many components are read at once through the reader. Default 8. */
  readonly concurrency?: number;
}

function failed(placement: Placement, error: RenderError): FailedComponent {
  const scoped = error.cluster === placement.cluster && error.component === placement.component ? error : error.forPair(placement.cluster, placement.component);
  return { ok: false, cluster: placement.cluster, component: placement.component, stage: placement.stage, apps: placement.apps, error: scoped };
}

function objectIdentity(object: KubeObject, metadata: Record<string, unknown>): string {
  const apiVersion = String(object['apiVersion']);
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  return `${group}/${String(object['kind'])}/${namespace}/${String(metadata['name'])}`;
}

function checkObject(value: unknown): { metadata: Record<string, unknown> } | string {
  if (!isPlainObject(value)) return 'document is not a map, so it is not a Kubernetes object';
  for (const field of ['apiVersion', 'kind'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') return `object has no ${field}`;
  }
  const metadata = value['metadata'];
  if (!isPlainObject(metadata)) return `${String(value['kind'])} has no metadata`;
  if (typeof metadata['name'] !== 'string' || metadata['name'] === '') return `${String(value['kind'])} has no metadata.name`;
  for (const field of ['labels', 'annotations'] as const) {
    if (metadata[field] !== undefined && metadata[field] !== null && !isPlainObject(metadata[field])) {
      return `${String(value['kind'])} ${metadata['name']}: metadata.${field} must be a map`;
    }
  }
  return { metadata };
}

function stamp(object: KubeObject, metadata: Record<string, unknown>, labels: Record<string, string>, annotations: Record<string, string>): KubeObject {
  // Driftless's own labels win over the template's, so an object can never hide from its agent.
  return {
    ...object,
    metadata: {
      ...metadata,
      labels: { ...(metadata['labels'] as Record<string, unknown> | undefined), ...labels },
      annotations: { ...(metadata['annotations'] as Record<string, unknown> | undefined), ...annotations },
    },
  };
}

/** Renders one resolved pair from its compiled templates. Pure and synchronous. */
function renderResolved(resolved: ResolvedPair, compiled: CompiledComponent): RenderResult {
  const { placement, cluster, component, version } = resolved;
  const variables: Variables = {
    cluster: { name: cluster.name, stage: cluster.stage, labels: cluster.labels },
    component: { name: component.name },
    version,
    values: resolved.values,
  };
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY, [COMPONENT_LABEL]: component.name };
  const annotations = { [VERSION_ANNOTATION]: version };
  const objects: { object: KubeObject; metadata: Record<string, unknown> }[] = [];
  const seen = new Map<string, string>();
  try {
    for (const file of compiled.files) {
      for (const document of file.documents) {
        const value = instantiate(document.template, { file: file.file, variables });
        const checked = checkObject(value);
        if (typeof checked === 'string') throw new RenderError({ file: file.file, line: document.line, reason: checked });
        const object = stamp(value as KubeObject, checked.metadata, labels, annotations);
        const identity = objectIdentity(object, checked.metadata);
        const earlier = seen.get(identity);
        if (earlier !== undefined) {
          throw new RenderError({ file: file.file, line: document.line, reason: `${String(object['kind'])} ${String(checked.metadata['name'])} is already defined in ${earlier}` });
        }
        seen.set(identity, file.file);
        objects.push({ object, metadata: object['metadata'] as Record<string, unknown> });
      }
    }
  } catch (err) {
    if (err instanceof RenderError) return failed(placement, err);
    throw err;
  }
  const hash = contentHash({ objects: objects.map((o) => o.object), options: resolved.options });
  return {
    ok: true,
    cluster: cluster.name,
    component: component.name,
    stage: cluster.stage,
    apps: placement.apps,
    version,
    objects: objects.map(({ object, metadata }) => ({
      ...object,
      metadata: { ...metadata, annotations: { ...(metadata['annotations'] as Record<string, unknown>), [REVISION_ANNOTATION]: hash } },
    })),
    hash,
    options: resolved.options,
  };
}

async function forEachLimit<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await run(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** Everything a pair's rendering depends on besides its template files, as one comparable string. */
function inputKey(pair: ResolvedPair): string {
  const { cluster, component } = pair;
  return [cluster.name, cluster.stage, canonicalJson(cluster.labels), component.name, pair.version, canonicalJson(pair.values), canonicalJson(pair.options)].join('\0');
}

function sameFiles(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((file, i) => file === b[i]);
}

/** Renders a pair, or reuses its last result when nothing it depends on changed. */
function renderCached(cache: LruTemplateCache, pair: ResolvedPair, compiled: CompiledComponent): RenderResult {
  const key = pairKey(pair.cluster.name, pair.component.name);
  const input = inputKey(pair);
  const cached = cache.getResult<RenderResult>(key);
  if (cached && cached.inputKey === input && sameFiles(cached.files, compiled.files)) {
    const { placement } = pair;
    const isSameApps = cached.result.apps.length === placement.apps.length && cached.result.apps.every((app, i) => app === placement.apps[i]);
    if (isSameApps) return cached.result;
    const result = { ...cached.result, apps: placement.apps };
    cache.setResult(key, { ...cached, result });
    return result;
  }
  const result = renderResolved(pair, compiled);
  cache.setResult(key, { files: compiled.files, inputKey: input, result });
  return result;
}

/**
 * Renders the given placements (from `model.placements`), in the same order. Each result is a
 * RenderedComponent or a FailedComponent; only an outage of the reader rejects the whole call.
 */
export async function renderPlacements(model: Environment, reader: RepoReader, placements: readonly Placement[], options: RenderOptions = {}): Promise<RenderResult[]> {
  const cache = asLru(options.cache ?? createTemplateCache());
  const limitsKey = canonicalJson(model.limits);
  const byComponent = new Map<string, Placement[]>();
  for (const placement of placements) {
    const list = byComponent.get(placement.component);
    if (list) list.push(placement);
    else byComponent.set(placement.component, [placement]);
  }
  const results = new Map<string, RenderResult>();
  await forEachLimit([...byComponent], options.concurrency ?? 8, async ([name, pairs]) => {
    const component = model.components.get(name);
    if (!component) throw new NotFoundError(`component ${name} is not defined in this environment`);
    const resolved = pairs.map((placement) => ({ placement, resolved: resolvePair(model, placement) }));
    // A component every pair of which already failed need not be read at all.
    const compiled = resolved.some((r) => !(r.resolved instanceof RenderError)) ? await loadComponent(reader, model, component, cache, limitsKey) : undefined;
    for (const { placement, resolved: pair } of resolved) {
      const key = pairKey(placement.cluster, placement.component);
      if (pair instanceof RenderError) results.set(key, failed(placement, pair));
      else if (compiled === undefined || compiled instanceof RenderError) results.set(key, failed(placement, compiled as RenderError));
      else results.set(key, renderCached(cache, pair, compiled));
    }
  });
  // Forget pairs no longer placed anywhere, so a long-lived cache does not grow with history.
  if (cache.resultCount > model.placements.length) cache.retainResults(new Set(model.placements.map((p) => pairKey(p.cluster, p.component))));
  return placements.map((p) => results.get(pairKey(p.cluster, p.component)) as RenderResult);
}

/** Renders every placed (cluster, component) pair of the environment. */
export async function renderAll(model: Environment, reader: RepoReader, options: RenderOptions = {}): Promise<RenderResult[]> {
  return renderPlacements(model, reader, model.placements, options);
}

/** Renders one pair; a NotFoundError if no app places that component on that cluster. */
export async function renderOne(model: Environment, reader: RepoReader, cluster: string, component: string, options: RenderOptions = {}): Promise<RenderResult> {
  const placement = model.placements.find((p) => p.cluster === cluster && p.component === component);
  if (!placement) throw new NotFoundError(`no app places component ${component} on cluster ${cluster}`);
  const [result] = await renderPlacements(model, reader, [placement], options);
  return result as RenderResult;
}
