/** The printed report: markdown tables built from the results file's content. */
import { Scenario } from './core/options.js';
import { compareWithPublished, FLEET_SIZING } from './core/published.js';
import type { Summary } from './core/stats.js';
import { fmtInt, fmtMs, fmtRatio, markdownTable } from './core/table.js';
import { findScenario, type Results, type ScenarioOutcome } from './results.js';
import type { BaselineFigures } from './scenarios/baseline.js';
import type { FanOutFigures } from './scenarios/fan-out.js';
import { Hop, HOP_KEYS, type PropagationFigures } from './scenarios/propagation.js';
import type { ScalePoint } from './scenarios/scale-curve.js';
import type { ServiceBenchResult } from './scenarios/service-benches.js';
import type { SteadyStateFigures } from './scenarios/steady-state.js';

const check = (isOk: boolean) => (isOk ? '✅' : '❌');

function percentiles(s: Summary): string {
  return `${fmtMs(s.p50)} / ${fmtMs(s.p95)} / ${fmtMs(s.p99)} / ${fmtMs(s.max)}`;
}

function notRun(outcome: ScenarioOutcome | undefined, label: string): string[][] {
  if (!outcome) return [];
  return [[label, '—', outcome.status === 'failed' ? `failed: ${(outcome.error ?? '').split('\n')[0]?.slice(0, 120)}` : `skipped${outcome.reason ? `: ${outcome.reason}` : ''}`, '']];
}

function summaryRows(results: Results): string[][] {
  const rows: string[][] = [];
  const fan = findScenario<FanOutFigures>(results, Scenario.fanOut);
  if (fan?.figures) {
    const f = fan.figures;
    const label = `fan-out: ${f.clusters} clusters × ${f.components} components = ${fmtInt(f.objects)} ConfigMaps`;
    rows.push([label, 'first fetch → all applied', fmtMs(f.firstFetchToAllAppliedMs), `< ${fmtMs(f.targetMs)} ${check(f.isWithinTarget)}`]);
    rows.push(['', 'first fetch → ledger holds every apply', fmtMs(f.firstFetchToLedgerMs), '']);
    rows.push(['', 'first fetch → everything published', fmtMs(f.firstFetchToPublishedMs), '']);
    rows.push(['', 'objects applied per second', fmtInt(f.objectsPerSecond), '']);
    rows.push(['', 'CPU per object, all processes (floor on these cores)', `${f.cpuMsPerObject.toFixed(2)} ms (${fmtMs(f.cpuFloorMs)})`, '']);
    rows.push(['', 'API requests per object', f.apiRequestsPerObject.toFixed(2), '']);
  } else rows.push(...notRun(fan, 'fan-out'));

  const prop = findScenario<PropagationFigures>(results, Scenario.propagation);
  if (prop?.figures) {
    const p = prop.figures;
    const label = `change propagation: ${p.rounds} commits × ${p.clusters} clusters, webhook`;
    rows.push([label, 'commit → applied p50 / p95 / p99 / max', percentiles(p.commitToApplied), `p99 < ${fmtMs(p.targetP99Ms)} ${check(p.isWithinTarget)}`]);
    rows.push(['', 'commit → audit row p50 / p95 / p99 / max', percentiles(p.commitToRecorded), '']);
  } else rows.push(...notRun(prop, 'change propagation'));

  const steady = findScenario<SteadyStateFigures>(results, Scenario.steadyState);
  if (steady?.figures) {
    const s = steady.figures;
    rows.push([`steady state: ${Math.round(s.windowMs / 1000)} s, nothing changing`, 'API writes per minute', String(s.apiWritesPerMinute), `0 ${check(s.apiWritesPerMinute === 0)}`]);
    rows.push(['', 'API requests per minute (all clusters)', String(s.apiRequestsPerMinute), '']);
    rows.push(['', `forced resync of ${fmtInt(s.forcedResync.components)} components: writes`, String(s.forcedResync.apiWrites), `0 ${check(s.forcedResync.apiWrites === 0)}`]);
    rows.push(['', 'Git fetches by agents', s.agentGitDependencies.length === 0 ? 'none: agents have no Git client' : `agent depends on ${s.agentGitDependencies.join(', ')}`, `never ${check(s.agentGitDependencies.length === 0)}`]);
    rows.push(['', 'Git fetches by the watcher per minute (poll fallback)', String(s.watcherFetchesPerMinute), '']);
  } else rows.push(...notRun(steady, 'steady state'));

  const base = findScenario<BaselineFigures>(results, Scenario.baseline);
  if (base?.figures) {
    const b = base.figures;
    rows.push([`baseline: kubectl ${b.kubectl} apply --server-side`, `${b.clusters} clusters one after another, ${fmtInt(b.objects)} objects`, fmtMs(b.totalMs), '']);
    rows.push(['', 'per cluster p50 / max', `${fmtMs(b.perCluster.p50)} / ${fmtMs(b.perCluster.max)}`, '']);
    rows.push(['', 'kubectl time ÷ Driftless fan-out time', fmtRatio(b.ratio), '']);
  } else rows.push(...notRun(base, 'kubectl baseline'));
  return rows;
}

function fanOutTable(f: FanOutFigures): string {
  const roles = Object.keys(f.peakRssMb);
  return markdownTable(
    ['process', 'CPU seconds during the fan-out', 'peak RSS'],
    roles.map((role) => [role, (f.cpuSeconds[role] ?? 0).toFixed(1), `${f.peakRssMb[role]} MiB`]),
  );
}

function hopTable(p: PropagationFigures): string {
  return markdownTable(
    ['hop', 'p50', 'p95', 'p99', 'max'],
    [
      ...HOP_KEYS.map((key) => {
        const s = p.hops[key];
        return [Hop[key], fmtMs(s.p50), fmtMs(s.p95), fmtMs(s.p99), fmtMs(s.max)];
      }),
      ['**commit → applied**', fmtMs(p.commitToApplied.p50), fmtMs(p.commitToApplied.p95), fmtMs(p.commitToApplied.p99), fmtMs(p.commitToApplied.max)],
      ['**commit → audit row**', fmtMs(p.commitToRecorded.p50), fmtMs(p.commitToRecorded.p95), fmtMs(p.commitToRecorded.p99), fmtMs(p.commitToRecorded.max)],
    ],
  );
}

function steadyTable(s: SteadyStateFigures): string {
  return markdownTable(
    ['process', 'CPU (% of one core)', 'RSS mean', 'RSS max'],
    Object.entries(s.perRole).map(([role, c]) => [role, c.cpuPercent.toFixed(2), `${c.rssMeanMb} MiB`, `${c.rssMaxMb} MiB`]),
  );
}

function scaleTable(points: readonly ScalePoint[]): string {
  return markdownTable(
    ['clusters', 'objects', 'fetch → applied', 'fetch → ledger', 'objects/s', 'CPU per object', 'agents RSS (per cluster)', 'watcher RSS', 'audit RSS', 'kube-sim RSS'],
    points.map((p) => [
      String(p.clusters),
      fmtInt(p.objects),
      fmtMs(p.firstFetchToAllAppliedMs),
      fmtMs(p.firstFetchToLedgerMs),
      fmtInt(p.objectsPerSecond),
      `${p.cpuMsPerObject.toFixed(2)} ms`,
      `${p.peakRssMb['agents'] ?? 'n/a'} MiB (${p.agentPeakRssMbPerCluster} MiB)`,
      `${p.peakRssMb['repo-watcher'] ?? 'n/a'} MiB`,
      `${p.peakRssMb['audit'] ?? 'n/a'} MiB`,
      `${p.peakRssMb['kube-sim'] ?? 'n/a'} MiB`,
    ]),
  );
}

function comparisonTable(f: FanOutFigures): string {
  const rows = compareWithPublished(f.objects, f.firstFetchToAllAppliedMs).map((c) => [
    `${c.tool}: ${c.work}`,
    fmtMs(c.seconds * 1000),
    `${c.unitsPerSecond}/s`,
    c.hardware,
    `${fmtInt(c.driftlessUnitsPerSecond)}/s (${fmtRatio(c.driftlessSpeedup)})`,
  ]);
  return markdownTable(['published figure', 'time', 'rate', 'on', `Driftless this run (${fmtInt(f.objects)} objects)`], rows);
}

export function renderReport(results: Results): string {
  const m = results.machine;
  const out: string[] = [];
  out.push(`## Driftless fleet benchmark (${results.preset})`);
  out.push('');
  out.push(
    `${m.cpus} × ${m.model}, ${Math.round(m.memoryBytes / 2 ** 30)} GiB, Node ${m.node}, load average at start ${m.loadAverageAtStart.join(' / ')}; kube-sim latency ${results.settings.latencyMs} ms per request; ${results.settings.agentProcesses} agent processes. Shared machine: figures are from one run and noisy.`,
  );
  out.push('');
  const summary = summaryRows(results);
  if (summary.length > 0) out.push(markdownTable(['scenario', 'figure', 'result', 'target'], summary));
  const fanOut = findScenario<FanOutFigures>(results, Scenario.fanOut)?.figures;
  if (fanOut) out.push('', '### Fan-out: CPU and memory per process', '', fanOutTable(fanOut));
  const prop = findScenario<PropagationFigures>(results, Scenario.propagation)?.figures;
  if (prop) {
    out.push('', `### Where the time goes: commit → applied, per cluster (${prop.samples} samples)`, '', hopTable(prop));
  }
  const steady = findScenario<SteadyStateFigures>(results, Scenario.steadyState)?.figures;
  if (steady) out.push('', `### Steady state: cost per process over ${Math.round(steady.windowMs / 1000)} s`, '', steadyTable(steady));
  const scale = findScenario<ScalePoint[]>(results, Scenario.scaleCurve)?.figures;
  if (scale && scale.length > 0) out.push('', '### Scale curve: the fan-out at several fleet sizes (peak RSS)', '', scaleTable(scale));
  const fan = findScenario<FanOutFigures>(results, Scenario.fanOut)?.figures;
  if (fan) out.push('', '### Published figures of other tools (different hardware and clusters: orders of magnitude only)', '', comparisonTable(fan), '', FLEET_SIZING);
  const services = findScenario<ServiceBenchResult[]>(results, Scenario.serviceBenches)?.figures;
  if (services && services.length > 0) {
    out.push(
      '',
      "### The services' own benchmarks",
      '',
      markdownTable(
        ['benchmark', 'status', 'headline figures'],
        services.map((s) => [s.name, `${s.status} (${fmtMs(s.durationMs)})`, s.highlights.join('; ') || (s.error ?? 'see the results file')]),
      ),
    );
  }
  for (const note of results.notes) out.push('', `> ${note}`);
  return `${out.join('\n')}\n`;
}
