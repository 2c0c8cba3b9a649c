/**
 * Drives open promotions: on a timer and whenever something changed, the replica holding the
 * engine lease reads each open promotion's facts, asks the state machine for the next step and
 * does it — record what it waits for, ask the repo-watcher to commit, halt a wave, finish.
 * A repo-watcher that does not answer is waited for (recorded once, retried every tick); one that
 * refuses the same commit `maxWatcherRefusals` times rejects the promotion with its reason.
 */
import { UnavailableError, type DriftlessEvent } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import { isSamePending, nextStep, PromotionStatus, type CommitStep, type PromotionCommit, type PromotionFacts } from './core/promotion.js';
import { promotionEvents } from './promotion-events.js';
import type { EngineLease, LedgerFacts, PromoteCommander, PromotionRecord, PromotionStore } from './promotion-ports.js';
import type { EventPublisher } from './registration-ports.js';

export interface PromotionEngineDeps {
  store: PromotionStore;
  facts: LedgerFacts;
  commander: PromoteCommander;
  events: EventPublisher;
  lease: EngineLease;
  tickMs: number;
  maxWatcherRefusals?: number;
  now?: () => Date;
  log?: Logger;
}

const OPEN = [PromotionStatus.requested, PromotionStatus.waiting, PromotionStatus.committing];

export function factsOf(p: PromotionRecord): PromotionFacts {
  return {
    id: p.id,
    kind: p.kind,
    status: p.status,
    components: p.components,
    waves: p.waves,
    waveSize: p.waveSize,
    isLimited: p.clusters !== null || p.selector !== null,
    waveTimeoutS: p.waveTimeoutS,
    requester: p.requester,
    gates: p.plan.gates,
    previousStage: p.plan.previousStage,
    previousStageClusters: p.plan.previousStageClusters,
    commits: p.commits,
  };
}

/** Every (cluster, component) whose state a promotion's next step may depend on. */
function pairsOf(p: PromotionRecord): { cluster: string; component: string }[] {
  const promoted = new Set(p.components.map((c) => c.component));
  const pairs = p.plan.previousStageClusters.filter((x) => promoted.has(x.component));
  for (const wave of p.waves) for (const cluster of wave) for (const component of promoted) pairs.push({ cluster, component });
  return pairs;
}

export class PromotionEngine {
  private readonly now: () => Date;
  private wake: (() => void) | undefined;
  private isPoked = false;
  private isLeader = false;

  constructor(private readonly deps: PromotionEngineDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Look at open promotions now rather than at the next tick. */
  poke(): void {
    this.isPoked = true;
    this.wake?.();
  }

  /** Runs until `signal` aborts; releases the lease on the way out. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.tick();
      } catch (err) {
        this.deps.log?.error({ reason: (err as Error).message }, 'promotion engine tick failed; retrying');
      }
      await this.sleep(signal);
    }
    await this.deps.lease.release();
  }

  private sleep(signal: AbortSignal): Promise<void> {
    if (this.isPoked) {
      this.isPoked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        this.isPoked = false;
        resolve();
      };
      const timer = setTimeout(done, this.deps.tickMs);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  /** One pass over every open promotion, if this replica holds the lease. */
  async tick(): Promise<void> {
    const isLeader = await this.deps.lease.hold();
    if (isLeader !== this.isLeader) {
      this.isLeader = isLeader;
      this.deps.log?.info({ isLeader }, isLeader ? 'driving promotions (holding the engine lease)' : 'another replica drives promotions');
    }
    if (!isLeader) return;
    for (const p of await this.deps.store.open()) {
      try {
        await this.advance(p);
      } catch (err) {
        this.deps.log?.warn({ promotionId: p.id, reason: (err as Error).message }, 'could not advance a promotion; retrying next tick');
      }
    }
  }

  private publish(event: DriftlessEvent): Promise<void> {
    return this.deps.events.publish(event);
  }

  /** Takes one step of one promotion. */
  async advance(p: PromotionRecord): Promise<void> {
    // The request route publishes this too; the id is the same, so the ledger records it once.
    if (p.status === PromotionStatus.requested) await this.publish(promotionEvents.requested(p));
    const [approvals, facts] = await Promise.all([this.deps.store.approvals(p.id), this.deps.facts.componentFacts(pairsOf(p))]);
    const now = this.now();
    const step = nextStep(factsOf(p), facts, approvals, now);
    switch (step.type) {
      case 'none':
        return;
      case 'wait':
        if (p.status === PromotionStatus.waiting && isSamePending(p.pending, step.pending)) return;
        await this.publish(promotionEvents.waiting(p, step.pending, now));
        await this.deps.store.transition(p.id, [p.status], { status: PromotionStatus.waiting, pending: step.pending });
        this.deps.log?.info({ promotionId: p.id, pending: step.pending }, 'promotion waiting');
        return;
      case 'complete':
        await this.deps.store.transition(p.id, [p.status], { status: PromotionStatus.committed, pending: [] });
        this.deps.log?.info({ promotionId: p.id }, 'promotion complete');
        return;
      case 'halt':
        await this.publish(promotionEvents.halted(p, step.reason, step.wave, step.clusters, now));
        await this.deps.store.transition(p.id, [p.status], { status: PromotionStatus.halted, statusReason: step.reason, pending: [] });
        this.deps.log?.warn({ promotionId: p.id, reason: step.reason }, 'promotion halted');
        return;
      case 'commit':
        return this.commit(p, step.step, step.waves);
    }
  }

  private async commit(p: PromotionRecord, step: CommitStep, waves: number | null): Promise<void> {
    const moving = await this.deps.store.transition(p.id, OPEN, { status: PromotionStatus.committing });
    // Rejected in the meantime.
    if (!moving) return;
    let failure: { isDefinite: boolean; message: string } | undefined;
    let sha: string | undefined;
    try {
      const reply = await this.deps.commander.send({
        op: 'commit',
        promotionId: step.requestId,
        kind: p.kind,
        repo: p.repo,
        stage: p.stage,
        components: p.components.map((c) => ({ ...c })),
        ...(step.clusters === undefined ? {} : { clusters: step.clusters }),
        ...(step.wave === null || waves === null ? {} : { wave: step.wave, waves }),
        requester: p.requesterPerson,
        ...(p.reason === null ? {} : { reason: p.reason }),
      });
      if (!reply.ok) failure = { isDefinite: reply.code === 'invalid' || reply.code === 'not_found' || reply.code === 'conflict', message: `${reply.code}: ${reply.message}` };
      else if (reply.commitSha === undefined) failure = { isDefinite: false, message: 'the repo-watcher answered the commit without a commit sha' };
      else sha = reply.commitSha;
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      failure = { isDefinite: false, message: err.message };
    }

    if (failure) return this.onWatcherFailure(moving, failure);
    const commit: PromotionCommit = { sha: sha ?? '', wave: step.wave, clusters: step.clusters ?? null, at: this.now() };
    await this.publish(promotionEvents.committed(moving, commit, waves));
    // A wave waits to turn healthy; a single or final commit ends the promotion.
    const status = step.wave === null ? PromotionStatus.committed : PromotionStatus.waiting;
    await this.deps.store.transition(p.id, [PromotionStatus.committing], {
      status,
      commits: [...moving.commits, commit],
      pending: [],
      watcherError: null,
      watcherRefusals: 0,
    });
    this.deps.log?.info({ promotionId: p.id, commitSha: commit.sha, wave: commit.wave, clusters: commit.clusters }, 'promotion committed');
  }

  private async onWatcherFailure(p: PromotionRecord, failure: { isDefinite: boolean; message: string }): Promise<void> {
    if (!failure.isDefinite) {
      // Recorded once per distinct failure, not once per tick.
      if (p.watcherError !== failure.message) {
        await this.deps.store.transition(p.id, [PromotionStatus.committing], { watcherError: failure.message });
        this.deps.log?.warn({ promotionId: p.id, reason: failure.message }, 'the repo-watcher did not commit the promotion; waiting and asking again');
      }
      return;
    }
    const refusals = p.watcherRefusals + 1;
    const maxRefusals = this.deps.maxWatcherRefusals ?? 3;
    if (refusals < maxRefusals) {
      await this.deps.store.transition(p.id, [PromotionStatus.committing], { watcherError: failure.message, watcherRefusals: refusals });
      this.deps.log?.warn({ promotionId: p.id, reason: failure.message, refusals }, 'the repo-watcher refused the commit; asking again');
      return;
    }
    const reason = `the repo-watcher refused the commit ${refusals} times: ${failure.message}`;
    const rejected = await this.deps.store.transition(p.id, [PromotionStatus.committing], {
      status: PromotionStatus.rejected,
      statusReason: reason,
      watcherError: failure.message,
      watcherRefusals: refusals,
      pending: [],
    });
    if (rejected) await this.publish(promotionEvents.rejected(rejected, reason, null, rejected.updatedAt));
    this.deps.log?.warn({ promotionId: p.id, reason }, 'promotion rejected by the repo-watcher');
  }
}
