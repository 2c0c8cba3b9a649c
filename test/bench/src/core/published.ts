/**
 * Published figures of other GitOps tools doing comparable work, with their sources, and how
 * this run compares. Different hardware, real clusters versus simulated ones and different
 * object shapes make these orders of magnitude, not a race result.
 */
import { round } from './stats.js';

export interface PublishedFigure {
  tool: string;
  work: string;
  /** Applications (or Kustomizations) made to run. */
  units: number;
  clusters: number;
  seconds: number;
  hardware: string;
  source: string;
}

export const PUBLISHED: readonly PublishedFigure[] = [
  {
    tool: 'Argo CD',
    work: '10,000 Applications of one ConfigMap each on 100 clusters, synced',
    units: 10_000,
    clusters: 100,
    seconds: 9 * 60,
    hardware: 'one 8-vCPU node',
    source: 'CNOE Argo CD benchmarking, 2023 (https://cnoe.io/blog/argo-cd-application-scalability and its part 1)',
  },
  {
    tool: 'Flux',
    work: '1,000 Kustomizations (4 objects each) on one cluster, reconciled by kustomize-controller',
    units: 1_000,
    clusters: 1,
    seconds: 4 * 60 + 15,
    hardware: 'kustomize-controller with 2 CPU, concurrency 20, on a 16-core runner (Kind)',
    source: 'fluxcd/flux-benchmark, RESULTS.md (https://github.com/fluxcd/flux-benchmark/blob/main/RESULTS.md)',
  },
];

export interface Comparison extends PublishedFigure {
  unitsPerSecond: number;
  driftlessUnitsPerSecond: number;
  /** How many times Driftless's rate this run is of the published one. */
  driftlessSpeedup: number;
}

/** Compares a fan-out of `objects` single-object applications done in `ms` with each published figure. */
export function compareWithPublished(objects: number, ms: number): Comparison[] {
  const driftlessRate = objects / (ms / 1000);
  return PUBLISHED.map((p) => {
    const rate = p.units / p.seconds;
    return { ...p, unitsPerSecond: round(rate, 1), driftlessUnitsPerSecond: round(driftlessRate, 0), driftlessSpeedup: round(driftlessRate / rate, 1) };
  });
}

/** Sizing published without a time, quoted for context. */
export const FLEET_SIZING =
  'Rancher Fleet sizes its controller at 16 vCPU / 64 GB for 50 apps on 500 clusters (a sizing, not a timing; figure as cited when this benchmark was specified, not re-checked).';
