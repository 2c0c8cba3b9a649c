/**
 * `npm run bench`: the fleet-scale benchmark. Runs the scale-curve fan-outs on fresh
 * installations, then the main installation's fan-out, change propagation, steady state and
 * kubectl baseline, then the services' own benchmarks; writes the results file and prints the
 * tables. Everything it starts is private to the run and removed afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '@driftless/testkit';
import { parseOptions, Scenario, UsageError, USAGE, type BenchOptions } from './core/options.js';
import { startFleet, type Fleet } from './fleet.js';
import { currentLoadAverage, machineInfo } from './machine.js';
import { renderReport } from './report.js';
import { ScenarioStatus, settingsOf, writeResults, type Results, type ScenarioOutcome } from './results.js';
import { runBaseline } from './scenarios/baseline.js';
import { runFanOut, settle } from './scenarios/fan-out.js';
import { runPropagation } from './scenarios/propagation.js';
import { scalePoint, type ScalePoint } from './scenarios/scale-curve.js';
import { runServiceBenches } from './scenarios/service-benches.js';
import { runSteadyState } from './scenarios/steady-state.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

let activeFleet: Fleet | undefined;

async function measure<F>(scenario: string, run: () => Promise<F>): Promise<ScenarioOutcome<F>> {
  const startedAt = new Date();
  const loadAverageAtStart = currentLoadAverage();
  const t = performance.now();
  say(`\n▶ ${scenario} (load average ${loadAverageAtStart})`);
  try {
    const figures = await run();
    const durationMs = Math.round(performance.now() - t);
    say(`  done in ${(durationMs / 1000).toFixed(1)} s`);
    return { scenario, status: ScenarioStatus.ok, startedAt: startedAt.toISOString(), durationMs, loadAverageAtStart, figures };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    say(`  FAILED: ${error}`);
    return { scenario, status: ScenarioStatus.failed, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t), loadAverageAtStart, error };
  }
}

function skipped(scenario: string, reason: string): ScenarioOutcome {
  return { scenario, status: ScenarioStatus.skipped, startedAt: new Date().toISOString(), durationMs: 0, loadAverageAtStart: currentLoadAverage(), reason };
}

async function withFleet<T>(options: BenchOptions, clusters: number, workRoot: string, logDir: string, use: (fleet: Fleet) => Promise<T>): Promise<T> {
  say(`  starting ${clusters} clusters × ${options.components} components: NATS, Postgres database, kube-sim, audit, ${Math.min(options.agentProcesses, clusters)} agent processes`);
  const t = performance.now();
  const fleet = await startFleet({
    clusters,
    components: options.components,
    latencyMs: options.latencyMs,
    agentProcesses: options.agentProcesses,
    workDir: join(workRoot, `fleet-${clusters}`),
    logDir,
    isCpuProfileEnabled: options.isCpuProfileEnabled,
    progress: say,
  });
  activeFleet = fleet;
  say(`  installation up in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  try {
    return await use(fleet);
  } finally {
    say('  stopping the installation');
    activeFleet = undefined;
    await fleet.stop();
  }
}

async function main(): Promise<void> {
  let options: BenchOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return;
  }
  const o = options;
  const startedAt = new Date();
  const machine = machineInfo();
  const resultsDir = join(repoRoot(), 'test', 'bench', 'results');
  // npm runs the script in test/bench; a relative --out means relative to where npm was started.
  const outFile = o.outFile === undefined ? join(resultsDir, 'latest.json') : resolve(process.env['INIT_CWD'] ?? process.cwd(), o.outFile);
  const logDir = join(resultsDir, 'logs', startedAt.toISOString().replace(/[:.]/g, '-'));
  mkdirSync(logDir, { recursive: true });
  const workRoot = mkdtempSync(join(tmpdir(), 'driftless-bench-'));
  const stopOnSignal = (signal: NodeJS.Signals) => {
    say(`\n${signal}: stopping everything the benchmark started`);
    void (activeFleet?.stop() ?? Promise.resolve()).finally(() => {
      rmSync(workRoot, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);

  say(`Driftless fleet benchmark (${o.preset}): ${o.clusters} clusters × ${o.components} components, kube-sim latency ${o.latencyMs} ms`);
  say(`machine: ${machine.cpus} × ${machine.model}, ${Math.round(machine.memoryBytes / 2 ** 30)} GiB, Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' / ')}`);
  say(`logs: ${logDir}`);

  const scenarios: ScenarioOutcome[] = [];
  const wants = (s: Scenario) => o.scenarios.has(s);
  const scalePoints: ScalePoint[] = [];
  try {
    // The scale curve's smaller fleets, each on a fresh installation.
    if (wants(Scenario.scaleCurve)) {
      for (const clusters of o.scaleClusters) {
        const outcome = await measure(`fan-out at ${clusters} clusters (scale curve)`, () =>
          withFleet(o, clusters, workRoot, logDir, (fleet) => runFanOut(fleet, { timeoutMs: o.fanOutTimeoutMs, progress: say })),
        );
        if (outcome.figures) scalePoints.push(scalePoint(outcome.figures));
      }
    }

    // The main installation: fan-out, then the scenarios that need a converged fleet.
    const needsMain = [Scenario.fanOut, Scenario.propagation, Scenario.steadyState, Scenario.baseline, Scenario.scaleCurve].some(wants);
    if (needsMain) {
      say(`\n▶ main installation: ${o.clusters} clusters × ${o.components} components`);
      await withFleet(o, o.clusters, workRoot, logDir, async (fleet) => {
        const fan = await measure(Scenario.fanOut, () => runFanOut(fleet, { timeoutMs: o.fanOutTimeoutMs, progress: say }));
        scenarios.push(fan);
        const fanOut = fan.figures;
        if (fanOut) scalePoints.push(scalePoint(fanOut));
        const dependents = [Scenario.propagation, Scenario.steadyState, Scenario.baseline] as const;
        if (!fanOut) {
          for (const s of dependents) if (wants(s)) scenarios.push(skipped(s, 'the fan-out failed'));
          return;
        }
        await settle(fleet);
        if (wants(Scenario.propagation)) scenarios.push(await measure(Scenario.propagation, () => runPropagation(fleet, { rounds: o.propagationRounds, progress: say })));
        if (wants(Scenario.steadyState)) scenarios.push(await measure(Scenario.steadyState, () => runSteadyState(fleet, { windowMs: o.steadyWindowMs, progress: say })));
        if (wants(Scenario.baseline)) scenarios.push(await measure(Scenario.baseline, () => runBaseline(fleet, { driftlessFanOutMs: fanOut.firstFetchToAllAppliedMs, progress: say })));
      });
    }
    if (wants(Scenario.scaleCurve)) {
      scalePoints.sort((a, b) => a.clusters - b.clusters);
      scenarios.push({ scenario: Scenario.scaleCurve, status: ScenarioStatus.ok, startedAt: startedAt.toISOString(), durationMs: 0, loadAverageAtStart: machine.loadAverageAtStart[0], figures: scalePoints });
    }
    if (wants(Scenario.serviceBenches)) {
      scenarios.push(await measure(Scenario.serviceBenches, () => runServiceBenches({ logDir, progress: say })));
    }
  } finally {
    rmSync(workRoot, { recursive: true, force: true });
  }

  const finishedAt = new Date();
  const results: Results = {
    benchmark: 'driftless-fleet',
    preset: o.preset,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    settings: settingsOf(o),
    machine,
    scenarios,
    notes: [
      'One run on a machine shared with other work: compare runs on the same machine, and read the load averages recorded per scenario.',
      'Times are wall-clock readings taken where each step happens (watcher, NATS, agents, ledger) on one machine, so they share one clock.',
    ],
  };
  writeResults(outFile, results);
  say(`\nresults: ${outFile}  (${(results.durationMs / 1000).toFixed(0)} s in all)\n`);
  say(renderReport(results));
  if (scenarios.some((s) => s.status === ScenarioStatus.failed)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
