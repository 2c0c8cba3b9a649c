/**
 * The results file: the run's settings, the machine, and one object per scenario with its status,
 * the load average when it started (the machine is shared) and its figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchOptions } from './core/options.js';
import type { MachineInfo } from './machine.js';

export const ScenarioStatus = { ok: 'ok', failed: 'failed', skipped: 'skipped' } as const;
export type ScenarioStatus = (typeof ScenarioStatus)[keyof typeof ScenarioStatus];

export interface ScenarioOutcome<F = unknown> {
  scenario: string;
  status: ScenarioStatus;
  startedAt: string;
  durationMs: number;
  loadAverageAtStart: number;
  figures?: F;
  error?: string;
  reason?: string;
}

export interface Results {
  benchmark: 'driftless-fleet';
  preset: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  settings: {
    clusters: number;
    components: number;
    latencyMs: number;
    agentProcesses: number;
    propagationRounds: number;
    steadyWindowMs: number;
    scaleClusters: number[];
  };
  machine: MachineInfo;
  scenarios: ScenarioOutcome[];
  notes: string[];
}

export function settingsOf(o: BenchOptions): Results['settings'] {
  return {
    clusters: o.clusters,
    components: o.components,
    latencyMs: o.latencyMs,
    agentProcesses: o.agentProcesses,
    propagationRounds: o.propagationRounds,
    steadyWindowMs: o.steadyWindowMs,
    scaleClusters: o.scaleClusters,
  };
}

export function writeResults(file: string, results: Results): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

export function findScenario<F>(results: Pick<Results, 'scenarios'>, scenario: string): ScenarioOutcome<F> | undefined {
  return results.scenarios.find((s) => s.scenario === scenario) as ScenarioOutcome<F> | undefined;
}
