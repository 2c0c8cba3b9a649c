/** The benchmark as a library: the results file's shape, its report, and the generated repository. */
export { parseOptions, Preset, Scenario, USAGE, UsageError, type BenchOptions } from './core/options.js';
export { fleetRepoFiles, changedComponentFiles, clusterNames, componentNames, type FleetShape } from './core/fleet-repo.js';
export { percentile, summarize, type Summary } from './core/stats.js';
export { compareWithPublished, PUBLISHED, type Comparison, type PublishedFigure } from './core/published.js';
export { renderReport } from './report.js';
export { ScenarioStatus, type Results, type ScenarioOutcome } from './results.js';
export type { FanOutFigures } from './scenarios/fan-out.js';
export type { PropagationFigures, HopKey } from './scenarios/propagation.js';
export type { SteadyStateFigures } from './scenarios/steady-state.js';
export type { BaselineFigures } from './scenarios/baseline.js';
export type { ScalePoint } from './scenarios/scale-curve.js';
export type { ServiceBenchResult } from './scenarios/service-benches.js';
