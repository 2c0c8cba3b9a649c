/**
 * Renderer over libs/envrepo. It remembers the last commit it rendered, so for the next commit
 * it re-renders only the pairs the changed paths can affect and reuses the rest; templates are
 * cached by blob id across commits. Bad content becomes failures, never exceptions; only an
 * outage of the reader (UnavailableError) propagates, so the sync is retried.
 */
import {
  affectedPlacements,
  createTemplateCache,
  loadEnvironment,
  renderPlacements,
  RenderError,
  type Environment,
  type Limits,
  type Placement,
  type RenderedComponent,
  type RenderResult,
  type TemplateCache,
} from '@driftless/envrepo';
import type { RepoReader } from '@driftless/git';
import type { CommitRender, RenderedPair, RenderFailure } from '../core/render-result.js';
import type { RenderChange, Renderer } from '../ports.js';

interface Rendered {
  sha: string;
  model: Environment;
  results: ReadonlyMap<string, RenderResult>;
}

export class EnvrepoRenderer implements Renderer {
  private readonly cache: TemplateCache = createTemplateCache();
  private last: Rendered | undefined;

  constructor(
    private readonly limits: Partial<Limits> = {},
    private readonly concurrency = 8,
  ) {}

  async render(sha: string, reader: RepoReader, change?: RenderChange): Promise<CommitRender> {
    let model: Environment;
    try {
      model = await loadEnvironment(reader, this.limits, { cache: this.cache });
    } catch (err) {
      if (err instanceof RenderError) return { pairs: [], failures: [failureOf(err)] };
      throw err;
    }
    const previous = change && this.last?.sha === change.previousSha ? this.last : undefined;
    const toRender = previous ? affectedPlacements(model, change!.changedPaths, previous.model) : model.placements;
    const fresh = await this.renderSafely(model, reader, toRender);
    const results = new Map<string, RenderResult>();
    for (const result of fresh) results.set(pairKey(result), result);
    for (const placement of model.placements) {
      const key = pairKey(placement);
      if (results.has(key)) continue;
      const reused = previous?.results.get(key);
      // Unaffected pairs keep last commit's result; a failed or missing one is rendered again.
      if (reused?.ok && sameStageAndApps(reused, placement)) results.set(key, reused);
      else results.set(key, (await this.renderSafely(model, reader, [placement]))[0]!);
    }
    this.last = { sha, model, results };

    const pairs: RenderedPair[] = [];
    const failures: RenderFailure[] = [];
    for (const placement of model.placements) {
      const result = results.get(pairKey(placement))!;
      if (result.ok) pairs.push(pairOf(result));
      else failures.push({ ...failureOf(result.error), cluster: result.cluster, component: result.component });
    }
    return { pairs, failures };
  }

  /** renderPlacements, with a content error that escapes it turned into a failure of every pair it was rendering. */
  private async renderSafely(model: Environment, reader: RepoReader, placements: readonly Placement[]): Promise<RenderResult[]> {
    try {
      return await renderPlacements(model, reader, placements, { cache: this.cache, concurrency: this.concurrency });
    } catch (err) {
      if (!(err instanceof RenderError)) throw err;
      return placements.map((p) => ({ ok: false, cluster: p.cluster, component: p.component, stage: p.stage, apps: p.apps, error: err.forPair(p.cluster, p.component) }));
    }
  }
}

function pairKey(pair: { cluster: string; component: string }): string {
  return `${pair.cluster}.${pair.component}`;
}

function sameStageAndApps(result: RenderedComponent, placement: { stage: string; apps: readonly string[] }): boolean {
  return result.stage === placement.stage && result.apps.join(',') === placement.apps.join(',');
}

function pairOf(result: RenderedComponent): RenderedPair {
  return {
    cluster: result.cluster,
    component: result.component,
    stage: result.stage,
    apps: result.apps,
    version: result.version,
    objects: result.objects,
    hash: result.hash,
    options: result.options,
  };
}

function failureOf(error: RenderError): RenderFailure {
  return {
    ...(error.cluster === undefined ? {} : { cluster: error.cluster }),
    ...(error.component === undefined ? {} : { component: error.component }),
    ...(error.file === undefined ? {} : { file: error.file }),
    ...(error.line === undefined ? {} : { line: error.line }),
    reason: error.reason,
  };
}
