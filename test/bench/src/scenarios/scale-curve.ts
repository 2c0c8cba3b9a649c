/** The scale curve: the same fan-out on fleets of several sizes, each on a fresh installation. */
import { round } from '../core/stats.js';
import type { FanOutFigures } from './fan-out.js';

export interface ScalePoint {
  clusters: number;
  components: number;
  objects: number;
  firstFetchToAllAppliedMs: number;
  firstFetchToLedgerMs: number;
  objectsPerSecond: number;
  cpuMsPerObject: number;
  peakRssMb: Record<string, number>;
  cpuSeconds: Record<string, number>;
  /** Peak RSS of the agent processes divided by the number of agents. */
  agentPeakRssMbPerCluster: number;
}

export function scalePoint(f: FanOutFigures): ScalePoint {
  return {
    clusters: f.clusters,
    components: f.components,
    objects: f.objects,
    firstFetchToAllAppliedMs: f.firstFetchToAllAppliedMs,
    firstFetchToLedgerMs: f.firstFetchToLedgerMs,
    objectsPerSecond: f.objectsPerSecond,
    cpuMsPerObject: f.cpuMsPerObject,
    peakRssMb: f.peakRssMb,
    cpuSeconds: f.cpuSeconds,
    agentPeakRssMbPerCluster: round((f.peakRssMb['agents'] ?? 0) / f.clusters, 1),
  };
}
