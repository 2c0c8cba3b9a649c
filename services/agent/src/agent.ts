/**
 * The agent: desired-state updates and live-object changes feed one keyed work queue (one
 * reconcile in flight per component, duplicates collapsing, bounded concurrency across
 * components); a periodic resync re-checks everything; a heartbeat says the agent is alive.
 */
import type { Logger } from '@driftless/telemetry';
import type { KubeClient } from '@driftless/kube';
import { heartbeatEvent } from './core/events.js';
import { LiveState } from './live-state.js';
import type { DesiredStateSource, EventSink, ManifestStore } from './ports.js';
import { WorkQueue } from './queue.js';
import { newStats, Reconciler, type AgentStats } from './reconciler.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  cluster: string;
  kube: KubeClient;
  source: DesiredStateSource;
  events: EventSink;
  manifests: ManifestStore;
  log: Logger;
  inventoryNamespace: string;
  maxConcurrentReconciles: number;
  applyConcurrency: number;
  heartbeatIntervalMs: number;
  resyncIntervalMs: number;
  crdWaitTimeoutMs: number;
  maxBackoffMs: number;
  healthRecheckMs?: number;
}

export class Agent {
  readonly stats: AgentStats = newStats();
  readonly live: LiveState;
  readonly reconciler: Reconciler;
  private readonly queue: WorkQueue;
  private readonly controller = new AbortController();
  private readonly timers: NodeJS.Timeout[] = [];
  private sourceRun: Promise<void> | undefined;
  private isSynced = false;
  private readonly startedAt = Date.now();

  constructor(private readonly o: AgentOptions) {
    const backoff = { baseDelayMs: 500, maxDelayMs: o.maxBackoffMs };
    this.live = new LiveState({ kube: o.kube, log: o.log.child({ unit: 'live' }), onChange: (component) => this.queue.add(component), backoff });
    this.reconciler = new Reconciler({
      cluster: o.cluster,
      kube: o.kube,
      live: this.live,
      events: o.events,
      manifests: o.manifests,
      log: o.log,
      inventoryNamespace: o.inventoryNamespace,
      applyConcurrency: o.applyConcurrency,
      crdWaitTimeoutMs: o.crdWaitTimeoutMs,
      maxBackoffMs: o.maxBackoffMs,
      stats: this.stats,
      ...(o.healthRecheckMs === undefined ? {} : { healthRecheckMs: o.healthRecheckMs }),
    });
    this.queue = new WorkQueue({
      concurrency: o.maxConcurrentReconciles,
      handle: (component) => this.reconciler.reconcile(component),
      onError: (component, err) => o.log.error({ component, err }, 'reconcile crashed'),
    });
  }

  start(): void {
    const { signal } = this.controller;
    this.sourceRun = this.o.source.run(
      (update) => {
        if (this.reconciler.setDesired(update)) this.queue.add(update.component);
      },
      () => {
        this.isSynced = true;
        this.o.log.info({ components: this.reconciler.components().length }, 'desired state loaded');
      },
      signal,
    );
    this.sourceRun.catch((err: unknown) => this.o.log.error({ err }, 'desired-state source failed'));
    this.every(this.o.heartbeatIntervalMs, () => this.heartbeat());
    this.every(this.o.resyncIntervalMs, () => {
      this.reconciler.invalidateCaches();
      for (const component of this.reconciler.components()) this.queue.add(component);
    });
    this.heartbeat();
  }

  private every(intervalMs: number, fn: () => void): void {
    const timer = setInterval(fn, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  private heartbeat(): void {
    this.o.events.publishVolatile(
      heartbeatEvent(
        { cluster: this.o.cluster, agentVersion: AGENT_VERSION, components: this.reconciler.components().length, uptimeMs: Date.now() - this.startedAt },
        { source: `driftless-agent/${this.o.cluster}`, time: new Date() },
      ),
    );
  }

  readiness(): { isReady: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.o.source.isConnected()) reasons.push('not watching desired state (NATS unreachable?)');
    if (!this.isSynced) reasons.push('desired state not loaded yet');
    return { isReady: reasons.length === 0, reasons };
  }

  /** Resolves when no reconcile is queued or running (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    for (const timer of this.timers) clearInterval(timer);
    await this.queue.stop();
    await this.live.stop();
    await this.sourceRun?.catch(() => undefined);
  }
}
