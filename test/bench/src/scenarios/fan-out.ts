/**
 * Fleet fan-out: from the watcher's first fetch of a fresh environment repository to every
 * (cluster, component) applied by its agent, and to the audit ledger holding all of them.
 * Times come from the watcher's fetch (observed through its Git port) and the ledger's
 * `occurred_at` (the agent's `applied` event time) and `recorded_at`; the benchmark polls only
 * to know when to look.
 */
import { cpus } from 'node:os';
import { APP_NAMESPACE } from '../core/fleet-repo.js';
import type { ApiTotals, WatcherTimeline } from '../core/host-types.js';
import { round } from '../core/stats.js';
import type { Fleet } from '../fleet.js';
import { cpuByRole, memoryByRole } from '../proc.js';

export const FAN_OUT_TARGET_MS = 60_000;
const MANAGED_LABEL = 'app.kubernetes.io/managed-by';

export interface FanOutFigures {
  clusters: number;
  components: number;
  objects: number;
  /** First fetch started → the watcher logged the commit published (every key and event acknowledged). */
  firstFetchToPublishedMs: number;
  /** First fetch started → the last `applied` event's time. */
  firstFetchToAllAppliedMs: number;
  /** First fetch started → the last `applied` row written to the ledger. */
  firstFetchToLedgerMs: number;
  targetMs: number;
  isWithinTarget: boolean;
  objectsPerSecond: number;
  /** Driftless-managed ConfigMaps found in the clusters afterwards. */
  verifiedObjects: number;
  apiRequests: number;
  apiWrites: number;
  apiRequestsPerObject: number;
  /** CPU seconds each role used during the fan-out (the watcher's include its start-up). */
  cpuSeconds: Record<string, number>;
  /** CPU time of all processes under test per object applied: the figure least affected by a busy machine. */
  cpuMsPerObject: number;
  /** The fan-out could not be faster than this on this machine's cores, even with nothing else running. */
  cpuFloorMs: number;
  /** Peak resident memory per role since the processes started. */
  peakRssMb: Record<string, number>;
  ledgerRows: Record<string, number>;
}

function diffApi(after: ApiTotals, before: ApiTotals): { requests: number; writes: number } {
  return { requests: after.requests - before.requests, writes: after.writes - before.writes };
}

export async function runFanOut(fleet: Fleet, options: { timeoutMs: number; progress: (line: string) => void }): Promise<FanOutFigures> {
  const { clusters, components } = fleet.spec;
  const objects = clusters * components;
  const apiBefore = await fleet.sims.call<ApiTotals>('stats');
  const cpuBefore = cpuByRole(fleet.processes());

  const watcher = await fleet.startWatcher();
  const startedMs = Date.now();
  let lastPrintMs = 0;
  for (;;) {
    fleet.assertRunning();
    const progress = await fleet.ledger.appliedProgress();
    if (progress.pairs >= objects) break;
    if (Date.now() - startedMs > options.timeoutMs) {
      throw new Error(`fan-out did not finish within ${options.timeoutMs} ms: ${progress.pairs} of ${objects} applied in the ledger`);
    }
    if (Date.now() - lastPrintMs >= 5_000) {
      lastPrintMs = Date.now();
      const status = await fleet.agentStatus();
      options.progress(`  fan-out ${((Date.now() - startedMs) / 1000).toFixed(0)} s: ${status.appliedEvents.toLocaleString('en-US')} applied by agents, ${progress.pairs.toLocaleString('en-US')} in the ledger of ${objects.toLocaleString('en-US')}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const cpuAfter = cpuByRole(fleet.processes());
  const memory = memoryByRole(fleet.processes());
  const progress = await fleet.ledger.appliedProgress();
  const timeline = await watcher.call<WatcherTimeline>('timeline');
  const firstFetch = timeline.fetches[0];
  const firstPublished = timeline.published[0];
  if (!firstFetch || !firstPublished || progress.lastOccurredAtMs === undefined || progress.lastRecordedAtMs === undefined) {
    throw new Error('fan-out finished without a fetch, a published commit or ledger times to measure from');
  }
  const apiAfter = await fleet.sims.call<ApiTotals>('stats');
  const api = diffApi(apiAfter, apiBefore);
  const counts = await fleet.sims.call<Record<string, number>>('countConfigMaps', { namespace: APP_NAMESPACE, labelKey: MANAGED_LABEL });
  const verifiedObjects = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (verifiedObjects !== objects) throw new Error(`the clusters hold ${verifiedObjects} Driftless ConfigMaps, expected ${objects}`);

  const appliedMs = progress.lastOccurredAtMs - firstFetch.startAtMs;
  const cpuSeconds: Record<string, number> = {};
  for (const [role, seconds] of cpuAfter) cpuSeconds[role] = round(seconds - (cpuBefore.get(role) ?? 0), 2);
  const totalCpuSeconds = Object.values(cpuSeconds).reduce((sum, n) => sum + n, 0);
  const peakRssMb: Record<string, number> = {};
  for (const [role, m] of memory) peakRssMb[role] = round(m.peakRssBytes / 2 ** 20, 0);
  return {
    clusters,
    components,
    objects,
    firstFetchToPublishedMs: round(firstPublished.atMs - firstFetch.startAtMs, 0),
    firstFetchToAllAppliedMs: round(appliedMs, 0),
    firstFetchToLedgerMs: round(progress.lastRecordedAtMs - firstFetch.startAtMs, 0),
    targetMs: FAN_OUT_TARGET_MS,
    isWithinTarget: appliedMs < FAN_OUT_TARGET_MS,
    objectsPerSecond: round(objects / (appliedMs / 1000), 0),
    verifiedObjects,
    apiRequests: api.requests,
    apiWrites: api.writes,
    apiRequestsPerObject: round(api.requests / objects, 2),
    cpuSeconds,
    cpuMsPerObject: round((totalCpuSeconds * 1000) / objects, 2),
    cpuFloorMs: round((totalCpuSeconds * 1000) / cpus().length, 0),
    peakRssMb,
    ledgerRows: await fleet.ledger.rowsByKind(),
  };
}

/** Waits until every agent is idle and has published everything, so the next scenario starts quiet. */
export async function settle(fleet: Fleet, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await Promise.all(fleet.agentHosts.map((h) => h.call('idle', null, timeoutMs)));
    const status = await fleet.agentStatus();
    if (status.pendingEvents === 0) return;
    if (Date.now() > deadline) throw new Error(`agents still have ${status.pendingEvents} events to publish after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
