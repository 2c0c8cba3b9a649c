/**
 * Decides, purely, what one commit publishes: a put for every (cluster, component) whose content
 * hash differs from the last published one, a removal for every pair no longer placed, nothing for
 * pairs (or clusters, or the whole commit) that failed to render — those keep their last good state.
 */
import { kvKeys } from '@driftless/contracts';
import type { PublishedEntry } from './checkpoint.js';
import type { CommitRender, RenderedPair, RenderFailure } from './render-result.js';

export interface DesiredPut {
  key: string;
  pair: RenderedPair;
  previous: PublishedEntry | null;
}

export interface DesiredRemoval {
  key: string;
  cluster: string;
  component: string;
  previous: PublishedEntry;
}

export interface PublishPlan {
  puts: DesiredPut[];
  removals: DesiredRemoval[];
  failures: readonly RenderFailure[];
  /** The published state once this plan has been carried out. */
  nextEntries: Record<string, PublishedEntry>;
}

export function planPublish(previous: Readonly<Record<string, PublishedEntry>>, render: CommitRender): PublishPlan {
  const nextEntries: Record<string, PublishedEntry> = { ...previous };
  const puts: DesiredPut[] = [];
  const rendered = new Set<string>();
  for (const pair of render.pairs) {
    const key = kvKeys.desired(pair.cluster, pair.component);
    rendered.add(key);
    const before = previous[key];
    if (before?.hash === pair.hash && before.version === pair.version) continue;
    puts.push({ key, pair, previous: before ?? null });
    nextEntries[key] = { version: pair.version, hash: pair.hash };
  }

  const isKept = keptByFailures(render.failures);
  const removals: DesiredRemoval[] = [];
  for (const [key, entry] of Object.entries(previous)) {
    if (rendered.has(key)) continue;
    const [cluster, component] = key.split('.') as [string, string];
    // A pair that failed to render is not a pair that was removed: it keeps its last good state.
    if (isKept(cluster, component)) continue;
    removals.push({ key, cluster, component, previous: entry });
    delete nextEntries[key];
  }
  puts.sort((a, b) => compare(a.key, b.key));
  removals.sort((a, b) => compare(a.key, b.key));
  return { puts, removals, failures: render.failures, nextEntries };
}

function keptByFailures(failures: readonly RenderFailure[]): (cluster: string, component: string) => boolean {
  if (failures.some((f) => f.cluster === undefined && f.component === undefined)) return () => true;
  const clusters = new Set(failures.filter((f) => f.cluster !== undefined && f.component === undefined).map((f) => f.cluster));
  const components = new Set(failures.filter((f) => f.cluster === undefined && f.component !== undefined).map((f) => f.component));
  const pairs = new Set(failures.filter((f) => f.cluster !== undefined && f.component !== undefined).map((f) => `${f.cluster}.${f.component}`));
  return (cluster, component) => clusters.has(cluster) || components.has(component) || pairs.has(`${cluster}.${component}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
