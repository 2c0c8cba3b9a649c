/** The command line of `npm run bench`: presets (full, --quick, --smoke) and overrides. */
import { parseArgs } from 'node:util';

export const Preset = { full: 'full', quick: 'quick', smoke: 'smoke' } as const;
export type Preset = (typeof Preset)[keyof typeof Preset];

export const Scenario = {
  fanOut: 'fan-out',
  propagation: 'propagation',
  steadyState: 'steady-state',
  baseline: 'baseline',
  scaleCurve: 'scale-curve',
  serviceBenches: 'service-benches',
} as const;
export type Scenario = (typeof Scenario)[keyof typeof Scenario];
const SCENARIOS = Object.values(Scenario);

export interface BenchOptions {
  preset: Preset;
  clusters: number;
  components: number;
  /** Fan-out sizes (clusters) run on fresh installations before the main one, for the scale curve. */
  scaleClusters: number[];
  propagationRounds: number;
  steadyWindowMs: number;
  latencyMs: number;
  agentProcesses: number;
  scenarios: Set<Scenario>;
  outFile: string | undefined;
  fanOutTimeoutMs: number;
  /** Write a V8 CPU profile of every process under test (into the run's log folder). */
  isCpuProfileEnabled: boolean;
}

export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

export const USAGE = `Usage: npm run bench [-- options]

The fleet-scale benchmark: a generated environment repository, kube-sim clusters with injected
API latency, one agent per cluster, the repo-watcher, NATS and the audit service with Postgres,
measured hop by hop. Prints a markdown table; writes test/bench/results/latest.json.

Presets:
  (none)                 100 clusters x 100 components, scale curve 10 and 30 clusters, 5 change
                         rounds, 60 s steady state, kubectl baseline, the services' own benchmarks
                         (about 10 minutes)
  --quick                10 clusters x 20 components, 3 rounds, 10 s steady state (under a minute)
  --smoke                2 clusters x 5 components, 1 round, 2 s steady state (the harness works)

Overrides:
  --clusters N           clusters of the main run
  --components N         components per cluster
  --scale N,N            fan-out sizes (clusters) measured before the main run; "" for none
  --rounds N             change-propagation rounds
  --steady-s N           steady-state window in seconds
  --latency-ms N         latency kube-sim adds to every API request (default 5)
  --agent-processes N    processes the agents are spread over (default 2)
  --only a,b             run only these scenarios: ${SCENARIOS.join(', ')}
  --skip a,b             run all but these scenarios
  --out FILE             results file (default test/bench/results/latest.json)
  --cpu-prof             write a V8 CPU profile of each process under test next to its log
  -h, --help             this text
`;

interface PresetValues {
  clusters: number;
  components: number;
  scaleClusters: number[];
  propagationRounds: number;
  steadyWindowMs: number;
  isServiceBenchEnabled: boolean;
}

const PRESETS: Record<Preset, PresetValues> = {
  full: { clusters: 100, components: 100, scaleClusters: [10, 30], propagationRounds: 5, steadyWindowMs: 60_000, isServiceBenchEnabled: true },
  quick: { clusters: 10, components: 20, scaleClusters: [], propagationRounds: 3, steadyWindowMs: 10_000, isServiceBenchEnabled: false },
  smoke: { clusters: 2, components: 5, scaleClusters: [], propagationRounds: 1, steadyWindowMs: 2_000, isServiceBenchEnabled: false },
};

function count(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new UsageError(`--${name} must be a whole number >= ${min}, got "${raw}"`);
  return Number(raw);
}

function scenarioList(name: string, raw: string | undefined): Scenario[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!SCENARIOS.includes(item as Scenario)) throw new UsageError(`--${name}: unknown scenario "${item}"; scenarios are ${SCENARIOS.join(', ')}`);
  return items as Scenario[];
}

/** Parses the arguments; returns undefined when only help was asked for. */
export function parseOptions(argv: readonly string[]): BenchOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        smoke: { type: 'boolean' },
        clusters: { type: 'string' },
        components: { type: 'string' },
        scale: { type: 'string' },
        rounds: { type: 'string' },
        'steady-s': { type: 'string' },
        'latency-ms': { type: 'string' },
        'agent-processes': { type: 'string' },
        only: { type: 'string' },
        skip: { type: 'string' },
        out: { type: 'string' },
        'cpu-prof': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;
  if (values.quick && values.smoke) throw new UsageError('--quick and --smoke are alternatives; give one');
  const preset: Preset = values.smoke ? Preset.smoke : values.quick ? Preset.quick : Preset.full;
  const p = PRESETS[preset];
  const only = scenarioList('only', values.only);
  const skip = scenarioList('skip', values.skip) ?? [];
  if (only && skip.length > 0) throw new UsageError('--only and --skip are alternatives; give one');
  const scenarios = new Set<Scenario>(only ?? SCENARIOS.filter((s) => s !== Scenario.serviceBenches || p.isServiceBenchEnabled));
  for (const s of skip) scenarios.delete(s);
  const scale = values.scale === undefined ? p.scaleClusters : values.scale.split(',').filter(Boolean).map((s) => count('scale', s.trim(), 1) as number);
  const clusters = count('clusters', values.clusters, 1) ?? p.clusters;
  return {
    preset,
    clusters,
    components: count('components', values.components, 1) ?? p.components,
    scaleClusters: [...new Set(scale)].filter((n) => n !== clusters).sort((a, b) => a - b),
    propagationRounds: count('rounds', values.rounds, 1) ?? p.propagationRounds,
    steadyWindowMs: (count('steady-s', values['steady-s'], 1) ?? p.steadyWindowMs / 1000) * 1000,
    latencyMs: count('latency-ms', values['latency-ms'], 0) ?? 5,
    agentProcesses: count('agent-processes', values['agent-processes'], 1) ?? 2,
    scenarios,
    outFile: values.out,
    fanOutTimeoutMs: preset === Preset.full ? 600_000 : 180_000,
    isCpuProfileEnabled: values['cpu-prof'] ?? false,
  };
}
