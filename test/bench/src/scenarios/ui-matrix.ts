/**
 * The web UI's fleet matrix at fleet scale: an audit service with a seeded ledger of
 * 100 clusters × 200 components (ingested through the real path into a scratch Postgres),
 * the built UI, and headless Chromium. Measures the time from navigation to the first screen
 * of grid cells drawn, several times, and compares it with the issue's target (< 1 s).
 * Prints figures only; nothing here fails on a threshold.
 *
 * Run alone: `npm run bench:ui -w @driftless/bench` (BENCH_UI_CLUSTERS, BENCH_UI_COMPONENTS,
 * BENCH_UI_RUNS change the sizes); `npm run bench` runs it with the services' benchmarks.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@driftless/testkit';
import { generatedFleet, launchBrowser, startAudit } from '@driftless/ui/testing';

const TARGET_MS = 1000;

const intFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new Error(`${name} must be a whole number >= 1, got "${raw}"`);
  return Number(raw);
};

export interface UiMatrixRun {
  /** Navigation start → the first screen of cells is in the DOM (the page's own clock). */
  firstScreenMs: number;
  /** Navigation start → the full inventory read in the background for the app filter has arrived. */
  appsLoadedMs: number;
  /** The compact fleet matrix response (what the first screen needs). */
  matrixBytes: number;
  /** The full inventory response (read afterwards for the app filter). */
  inventoryBytes: number;
  cellsDrawn: number;
}

/**
 * Evaluated in the page: the time (ms since navigation start) once every cell of the first
 * screen is drawn, else false. Written as a string so this package needs no DOM types.
 */
const FIRST_SCREEN_DRAWN = `(() => {
  const grid = document.querySelector('[role="grid"]');
  if (!grid) return false;
  const head = grid.querySelector('.matrix-head');
  const rowHeader = grid.querySelector('.matrix-rowheader');
  const cell = grid.querySelector('[role="gridcell"][data-tone]');
  if (!head || !rowHeader || !cell) return false;
  const rows = Math.floor((grid.clientHeight - head.clientHeight) / cell.clientHeight);
  const columns = Math.floor((grid.clientWidth - rowHeader.clientWidth) / cell.clientWidth);
  const drawn = grid.querySelectorAll('[role="gridcell"][data-tone]').length;
  return drawn >= rows * columns ? { at: performance.now(), drawn } : false;
})()`;

/** Evaluated in the page: the time once the matrix says nothing is loading any more, else false. */
const APPS_LOADED = `(() => {
  const loading = [...document.querySelectorAll('[role="status"]')].some((e) => e.textContent.includes('Loading'));
  return !loading && document.querySelector('[role="grid"]') ? performance.now() : false;
})()`;

const RESPONSE_BYTES = `(() => {
  const bytes = (part) => performance.getEntriesByType('resource').filter((e) => e.name.includes(part)).reduce((sum, e) => sum + e.encodedBodySize, 0);
  return { matrix: bytes('/v1/inventory/matrix'), inventory: bytes('/v1/inventory?') };
})()`;

export async function runUiMatrix(options: { clusters: number; components: number; runs: number; say: (line: string) => void }): Promise<UiMatrixRun[]> {
  const { say } = options;
  say('  building the UI (vite build)');
  const build = spawnSync('npm', ['run', 'build', '-w', '@driftless/ui'], { cwd: repoRoot(), encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}${build.stderr}`);

  const seed = generatedFleet(options.clusters, options.components);
  say(`  seeding ${options.clusters} clusters × ${options.components} components (${seed.length} events through the ingest path)`);
  const t = performance.now();
  const audit = await startAudit({ label: 'bench_ui', seed });
  say(`  ledger seeded in ${((performance.now() - t) / 1000).toFixed(1)} s; audit service at ${audit.url}`);
  const browser = await launchBrowser();
  const runs: UiMatrixRun[] = [];
  try {
    for (let i = 0; i < options.runs; i++) {
      // A fresh context each time: nothing cached from the run before. The probes below are
      // strings (this package has no DOM types), which the UI's CSP would refuse to evaluate.
      const context = await browser.browser.newContext({ viewport: { width: 1440, height: 900 }, bypassCSP: true });
      await context.addInitScript(`sessionStorage.setItem('driftless.token', ${JSON.stringify(audit.tokens.viewer)})`);
      const page = await context.newPage();
      await page.goto(`${audit.url}/ui/`);
      const handle = await page.waitForFunction(FIRST_SCREEN_DRAWN, undefined, { timeout: 120_000, polling: 'raf' });
      const drawn = (await handle.jsonValue()) as { at: number; drawn: number };
      const appsLoadedMs = (await (await page.waitForFunction(APPS_LOADED, undefined, { timeout: 300_000, polling: 100 })).jsonValue()) as number;
      const bytes = await page.evaluate<{ matrix: number; inventory: number }>(RESPONSE_BYTES);
      runs.push({ firstScreenMs: Math.round(drawn.at), appsLoadedMs: Math.round(appsLoadedMs), matrixBytes: bytes.matrix, inventoryBytes: bytes.inventory, cellsDrawn: drawn.drawn });
      say(
        `  run ${i + 1}: first screen of cells in ${Math.round(drawn.at)} ms (${drawn.drawn} cells drawn, fleet matrix ${(bytes.matrix / 2 ** 20).toFixed(1)} MiB); app filter ready at ${Math.round(appsLoadedMs)} ms (inventory ${(bytes.inventory / 2 ** 20).toFixed(1)} MiB)`,
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await audit.stop();
  }
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

export function summarise(runs: readonly UiMatrixRun[], clusters: number, components: number): string[] {
  const first = runs.map((r) => r.firstScreenMs);
  const m = median(first);
  const apps = median(runs.map((r) => r.appsLoadedMs));
  return [
    `fleet matrix ${clusters} clusters × ${components} components, navigation → first screen of cells: median ${m} ms (min ${Math.min(...first)}, max ${Math.max(...first)}, ${runs.length} runs)`,
    `app filter ready (full inventory read after the first screen): median ${apps} ms (${((runs[0]?.inventoryBytes ?? 0) / 2 ** 20).toFixed(1)} MiB; the first screen needs ${((runs[0]?.matrixBytes ?? 0) / 2 ** 20).toFixed(1)} MiB)`,
    `target < ${TARGET_MS} ms for the first screen: ${m < TARGET_MS ? 'met' : `not met (${(m / TARGET_MS).toFixed(1)}× the target)`}`,
  ];
}

async function main(): Promise<void> {
  const clusters = intFromEnv('BENCH_UI_CLUSTERS', 100);
  const components = intFromEnv('BENCH_UI_COMPONENTS', 200);
  const runs = intFromEnv('BENCH_UI_RUNS', 5);
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(`UI benchmark: fleet matrix, ${clusters} clusters × ${components} components, ${runs} runs in headless Chromium`);
  const results = await runUiMatrix({ clusters, components, runs, say });
  for (const line of summarise(results, clusters, components)) say(line);
  say(JSON.stringify({ benchmark: 'ui-matrix', clusters, components, runs: results }));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`ui benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
