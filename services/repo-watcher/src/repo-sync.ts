/**
 * Brings one repository's published desired state up to its branch head: fetch, detect rewinds
 * and force-pushes, then for every new commit (oldest first, so each change is attributed to the
 * commit that made it) render, plan against what was last published, publish, and checkpoint.
 */
import type { Commit } from '@driftless/contracts';
import type { ReadLimits } from '@driftless/git';
import { currentTraceParent, withSpan, type Logger } from '@driftless/telemetry';
import type { Tracer } from '@opentelemetry/api';
import { emptyEntries, type Checkpoint } from './core/checkpoint.js';
import { desiredChangedEvent, desiredRemovedEvent, renderFailedEvent, repoRewrittenEvent, type EventContext, type Rewrite } from './core/events.js';
import { BranchMove, classifyMove, isRewrite, rewriteReason } from './core/history.js';
import { planPublish, type DesiredPut, type PublishPlan } from './core/plan.js';
import { forEachBounded } from './core/pool.js';
import { changeHeldEvent, changeReleasedEvent } from './core/policy-events.js';
import { blockedStages, emptyPolicyState, recordApproval } from './core/policy-state.js';
import type { LeaseKeeper } from './lease.js';
import type { WatcherMetrics } from './metrics.js';
import { enforcePolicy, releasePlan } from './policy-enforcement.js';
import type { PolicyGate } from './policy-gate.js';
import type { CheckpointStore, DesiredRecord, DesiredStore, EventSink, GitSource, Renderer } from './ports.js';

export interface RepoSyncDeps {
  repo: string;
  branch: string;
  git: GitSource;
  renderer: Renderer;
  store: DesiredStore;
  events: EventSink;
  checkpoints: CheckpointStore;
  lease: LeaseKeeper;
  log: Logger;
  tracer: Tracer;
  metrics: WatcherMetrics;
  fetchTimeoutMs: number;
  readLimits: ReadLimits;
  /** At most this many commits are processed one by one per sync; older ones are folded into the oldest processed. */
  maxCommitsPerSync: number;
  publishConcurrency: number;
  /** The change policy (policy.yaml); without it every commit publishes everywhere. */
  policyGate?: PolicyGate;
}

/** What became of an approval of a held commit. */
export type ApprovalOutcome =
  | { kind: 'not-leader' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'recorded'; approvers: string[]; releasedStages: string[]; waitingStages: string[] };

export type SyncOutcome =
  | { kind: 'not-leader' }
  | { kind: 'branch-missing' }
  | { kind: 'unchanged'; commitSha: string }
  | { kind: 'published'; commits: CommitOutcome[]; move: BranchMove };

export interface CommitOutcome {
  sha: string;
  puts: number;
  removals: number;
  failures: number;
  renderMs: number;
  publishMs: number;
  /** `performance.now()` when the last key and event of this commit were acknowledged. */
  publishedAtMs: number;
}

export interface RepoStatus {
  repo: string;
  branch: string;
  isLeaseHeld: boolean;
  /** Whether a sync has completed since start, including one that found another watcher leading (readiness). */
  hasSynced: boolean;
  lastCommitSha: string | undefined;
  lastError: string | undefined;
  lastSyncAt: string | undefined;
}

/** Folded commits checked for their authors and signatures at most. */
const MAX_FOLDED_CHECKED = 1000;

export class LeaseLostError extends Error {
  override readonly name: string = 'LeaseLostError';
}

export class RepoSync {
  /** undefined until loaded; reloaded whenever the lease is (re)gained, since another watcher may have moved it. */
  private checkpoint: Checkpoint | null | undefined;
  private hasSynced = false;
  private lastError: string | undefined;
  private lastSyncAt: string | undefined;
  /** Syncs and approvals run one at a time: both move the checkpoint. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: RepoSyncDeps) {}

  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  get repo(): string {
    return this.deps.repo;
  }

  status(): RepoStatus {
    return {
      repo: this.deps.repo,
      branch: this.deps.branch,
      isLeaseHeld: this.deps.lease.isHeld(),
      hasSynced: this.hasSynced,
      lastCommitSha: this.checkpoint?.commitSha,
      lastError: this.lastError,
      lastSyncAt: this.lastSyncAt,
    };
  }

  /** Forgets the in-memory checkpoint so the next sync reads it from the store. */
  invalidate(): void {
    this.checkpoint = undefined;
  }

  async sync(): Promise<SyncOutcome> {
    const { repo, log, metrics } = this.deps;
    try {
      const outcome = await this.exclusive(() => this.syncOnce());
      this.lastError = undefined;
      this.hasSynced = true;
      metrics.syncs.add(1, { repo, outcome: outcome.kind });
      return outcome;
    } catch (err) {
      this.lastError = (err as Error).message;
      metrics.syncs.add(1, { repo, outcome: 'error' });
      log.error({ err, repo }, 'sync failed');
      throw err;
    } finally {
      this.lastSyncAt = new Date().toISOString();
    }
  }

  private async syncOnce(): Promise<SyncOutcome> {
    const { repo, branch, git, lease, tracer, metrics } = this.deps;
    const { isHeld, isNewlyAcquired } = await lease.renew();
    if (!isHeld) return { kind: 'not-leader' };
    if (isNewlyAcquired) this.invalidate();

    // Fetch.
    await withSpan(tracer, 'repo-watcher.fetch', { 'driftless.repo': repo }, async () => {
      const startedMs = performance.now();
      await git.fetch({ timeoutMs: this.deps.fetchTimeoutMs });
      metrics.fetchMs.record(performance.now() - startedMs, { repo });
    });
    const headSha = await git.resolveBranch(branch);
    if (headSha === undefined) {
      this.deps.log.warn({ repo, branch }, 'branch not found in repository');
      return { kind: 'branch-missing' };
    }

    const checkpoint = await this.currentCheckpoint();
    const previousSha = checkpoint?.commitSha;
    const hasPrevious = previousSha !== undefined && (await git.hasCommit(previousSha));
    const move = classifyMove({
      previousSha,
      headSha,
      hasPrevious,
      isPreviousAncestorOfHead: hasPrevious && (await git.isAncestor(previousSha, headSha)),
      isHeadAncestorOfPrevious: hasPrevious && (await git.isAncestor(headSha, previousSha)),
    });
    if (move === BranchMove.unchanged) return { kind: 'unchanged', commitSha: headSha };

    const commits = move === BranchMove.fastForward ? await git.commitsBetween(previousSha!, headSha, this.deps.maxCommitsPerSync) : [headSha];
    const rewrite: Rewrite | undefined = isRewrite(move) ? { branch, fromSha: previousSha!, reason: rewriteReason(move, branch) } : undefined;
    const outcomes: CommitOutcome[] = [];
    let parentSha = move === BranchMove.fastForward ? previousSha : undefined;
    for (const [index, sha] of commits.entries()) {
      outcomes.push(await this.processCommit(sha, parentSha, index === 0 ? rewrite : undefined, index === 0 && parentSha !== undefined && commits.length === this.deps.maxCommitsPerSync));
      parentSha = sha;
    }
    return { kind: 'published', commits: outcomes, move };
  }

  /** The commits between `fromSha` and `sha` (both excluded) that are folded into `sha`, so their authors and signatures get checked. */
  private async foldedCommits(fromSha: string, sha: string): Promise<Commit[]> {
    const chain = await this.deps.git.commitsBetween(fromSha, sha, MAX_FOLDED_CHECKED + 1);
    const folded = chain.filter((c) => c !== sha);
    if (folded.length === 0) return [];
    this.deps.log.warn({ repo: this.deps.repo, revision: sha, folded: folded.length }, 'more new commits than maxCommitsPerSync: the older ones are checked as part of this one');
    if (chain.length > MAX_FOLDED_CHECKED) this.deps.log.warn({ repo: this.deps.repo, revision: sha, checked: MAX_FOLDED_CHECKED }, 'too many folded commits: only the newest are checked');
    return Promise.all(folded.map((c) => this.deps.git.readCommit(c)));
  }

  private async currentCheckpoint(): Promise<Checkpoint | null> {
    if (this.checkpoint === undefined) {
      const loaded = await this.deps.checkpoints.load(this.deps.repo);
      // A checkpoint of another branch says nothing about this one.
      this.checkpoint = loaded && loaded.branch === this.deps.branch ? loaded : null;
    }
    return this.checkpoint;
  }

  private async processCommit(sha: string, parentSha: string | undefined, rewrite: Rewrite | undefined, isFolded = false): Promise<CommitOutcome> {
    const { repo, branch, git, renderer, tracer, metrics, log } = this.deps;
    return withSpan(tracer, 'repo-watcher.commit', { 'driftless.repo': repo, 'driftless.commit': sha }, async () => {
      const commit = await git.readCommit(sha);
      const checkpoint = await this.currentCheckpoint();
      const previous = checkpoint?.entries ?? emptyEntries();

      // Render every (cluster, component) and decide what changed.
      const renderStartedMs = performance.now();
      const render = await withSpan(tracer, 'repo-watcher.render', { 'driftless.repo': repo, 'driftless.commit': sha }, async (span) => {
        const startedMs = performance.now();
        // Knowing what changed since the last rendered commit lets the renderer skip unaffected pairs.
        const change = parentSha === undefined ? undefined : { previousSha: parentSha, changedPaths: await git.changedPaths(parentSha, sha) };
        const result = await renderer.render(sha, await git.reader(sha, this.deps.readLimits), change);
        metrics.renderMs.record(performance.now() - startedMs, { repo });
        span.setAttributes({ 'driftless.pairs': result.pairs.length, 'driftless.failures': result.failures.length });
        return result;
      });
      let plan = planPublish(previous, render);
      const renderMs = performance.now() - renderStartedMs;

      // The change policy: held stages publish nothing and stay at their released commit.
      let policy = checkpoint?.policy;
      let held: Parameters<typeof changeHeldEvent>[1] | undefined;
      if (this.deps.policyGate) {
        const foldedCommits = isFolded && parentSha !== undefined ? await this.foldedCommits(parentSha, sha) : [];
        const enforced = await enforcePolicy({
          repo,
          gate: this.deps.policyGate,
          git,
          log,
          commit,
          parentSha,
          checkpointSha: checkpoint?.commitSha,
          isRewrite: rewrite !== undefined,
          render,
          published: previous,
          plan,
          state: policy,
          foldedCommits,
        });
        plan = enforced.plan;
        policy = enforced.state;
        held = enforced.held;
      }

      // Publish only while holding the lease: another watcher may have taken over meanwhile.
      if (!(await this.deps.lease.renew()).isHeld) throw new LeaseLostError(`lost the lease on repository ${repo} before publishing commit ${sha}`);
      const publishStartedMs = performance.now();
      await withSpan(tracer, 'repo-watcher.publish', { 'driftless.repo': repo, 'driftless.commit': sha }, async (span) => {
        await this.publish(plan, commit, rewrite);
        if (held) {
          await this.deps.events.publish(changeHeldEvent({ repo, commit, ...currentTraceParent() }, held));
          metrics.changesHeld?.add(1, { repo, approvable: String(held.isApprovable) });
        }
        span.setAttributes({ 'driftless.puts': plan.puts.length, 'driftless.removals': plan.removals.length });
      });
      const publishedAtMs = performance.now();
      const publishMs = publishedAtMs - publishStartedMs;
      metrics.publishMs.record(publishMs, { repo });

      const next: Checkpoint = { repo, branch, commitSha: sha, entries: plan.nextEntries, ...(policy === undefined ? {} : { policy }) };
      await this.deps.checkpoints.save(next, { isEntriesUnchanged: plan.puts.length === 0 && plan.removals.length === 0 });
      this.checkpoint = next;
      log.info(
        { repo, revision: sha, puts: plan.puts.length, removals: plan.removals.length, failures: plan.failures.length, isRewrite: rewrite !== undefined },
        'commit published',
      );
      return { sha, puts: plan.puts.length, removals: plan.removals.length, failures: plan.failures.length, renderMs, publishMs, publishedAtMs };
    });
  }

  /**
   * Records an approval of a held commit. Once a held stage has enough distinct approvers and no
   * other held commit blocks it, it is published at the current head and change.released follows.
   */
  approve(commitSha: string, approver: string): Promise<ApprovalOutcome> {
    return this.exclusive(() => this.approveOnce(commitSha, approver));
  }

  private async approveOnce(commitSha: string, approver: string): Promise<ApprovalOutcome> {
    const { repo, branch, git, renderer, log, metrics } = this.deps;
    if (!(await this.deps.lease.renew()).isHeld) return { kind: 'not-leader' };
    const checkpoint = await this.currentCheckpoint();
    const result = recordApproval(checkpoint?.policy ?? emptyPolicyState(), commitSha, approver);
    if (checkpoint === null || result.kind !== 'recorded') {
      const reason =
        result.kind === 'not-approvable'
          ? `commit ${commitSha} is held for reasons no approval can lift: ${result.reasons.map((r) => r.message).join('; ')}`
          : result.kind === 'already-approved'
            ? `${approver} already approved commit ${commitSha}`
            : `commit ${commitSha} is not held`;
      log.info({ repo, revision: commitSha, approver, reason }, 'approval ignored');
      return { kind: 'ignored', reason };
    }
    let state = result.state;
    let entries = checkpoint.entries;
    const blocked = blockedStages(state);
    const releasing = new Set(result.releasedStages.filter((stage) => !blocked.has(stage)));
    const head = await git.readCommit(checkpoint.commitSha);
    const headPolicy = await this.deps.policyGate?.policyAt(head.sha);
    if (headPolicy?.ok === false && releasing.size > 0) {
      // A head whose policy.yaml does not load publishes nothing; the next commit that fixes it releases these stages.
      log.warn({ repo, revision: head.sha, stages: [...releasing], reason: headPolicy.reason }, 'approved stages wait for a head with a usable policy.yaml');
      releasing.clear();
    }
    if (releasing.size > 0) {
      // Publish the released stages as the head renders them (commits on top of the held one included).
      const render = await renderer.render(head.sha, await git.reader(head.sha, this.deps.readLimits));
      const released = releasePlan(entries, render, releasing, state);
      await this.publish(released.plan, head, undefined);
      entries = released.plan.nextEntries;
      state = { ...released.state, released: { ...released.state.released, ...Object.fromEntries([...releasing].map((stage) => [stage, head.sha])) } };
      if (blocked.size === 0) state = { ...state, baseSha: head.sha, unpublished: {} };
    }
    const next: Checkpoint = { repo, branch, commitSha: checkpoint.commitSha, entries, policy: state };
    await this.deps.checkpoints.save(next);
    this.checkpoint = next;
    if (releasing.size > 0) {
      await this.deps.events.publish(changeReleasedEvent(repo, commitSha, [...releasing].sort(), result.approvers));
      metrics.changesReleased?.add(1, { repo });
    }
    log.info(
      { repo, revision: commitSha, approver, approvers: result.approvers, released: [...releasing].sort(), waiting: result.waitingStages, stillBlocked: result.releasedStages.filter((s) => blocked.has(s)) },
      'approval recorded',
    );
    return { kind: 'recorded', approvers: result.approvers, releasedStages: [...releasing].sort(), waitingStages: result.waitingStages };
  }

  private async publish(plan: PublishPlan, commit: Commit, rewrite: Rewrite | undefined): Promise<void> {
    const { repo, store, events, metrics, publishConcurrency } = this.deps;
    const ctx: EventContext = { repo, commit, ...currentTraceParent() };

    // The rewrite is announced before anything from the (possibly older) commit is published.
    if (rewrite) {
      await events.publish(repoRewrittenEvent(ctx, rewrite));
      metrics.rewrites.add(1, { repo });
    }
    await forEachBounded(plan.puts, publishConcurrency, async (put) => {
      await store.put(put.key, desiredRecord(repo, commit, put));
      await events.publish(desiredChangedEvent(ctx, put));
    });
    metrics.publishedKeys.add(plan.puts.length, { repo });
    await forEachBounded(plan.removals, publishConcurrency, async (removal) => {
      await store.remove(removal.key);
      await events.publish(desiredRemovedEvent(ctx, removal));
    });
    metrics.removedKeys.add(plan.removals.length, { repo });
    await forEachBounded(plan.failures, publishConcurrency, (failure) => events.publish(renderFailedEvent(ctx, failure)));
    metrics.renderFailures.add(plan.failures.length, { repo });
  }
}

function desiredRecord(repo: string, commit: Commit, put: DesiredPut): DesiredRecord {
  const { pair } = put;
  return {
    repo,
    cluster: pair.cluster,
    component: pair.component,
    stage: pair.stage,
    apps: [...pair.apps],
    version: pair.version,
    hash: pair.hash,
    commit,
    objects: pair.objects,
    options: pair.options,
  };
}
