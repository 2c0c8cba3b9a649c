/**
 * A promotion's plan: the stage's (cluster, component) pairs rendered at the branch head and
 * again with the edited version files, compared — what changes, what the agents will prune,
 * what stays and why (a pin, an app override, already there, not in this wave).
 */
import { InvalidInputError, type ObjectRef, type PromotionGates, type PromotionPlan } from '@driftless/contracts';
import { clusterPinsFile, type Environment, type KubeObject, type RenderResult } from '@driftless/envrepo';
import type { ResolvedPromotion } from './promote-edits.js';

export interface PlanInputs {
  repo: string;
  baseSha: string;
  resolved: ResolvedPromotion;
  /** The environment at the head, and with the edits. */
  before: Environment;
  after: Environment;
  /** The promoted components' pairs of the stage, rendered at the head and with the edits. */
  renderedBefore: readonly RenderResult[];
  renderedAfter: readonly RenderResult[];
  gates: PromotionGates;
}

/** The pairs to render for the plan: every placement of a promoted component at the stage. */
export function pairsToRender<P extends { cluster: string; component: string; stage: string }>(placements: readonly P[], resolved: ResolvedPromotion): P[] {
  const components = new Set(resolved.components.map((c) => c.component));
  return placements.filter((p) => p.stage === resolved.stage && components.has(p.component));
}

/** Throws InvalidInputError when the edited repository would not render a pair it renders now or must render. */
export function planPromotion(inputs: PlanInputs): PromotionPlan {
  const { resolved, before, after } = inputs;
  const beforeByKey = new Map(inputs.renderedBefore.map((r) => [key(r), r]));
  const failures = inputs.renderedAfter.filter((r) => !r.ok);
  if (failures.length > 0) {
    const shown = failures.slice(0, 5).map((f) => `${f.component} on ${f.cluster}: ${f.ok ? '' : f.error.message}`);
    throw new InvalidInputError(`the promotion would not render: ${shown.join('; ')}${failures.length > shown.length ? `; and ${failures.length - shown.length} more` : ''}`);
  }
  const versionOf = new Map(resolved.components.map((c) => [c.component, c.version]));
  const selected = resolved.clusters === undefined ? undefined : new Set(resolved.clusters);

  const changes: PromotionPlan['changes'] = [];
  const unchanged: PromotionPlan['unchanged'] = [];
  for (const next of inputs.renderedAfter) {
    if (!next.ok) continue;
    const { cluster, component } = next;
    const current = beforeByKey.get(key(next));
    const target = versionOf.get(component) ?? next.version;
    if (current?.ok && current.hash === next.hash) {
      unchanged.push({ cluster, component, reason: whyUnchanged(after, cluster, component, next.version, target, selected) });
      continue;
    }
    changes.push({
      cluster,
      component,
      apps: [...next.apps],
      fromVersion: current?.ok ? current.version : null,
      toVersion: next.version,
      objects: next.objects.length,
      prunes: current?.ok ? prunesOf(current.objects, next.objects) : [],
    });
  }
  const promoted = new Set(resolved.components.map((c) => c.component));
  return {
    repo: inputs.repo,
    baseSha: inputs.baseSha,
    stage: resolved.stage,
    previousStage: resolved.previousStage,
    components: resolved.components.map((c) => ({ ...c })),
    clusters: [...before.clusters.values()]
      .filter((c) => c.stage === resolved.stage)
      .map((c) => ({ name: c.name, labels: { ...c.labels } }))
      .sort((a, b) => compare(a.name, b.name)),
    previousStageClusters:
      resolved.previousStage === null
        ? []
        : before.placements.filter((p) => p.stage === resolved.previousStage && promoted.has(p.component)).map((p) => ({ cluster: p.cluster, component: p.component })),
    changes: changes.sort(byPair),
    unchanged: unchanged.sort(byPair),
    gates: inputs.gates,
  };
}

/** Why a pair keeps its desired state, most specific reason first. */
function whyUnchanged(model: Environment, cluster: string, component: string, version: string, target: string, selected: ReadonlySet<string> | undefined): string {
  if (selected && !selected.has(cluster)) return `not among the clusters of this promotion (${[...selected].join(', ')}); stays at ${version}`;
  if (version === target) return `already at ${target}`;
  const pin = model.clusterPins.get(cluster)?.entries.get(component);
  if (pin !== undefined && !(pin instanceof Error)) return `pinned to ${pin.version} in ${clusterPinsFile(cluster)}`;
  const holders = [...model.apps.values()].filter((app) => app.overrides.get(component)?.version === version).map((app) => app.name);
  if (holders.length > 0) return `held at ${version} by apps.${holders.join(', apps.')}.overrides.${component}.version in driftless.yaml`;
  return `stays at ${version}`;
}

/** Objects of the current desired state that the new one no longer has (same group, kind, namespace and name). */
function prunesOf(current: readonly KubeObject[], next: readonly KubeObject[]): ObjectRef[] {
  const kept = new Set(next.map(identity));
  return current.filter((o) => !kept.has(identity(o))).map(refOf);
}

function refOf(object: KubeObject): ObjectRef {
  const metadata = (object['metadata'] ?? {}) as Record<string, unknown>;
  const namespace = metadata['namespace'];
  return {
    apiVersion: String(object['apiVersion']),
    kind: String(object['kind']),
    ...(typeof namespace === 'string' && namespace !== '' ? { namespace } : {}),
    name: String(metadata['name']),
  };
}

function identity(object: KubeObject): string {
  const ref = refOf(object);
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
  return `${group}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

const key = (pair: { cluster: string; component: string }) => `${pair.cluster}.${pair.component}`;
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byPair = (a: { cluster: string; component: string }, b: { cluster: string; component: string }) => compare(a.cluster, b.cluster) || compare(a.component, b.component);
