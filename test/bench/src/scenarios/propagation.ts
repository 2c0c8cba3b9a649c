/**
 * Change propagation: a commit that changes one component every cluster runs, announced by a
 * signed push webhook, followed hop by hop to every cluster. Each hop's time comes from where it
 * happens: the watcher's fetch and render start (its Git port) and render duration (its own
 * metric), each key's put time (the KV entry's server timestamp), the moment each agent's
 * desired-state watch delivered it, the agent's `applied` event time and the audit row's
 * `recorded_at` (both from the ledger).
 */
import { createHmac } from 'node:crypto';
import { kvKeys } from '@driftless/contracts';
import { APP_NAMESPACE, BRANCH, changedComponentFiles, REPO_NAME, sharedComponent } from '../core/fleet-repo.js';
import type { ReceivedUpdate, WatcherTimeline } from '../core/host-types.js';
import { round, roundSummary, summarize, type Summary } from '../core/stats.js';
import type { Fleet } from '../fleet.js';
import { settle } from './fan-out.js';

export const PROPAGATION_TARGET_P99_MS = 1_000;

/** The hops a change takes, in order; every cluster's sample splits its total into these. */
export const Hop = {
  settle: 'webhook → fetch starts (coalescing window)',
  fetch: 'fetch',
  render: 'fetch done → rendered',
  publish: 'rendered → published (KV put)',
  deliver: 'published → agent received',
  apply: 'agent received → applied',
  record: 'applied → audit row written',
} as const;
export type HopKey = keyof typeof Hop;
export const HOP_KEYS = Object.keys(Hop) as HopKey[];

export interface PropagationRound {
  round: number;
  commitSha: string;
  webhookToAppliedP50Ms: number;
  webhookToAppliedMaxMs: number;
  renderDurationMs: number;
  clusters: number;
}

export interface PropagationFigures {
  component: string;
  rounds: number;
  clusters: number;
  /** Per-cluster samples over all rounds. */
  samples: number;
  /** Push done → applied on the cluster. */
  commitToApplied: Summary;
  /** Push done → the audit row of that apply is written. */
  commitToRecorded: Summary;
  hops: Record<HopKey, Summary>;
  targetP99Ms: number;
  isWithinTarget: boolean;
  perRound: PropagationRound[];
}

interface Sample {
  total: number;
  recorded: number;
  hops: Record<HopKey, number>;
}

function signedPush(secret: string, sha: string): { body: string; signature: string } {
  const body = JSON.stringify({ ref: `refs/heads/${BRANCH}`, after: sha });
  return { body, signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, fleet: Fleet): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    fleet.assertRunning();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function oneRound(fleet: Fleet, component: string, roundNo: number): Promise<{ samples: Sample[]; summary: PropagationRound }> {
  const watcher = fleet.watcher;
  if (!watcher) throw new Error('the watcher is not running');
  const before = await watcher.call<WatcherTimeline>('timeline');

  // Commit and push the change, then send the push webhook as GitHub would.
  const sha = fleet.repo.write(changedComponentFiles(component, roundNo)).commit(`${component}: round ${roundNo}`);
  const pushedAtMs = Date.now();
  const { body, signature } = signedPush(fleet.webhookSecret, sha);
  const webhookAtMs = Date.now();
  const response = await fetch(`${fleet.watcherUrl}/webhooks/github/${REPO_NAME}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature },
    body,
  });
  if (response.status !== 202) throw new Error(`the watcher answered the webhook with ${response.status}: ${await response.text()}`);

  // Every cluster has applied it and audit has recorded that.
  const clusters = fleet.clusters.length;
  await waitFor(`round ${roundNo} to be applied on ${clusters} clusters`, async () => (await fleet.ledger.appliedCountForCommit(sha, component)) >= clusters, 60_000, fleet);

  // Where the time went.
  const after = await watcher.call<WatcherTimeline>('timeline');
  const renderStart = after.renderStarts.find((r) => r.sha === sha);
  if (!renderStart) throw new Error(`the watcher never rendered ${sha}`);
  // The fetch that brought the commit: the last one to end before its render started (a poll may
  // have raced the webhook, so it can have started a moment before it).
  const fetched = [...after.fetches].reverse().find((f) => f.endAtMs <= renderStart.atMs);
  if (!fetched || fetched.endAtMs < pushedAtMs) throw new Error(`no fetch between the push and the render of ${sha}`);
  const renders = after.renderDuration.count - before.renderDuration.count;
  const renderDurationMs = renders > 0 ? (after.renderDuration.sumMs - before.renderDuration.sumMs) / renders : 0;
  const renderedAtMs = renderStart.atMs + renderDurationMs;

  const received = new Map<string, ReceivedUpdate>();
  for (const host of fleet.agentHosts) for (const r of await host.call<ReceivedUpdate[]>('received', { component })) received.set(r.cluster, r);
  const rows = await fleet.ledger.commitRows(sha, component);
  const applied = new Map(rows.filter((r) => r.kind === 'applied').map((r) => [r.cluster, r]));

  const samples: Sample[] = [];
  for (const cluster of fleet.clusters) {
    const entry = await fleet.provisioned.desired.get(kvKeys.desired(cluster, component));
    const got = received.get(cluster);
    const row = applied.get(cluster);
    if (!entry || !got || !row) throw new Error(`round ${roundNo}: no complete record for ${cluster} (KV ${entry ? 'ok' : 'missing'}, agent ${got ? 'ok' : 'missing'}, ledger ${row ? 'ok' : 'missing'})`);
    if (got.revision !== entry.revision) throw new Error(`round ${roundNo}: the agent of ${cluster} last saw revision ${got.revision}, the bucket holds ${entry.revision}`);
    const publishedAtMs = entry.created.getTime();
    samples.push({
      total: row.occurredAtMs - pushedAtMs,
      recorded: row.recordedAtMs - pushedAtMs,
      hops: {
        settle: Math.max(0, fetched.startAtMs - webhookAtMs),
        fetch: fetched.endAtMs - fetched.startAtMs,
        render: renderedAtMs - fetched.endAtMs,
        publish: publishedAtMs - renderedAtMs,
        deliver: got.atMs - publishedAtMs,
        apply: row.occurredAtMs - got.atMs,
        record: row.recordedAtMs - row.occurredAtMs,
      },
    });
  }

  // The clusters really hold the change.
  const data = await fleet.sims.call<Record<string, string | null>>('readData', { namespace: APP_NAMESPACE, name: component, key: 'round' });
  const stale = Object.entries(data).filter(([, value]) => value !== String(roundNo));
  if (stale.length > 0) throw new Error(`round ${roundNo}: ${stale.length} clusters do not hold the change (e.g. ${stale[0]?.[0]})`);

  const totals = summarize(samples.map((s) => s.total));
  return {
    samples,
    summary: { round: roundNo, commitSha: sha, webhookToAppliedP50Ms: round(totals.p50, 1), webhookToAppliedMaxMs: round(totals.max, 1), renderDurationMs: round(renderDurationMs, 1), clusters: samples.length },
  };
}

export async function runPropagation(fleet: Fleet, options: { rounds: number; progress: (line: string) => void }): Promise<PropagationFigures> {
  const component = sharedComponent(fleet.spec);
  const all: Sample[] = [];
  const perRound: PropagationRound[] = [];
  for (let r = 1; r <= options.rounds; r++) {
    await settle(fleet);
    // A pause so each round starts from an idle system, not on the tail of the previous one.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { samples, summary } = await oneRound(fleet, component, r);
    all.push(...samples);
    perRound.push(summary);
    options.progress(`  round ${r}/${options.rounds}: ${component} changed → applied on ${summary.clusters} clusters, p50 ${summary.webhookToAppliedP50Ms} ms, max ${summary.webhookToAppliedMaxMs} ms`);
  }
  await settle(fleet);
  const hops = Object.fromEntries(HOP_KEYS.map((key) => [key, roundSummary(summarize(all.map((s) => s.hops[key])))])) as Record<HopKey, Summary>;
  const commitToApplied = roundSummary(summarize(all.map((s) => s.total)));
  return {
    component,
    rounds: options.rounds,
    clusters: fleet.clusters.length,
    samples: all.length,
    commitToApplied,
    commitToRecorded: roundSummary(summarize(all.map((s) => s.recorded))),
    hops,
    targetP99Ms: PROPAGATION_TARGET_P99_MS,
    isWithinTarget: commitToApplied.p99 < PROPAGATION_TARGET_P99_MS,
    perRound,
  };
}
