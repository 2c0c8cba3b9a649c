/**
 * Blast radius of a component: every app that uses it and every cluster (and stage) it is placed
 * on, with the versions there — what a change to its definition would touch.
 */
import type { Health } from '@driftless/contracts';
import { syncStatusOf, type ComponentState, type SyncStatus } from './state.js';

export interface Placement {
  cluster: string;
  stage: string | null;
  desiredVersion: string | null;
  appliedVersion: string | null;
  health: Health | null;
  sync: SyncStatus;
}

export interface BlastRadius {
  component: string;
  clusterCount: number;
  stages: string[];
  versions: string[];
  apps: { app: string; placements: Placement[] }[];
  placements: Placement[];
}

/** From the component's state on every cluster (with each row's stage); removed placements are left out. */
export function blastRadius(component: string, rows: readonly { state: ComponentState; stage: string | null }[]): BlastRadius {
  const live = rows.filter((r) => !r.state.desired?.isRemoved);
  const placements = live.map(
    ({ state, stage }): Placement => ({
      cluster: state.cluster,
      stage,
      desiredVersion: state.desired?.version ?? null,
      appliedVersion: state.applied?.version ?? null,
      health: state.health?.status ?? null,
      sync: syncStatusOf(state),
    }),
  );
  const byApp = new Map<string, Placement[]>();
  live.forEach(({ state }, i) => {
    for (const app of state.placement?.apps ?? []) {
      const list = byApp.get(app) ?? [];
      list.push(placements[i] as Placement);
      byApp.set(app, list);
    }
  });
  const sorted = <T>(values: Iterable<T>) => [...new Set(values)].sort();
  return {
    component,
    clusterCount: new Set(placements.map((p) => p.cluster)).size,
    stages: sorted(placements.flatMap((p) => (p.stage === null ? [] : [p.stage]))),
    versions: sorted(placements.flatMap((p) => (p.appliedVersion === null ? [] : [p.appliedVersion]))),
    apps: [...byApp].sort(([a], [b]) => a.localeCompare(b)).map(([app, list]) => ({ app, placements: list })),
    placements,
  };
}
