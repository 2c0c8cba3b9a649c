/**
 * Host process: the repo-watcher, wired as its main.ts wires it from the same configuration spec
 * (so every default — poll interval, webhook settle time, publish concurrency — is production's),
 * plus observation: when each fetch starts and ends and when each commit's render starts (through
 * the `wrapGit` hook), the "commit published" log lines, and the watcher's own duration metrics.
 */
import { Writable } from 'node:stream';
import { field, loadConfig } from '@driftless/config';
import { connectNats, provision } from '@driftless/nats';
import { configSpec, startWatcher } from '@driftless/repo-watcher';
import { createLogger } from '@driftless/telemetry';
import type { DurationTotals, FetchRecord, PublishedCommit, RenderStart, WatcherTimeline } from '../core/host-types.js';
import { notify, serve } from './ipc.js';

const bench = loadConfig(
  {
    natsUrl: field.string({ env: 'BENCH_NATS_URL', doc: 'NATS server', example: 'nats://127.0.0.1:4222' }),
    repoName: field.string({ env: 'BENCH_REPO_NAME', doc: 'Repository name', example: 'fleet' }),
    repoUrl: field.string({ env: 'BENCH_REPO_URL', doc: 'Repository URL or path', example: '/srv/git/fleet.git' }),
    branch: field.string({ env: 'BENCH_BRANCH', doc: 'Branch', example: 'main' }),
    webhookSecret: field.string({ env: 'BENCH_WEBHOOK_SECRET', doc: 'Webhook HMAC secret', example: 's3cret' }),
    mirrorDir: field.string({ env: 'BENCH_MIRROR_DIR', doc: 'Mirror folder', example: 'mirrors' }),
    httpPort: field.integer({ env: 'BENCH_HTTP_PORT', doc: 'HTTP port', example: '8080', min: 1, max: 65535 }),
  },
  process.env,
);
const settings = loadConfig(configSpec, {
  DRIFTLESS_WATCHER_REPOS: `${bench.repoName}=${bench.repoUrl}#${bench.branch}`,
  DRIFTLESS_WATCHER_WEBHOOK_SECRETS: `${bench.repoName}=${bench.webhookSecret}`,
  DRIFTLESS_WATCHER_MIRROR_DIR: bench.mirrorDir,
  DRIFTLESS_NATS_URL: bench.natsUrl,
  DRIFTLESS_HTTP_HOST: '127.0.0.1',
  DRIFTLESS_HTTP_PORT: String(bench.httpPort),
  DRIFTLESS_LOG_LEVEL: 'info',
});

const fetches: FetchRecord[] = [];
const renderStarts: RenderStart[] = [];
const published: PublishedCommit[] = [];

/** Passes log lines through to stdout and notes every "commit published" line. */
const logTap = new Writable({
  write(chunk: Buffer, _encoding, done) {
    process.stdout.write(chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.includes('"commit published"')) continue;
      try {
        const entry = JSON.parse(line) as { time?: string; revision?: string; puts?: number };
        if (entry.time && entry.revision) published.push({ sha: entry.revision, atMs: Date.parse(entry.time), puts: entry.puts ?? 0 });
      } catch {
        // Not one JSON line: nothing to note.
      }
    }
    done();
  },
});

const log = createLogger({ name: 'repo-watcher', level: settings.logLevel, destination: logTap });
const nc = await connectNats({ servers: settings.natsUrls, name: 'repo-watcher', log });
const nats = await provision(nc, { log });
const noteRenderStart = (sha: string) => {
  if (!renderStarts.some((r) => r.sha === sha)) renderStarts.push({ sha, atMs: Date.now() });
};
const watcher = await startWatcher({
  settings,
  nc,
  nats,
  holderId: `bench-${process.pid}`,
  log,
  wrapGit: (_repo, git) => ({
    fetch: async (options) => {
      const startAtMs = Date.now();
      await git.fetch(options);
      fetches.push({ startAtMs, endAtMs: Date.now() });
    },
    resolveBranch: (branch) => git.resolveBranch(branch),
    hasCommit: (sha) => git.hasCommit(sha),
    readCommit: (sha) => git.readCommit(sha),
    // The render timer starts just before these calls: changedPaths for a commit with a parent, reader for the first.
    changedPaths: (from, to) => {
      noteRenderStart(to);
      return git.changedPaths(from, to);
    },
    reader: (sha, limits) => {
      noteRenderStart(sha);
      return git.reader(sha, limits);
    },
    isAncestor: (a, b) => git.isAncestor(a, b),
    commitsBetween: (from, to, max) => git.commitsBetween(from, to, max),
  }),
});
await watcher.app.listen({ host: settings.httpHost, port: settings.httpPort });

/** Sum and count of one of the watcher's duration histograms, from its own Prometheus output. */
function histogram(text: string, name: string): DurationTotals {
  const value = (suffix: string) => {
    const match = new RegExp(`^\\w*${name}\\w*_${suffix}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
    return match ? Number(match[1]) : 0;
  };
  return { sumMs: value('sum'), count: value('count') };
}

serve(
  {
    timeline: async (): Promise<WatcherTimeline> => {
      const metrics = await watcher.metrics.renderPrometheus();
      return {
        fetches,
        renderStarts,
        published,
        fetchDuration: histogram(metrics, 'repo_watcher_fetch_duration'),
        renderDuration: histogram(metrics, 'repo_watcher_render_duration'),
        publishDuration: histogram(metrics, 'repo_watcher_publish_duration'),
      };
    },
    metricsText: () => watcher.metrics.renderPrometheus(),
  },
  async () => {
    await watcher.stop();
    await nc.drain().catch(() => undefined);
  },
);
await notify('ready', { port: settings.httpPort });
