/**
 * Steady state: nothing changes in Git for a while. What does the installation cost then — CPU
 * and memory of each process, API requests and writes against the clusters — and what does the
 * agents' periodic resync (forced once here) cost? Target: no writes at all. Agents cannot poll
 * Git: they have no Git client and no credentials; the benchmark checks their dependencies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@driftless/testkit';
import type { AgentHostStatus, ApiTotals, ResyncResult, WatcherTimeline } from '../core/host-types.js';
import { round } from '../core/stats.js';
import type { Fleet } from '../fleet.js';
import { cpuByRole, RssSampler } from '../proc.js';
import { settle } from './fan-out.js';

export interface RoleCost {
  /** Share of one CPU core over the window (100 = one core busy all the time). */
  cpuPercent: number;
  rssMeanMb: number;
  rssMaxMb: number;
}

export interface SteadyStateFigures {
  windowMs: number;
  perRole: Record<string, RoleCost>;
  apiRequestsPerMinute: number;
  apiWritesPerMinute: number;
  apiRequestsByMethod: Record<string, number>;
  /** Writes the agents themselves counted in the window. */
  agentWrites: number;
  agentReconciles: number;
  /** The watcher keeps polling its repository (a fallback for lost webhooks); agents never do. */
  watcherFetchesPerMinute: number;
  watcherCommitsPublished: number;
  ledgerRowsAdded: number;
  isZeroWrites: boolean;
  /** Git packages among the agent's dependencies (none: it cannot reach Git). */
  agentGitDependencies: string[];
  /** The periodic resync (every component re-checked from a fresh inventory read), forced once. */
  forcedResync: ResyncResult & { apiRequests: number; apiWrites: number };
}

function agentGitDependencies(): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot(), 'services', 'agent', 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {}).filter((name) => /git/i.test(name));
}

async function agentTotals(fleet: Fleet): Promise<AgentHostStatus> {
  return fleet.agentStatus();
}

export async function runSteadyState(fleet: Fleet, options: { windowMs: number; progress: (line: string) => void }): Promise<SteadyStateFigures> {
  const watcher = fleet.watcher;
  if (!watcher) throw new Error('the watcher is not running');
  await settle(fleet);
  await new Promise((r) => setTimeout(r, 2_000));

  const processes = fleet.processes();
  const apiBefore = await fleet.sims.call<ApiTotals>('stats');
  const cpuBefore = cpuByRole(processes);
  const timelineBefore = await watcher.call<WatcherTimeline>('timeline');
  const agentsBefore = await agentTotals(fleet);
  const rowsBefore = await fleet.ledger.totalRows();
  const sampler = new RssSampler(processes).start(1_000);
  const startedMs = Date.now();
  while (Date.now() - startedMs < options.windowMs) {
    const leftMs = options.windowMs - (Date.now() - startedMs);
    await new Promise((r) => setTimeout(r, Math.min(10_000, leftMs)));
    fleet.assertRunning();
    if (Date.now() - startedMs < options.windowMs) options.progress(`  steady state: ${Math.round((Date.now() - startedMs) / 1000)} of ${Math.round(options.windowMs / 1000)} s`);
  }
  const windowMs = Date.now() - startedMs;
  const rss = sampler.stop();
  const cpuAfter = cpuByRole(processes);
  const apiAfter = await fleet.sims.call<ApiTotals>('stats');
  const timelineAfter = await watcher.call<WatcherTimeline>('timeline');
  const agentsAfter = await agentTotals(fleet);
  const rowsAfter = await fleet.ledger.totalRows();

  const minutes = windowMs / 60_000;
  const perRole: Record<string, RoleCost> = {};
  for (const [role, seconds] of cpuAfter) {
    const memory = rss.get(role);
    perRole[role] = {
      cpuPercent: round(((seconds - (cpuBefore.get(role) ?? 0)) / (windowMs / 1000)) * 100, 2),
      rssMeanMb: round((memory?.meanBytes ?? 0) / 2 ** 20, 0),
      rssMaxMb: round((memory?.maxBytes ?? 0) / 2 ** 20, 0),
    };
  }
  const byMethod: Record<string, number> = {};
  for (const [method, n] of Object.entries(apiAfter.byMethod)) {
    const delta = n - (apiBefore.byMethod[method] ?? 0);
    if (delta > 0) byMethod[method] = round(delta / minutes, 1);
  }
  const apiWrites = apiAfter.writes - apiBefore.writes;

  // The periodic resync, forced once now: every component re-read, nothing should be written.
  options.progress('  forcing one full resync of every agent');
  const resyncApiBefore = await fleet.sims.call<ApiTotals>('stats');
  const resyncs = await Promise.all(fleet.agentHosts.map((h) => h.call<ResyncResult>('resync', null, 600_000)));
  const resyncApiAfter = await fleet.sims.call<ApiTotals>('stats');
  const forcedResync = {
    components: resyncs.reduce((n, r) => n + r.components, 0),
    durationMs: round(Math.max(...resyncs.map((r) => r.durationMs)), 0),
    writes: resyncs.reduce((n, r) => n + r.writes, 0),
    reads: resyncs.reduce((n, r) => n + r.reads, 0),
    apiRequests: resyncApiAfter.requests - resyncApiBefore.requests,
    apiWrites: resyncApiAfter.writes - resyncApiBefore.writes,
  };

  return {
    windowMs,
    perRole,
    apiRequestsPerMinute: round((apiAfter.requests - apiBefore.requests) / minutes, 1),
    apiWritesPerMinute: round(apiWrites / minutes, 1),
    apiRequestsByMethod: byMethod,
    agentWrites: agentsAfter.writes - agentsBefore.writes,
    agentReconciles: agentsAfter.reconciles - agentsBefore.reconciles,
    watcherFetchesPerMinute: round((timelineAfter.fetches.length - timelineBefore.fetches.length) / minutes, 1),
    watcherCommitsPublished: timelineAfter.published.length - timelineBefore.published.length,
    ledgerRowsAdded: rowsAfter - rowsBefore,
    isZeroWrites: apiWrites === 0 && forcedResync.apiWrites === 0,
    agentGitDependencies: agentGitDependencies(),
    forcedResync,
  };
}
