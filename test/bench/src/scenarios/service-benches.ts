/**
 * The services' own benchmarks, run as they are (each is a script in its package) against a
 * private nats-server and scratch databases, their output kept and their headline figures
 * picked out for the summary.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNatsServer } from '@driftless/nats/testing';
import { repoRoot } from '@driftless/testkit';

export interface ServiceBenchSpec {
  name: string;
  /** Package folder, relative to the repository root. */
  cwd: string;
  script: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Picks the figures worth a line in the summary out of the output. */
  highlights: (lines: readonly string[], json: Record<string, unknown> | undefined) => string[];
}

export interface ServiceBenchResult {
  name: string;
  script: string;
  status: 'ok' | 'failed';
  durationMs: number;
  highlights: string[];
  /** The last JSON object the benchmark printed, if it printed one. */
  json?: Record<string, unknown>;
  output: string[];
  error?: string;
}

/** The first line matching `pattern`, as its first group or as `format` builds it from the match. */
function grab(lines: readonly string[], pattern: RegExp, format?: (match: RegExpExecArray) => string): string | undefined {
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match) return format ? format(match) : (match[1] ?? match[0]).trim();
  }
  return undefined;
}

function defined(items: readonly (string | undefined)[]): string[] {
  return items.filter((s): s is string => s !== undefined);
}

export const SERVICE_BENCHES: readonly ServiceBenchSpec[] = [
  {
    name: 'envrepo: render 200 components × 50 clusters in memory',
    cwd: 'libs/envrepo',
    script: 'scripts/bench-render.ts',
    timeoutMs: 180_000,
    highlights: (lines) =>
      defined([grab(lines, /^(render all \d+ pairs, cold cache: .*)$/), grab(lines, /^(render time per \(cluster, component\), warm: .*)$/), grab(lines, /^(render the \d+ affected pairs: .*)$/)]),
  },
  {
    name: 'repo-watcher: render and publish 10,000 pairs through the real mirror and NATS',
    cwd: 'services/repo-watcher',
    script: 'bench/render.bench.ts',
    timeoutMs: 300_000,
    highlights: (lines) =>
      defined([
        grab(lines, /^first sync \(fetch \+ render \+ publish (\d+ keys) \+ events\): ([\d.]+ ms)/, (m) => `first sync of ${m[1]}: ${m[2]}`),
        grab(lines, /→ published \(keys \+ events acknowledged\): (median [\d.]+ ms)/, (m) => `one shared component → published after the fetch: ${m[1]}`),
        grab(lines, /^(webhook \(\d+\) → published: [\d.]+ ms end to end)/),
      ]),
  },
  {
    name: 'agent: 500-object apply vs kubectl, no-change resync, process RSS',
    cwd: 'services/agent',
    script: 'bench/apply.bench.ts',
    timeoutMs: 480_000,
    highlights: (_lines, json) => {
      if (!json) return [];
      const apply = json['apply500'] as { speedupOfMedians?: number; agentMs?: number[]; kubectlMs?: number[] } | undefined;
      const resync = json['resync1000'] as { writeCalls?: number; durationMs?: number } | undefined;
      const rss = json['rss2000'] as Record<string, { rssMb?: number }> | undefined;
      return defined([
        apply ? `500 objects: agent ${apply.agentMs?.join('/')} ms vs kubectl ${apply.kubectlMs?.join('/')} ms (${apply.speedupOfMedians}× faster)` : undefined,
        resync ? `no-change resync of 1,000 objects: ${resync.writeCalls} writes in ${resync.durationMs} ms` : undefined,
        ...Object.entries(rss ?? {}).map(([label, v]) => `RSS with 2,000 objects (${label.split(':')[0]}): ${v.rssMb} MB`),
      ]);
    },
  },
  {
    name: 'audit: ingest throughput and API latency',
    cwd: 'services/audit',
    script: 'bench/ingest.bench.ts',
    // Smaller than the package's defaults (10 M ledger rows take long on a shared 2-core machine).
    env: { BENCH_EVENTS: '20000', BENCH_BASELINE_EVENTS: '1000', BENCH_LEDGER_ROWS: '1000000', BENCH_QUERIES: '100' },
    timeoutMs: 480_000,
    highlights: (lines) =>
      defined([
        grab(lines, /^batched:\s+(.*)$/)?.replace(/^/, 'batched ingest: '),
        grab(lines, /^consumed:\s+(.*)$/)?.replace(/^/, 'from JetStream: '),
        grab(lines, /^(transitions, one cluster\+component, 100 newest\s+.*)$/)?.replace(/\s{2,}/g, ' '),
      ]),
  },
  {
    name: 'ui: fleet matrix of 100 clusters × 200 components in headless Chromium',
    cwd: 'test/bench',
    script: 'src/scenarios/ui-matrix.ts',
    timeoutMs: 300_000,
    highlights: (lines) =>
      defined([grab(lines, /^(fleet matrix .*first screen of cells: .*)$/), grab(lines, /^(app filter ready .*)$/), grab(lines, /^(target < \d+ ms for the first screen: .*)$/)]),
  },
];

function lastJson(lines: readonly string[]): Record<string, unknown> | undefined {
  for (const line of [...lines].reverse()) {
    if (!line.startsWith('{')) continue;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not JSON after all.
    }
  }
  return undefined;
}

async function runOne(spec: ServiceBenchSpec, natsUrl: string, logFile: string): Promise<ServiceBenchResult> {
  const startedMs = performance.now();
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
    cwd: join(repoRoot(), spec.cwd),
    env: { ...process.env, ...spec.env, DRIFTLESS_TEST_NATS_URL: natsUrl },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exit = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, spec.timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? `exit code ${code}`);
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
  });
  const output = readFileSync(logFile, 'utf8').split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const json = lastJson(output);
  const isOk = exit === 'exit code 0';
  return {
    name: spec.name,
    script: `${spec.cwd}/${spec.script}`,
    status: isOk ? 'ok' : 'failed',
    durationMs: Math.round(performance.now() - startedMs),
    highlights: spec.highlights(output, json),
    ...(json === undefined ? {} : { json }),
    output: output.slice(-80),
    ...(isOk ? {} : { error: `${exit}: ${output.slice(-3).join(' / ')}` }),
  };
}

export async function runServiceBenches(options: { logDir: string; progress: (line: string) => void }): Promise<ServiceBenchResult[]> {
  const nats = await startNatsServer();
  const results: ServiceBenchResult[] = [];
  try {
    for (const spec of SERVICE_BENCHES) {
      options.progress(`  ${spec.name} …`);
      const logFile = join(options.logDir, `service-${spec.cwd.replace(/\//g, '-')}.log`);
      const result = await runOne(spec, nats.url, logFile);
      options.progress(`    ${result.status} in ${(result.durationMs / 1000).toFixed(0)} s${result.error ? ` (${result.error})` : ''}`);
      results.push(result);
    }
  } finally {
    await nats.destroy();
  }
  return results;
}
