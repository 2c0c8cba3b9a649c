/**
 * What the agent knows about the live objects it manages, kept small: per object only its
 * resourceVersion, health and drift (computed when an event arrives, then the object is dropped),
 * fed by one list-then-watch per kind over the `managed-by=driftless` label. It tells the
 * reconciler which component to look at when something changed, and answers "does it exist, has
 * it drifted" without an API call once the kind is synced.
 */
import type { Logger } from '@driftless/telemetry';
import {
  detectDrift,
  healthOf,
  MANAGED_SELECTOR,
  COMPONENT_LABEL,
  objectKey,
  startInformer,
  type BackoffOptions,
  type DriftFinding,
  type HealthStatus,
  type Informer,
  type KubeClient,
  type KubeObject,
  type LiveView,
  type PreparedObject,
} from '@driftless/kube';

export interface LiveSummary {
  resourceVersion: string;
  health: HealthStatus;
  /** The desired hash `drift` was computed against; undefined if no desired object was known then. */
  desiredHash: string | undefined;
  drift: DriftFinding[];
}

export interface LiveStateOptions {
  kube: KubeClient;
  log: Logger;
  /** Called when something about a component's objects changed that a reconcile should look at. */
  onChange: (component: string) => void;
  backoff: BackoffOptions;
  watchTimeoutSeconds?: number;
}

/** Whether resourceVersion `a` is older than `b` (both numeric in practice; opaque ones are never "older"). */
function isOlder(a: string, b: string): boolean {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

function driftSignature(drift: readonly DriftFinding[]): string {
  return drift.length === 0 ? '' : JSON.stringify(drift);
}

export class LiveState {
  private readonly summaries = new Map<string, LiveSummary>();
  private readonly desired = new Map<string, { component: string; prepared: PreparedObject }>();
  private readonly keysOf = new Map<string, Set<string>>();
  private readonly informers = new Map<string, Informer>();
  private readonly controller = new AbortController();

  constructor(private readonly options: LiveStateOptions) {}

  /** Records the desired objects of a component (drift is computed against them) and watches their kinds. */
  setDesired(component: string, prepared: readonly PreparedObject[]): void {
    const next = new Set(prepared.map((p) => p.key));
    for (const key of this.keysOf.get(component) ?? []) {
      if (!next.has(key) && this.desired.get(key)?.component === component) this.desired.delete(key);
    }
    for (const p of prepared) this.desired.set(p.key, { component, prepared: p });
    this.keysOf.set(component, next);
  }

  clearDesired(component: string): void {
    this.setDesired(component, []);
    this.keysOf.delete(component);
  }

  /** Starts watching a kind (once). Call it when the kind is known to be served. */
  watchKind(apiVersion: string, kind: string): void {
    const id = `${apiVersion}/${kind}`;
    if (this.informers.has(id) || this.controller.signal.aborted) return;
    const log = this.options.log.child({ apiVersion, kind });
    const informer = startInformer(
      this.options.kube,
      { apiVersion, kind, labelSelector: MANAGED_SELECTOR, backoff: this.options.backoff, ...(this.options.watchTimeoutSeconds === undefined ? {} : { watchTimeoutSeconds: this.options.watchTimeoutSeconds }) },
      {
        onUpsert: (object) => this.observe(object),
        onDelete: (key) => this.forget(key),
        onError: (err, delayMs) => log.warn({ err: (err as Error).message, delayMs }, 'watch of managed objects failed, retrying'),
      },
      this.controller.signal,
    );
    informer.done.catch((err: unknown) => log.error({ err }, 'watch loop ended unexpectedly'));
    this.informers.set(id, informer);
  }

  isWatching(apiVersion: string, kind: string): boolean {
    return this.informers.has(`${apiVersion}/${kind}`);
  }

  isSynced(apiVersion: string, kind: string): boolean {
    return this.informers.get(`${apiVersion}/${kind}`)?.isSynced() ?? false;
  }

  /**
   * Takes in a live object (from a watch, an apply response or a read). Older versions than the
   * one known are ignored. Unless `isQuiet` (the reconciler's own writes and reads), a change
   * worth a look queues the object's component.
   */
  observe(object: KubeObject, { isQuiet = false } = {}): LiveSummary | undefined {
    const key = objectKey(object);
    const previous = this.summaries.get(key);
    const resourceVersion = object.metadata.resourceVersion ?? '';
    if (previous && isOlder(resourceVersion, previous.resourceVersion)) return previous;
    const entry = this.desired.get(key);
    // The watch echoes what an apply already returned: nothing new to compute.
    if (previous && resourceVersion !== '' && previous.resourceVersion === resourceVersion && previous.desiredHash === entry?.prepared.hash) return previous;
    const summary: LiveSummary = {
      resourceVersion,
      health: healthOf(object),
      desiredHash: entry?.prepared.hash,
      drift: entry ? detectDrift(entry.prepared.object, object) : [],
    };
    this.summaries.set(key, summary);
    if (isQuiet) return summary;
    const component = entry?.component ?? object.metadata.labels?.[COMPONENT_LABEL];
    if (component === undefined) return summary;
    const isWorthALook =
      !previous ||
      previous.health.health !== summary.health.health ||
      previous.health.message !== summary.health.message ||
      driftSignature(previous.drift) !== driftSignature(summary.drift);
    if (isWorthALook) this.options.onChange(component);
    return summary;
  }

  /**
   * Waits (up to `timeoutMs`) until the watches of these kinds have listed once: one LIST per kind
   * is far cheaper than reading each object, e.g. right after a restart.
   */
  async waitForSync(kinds: readonly { apiVersion: string; kind: string }[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = () => kinds.filter((k) => this.isWatching(k.apiVersion, k.kind) && !this.isSynced(k.apiVersion, k.kind));
    while (pending().length > 0 && Date.now() < deadline && !this.controller.signal.aborted) await new Promise((r) => setTimeout(r, 25));
  }

  /** An object is gone (deleted, or pruned by the reconciler). */
  forget(key: string, { isQuiet = false } = {}): void {
    const existed = this.summaries.delete(key);
    const component = this.desired.get(key)?.component;
    if (existed && !isQuiet && component !== undefined) this.options.onChange(component);
  }

  /** What is known about a desired object's live state; undefined when a read is needed to know. */
  view(prepared: PreparedObject): LiveView | undefined {
    const summary = this.summaries.get(prepared.key);
    if (summary) return summary.desiredHash === prepared.hash ? { exists: true, drift: summary.drift } : undefined;
    return this.isSynced(prepared.ref.apiVersion, prepared.ref.kind) ? { exists: false, drift: [] } : undefined;
  }

  /** The health of a desired object: from its summary, Missing once its kind is synced and it is absent. */
  health(prepared: PreparedObject): HealthStatus | undefined {
    const summary = this.summaries.get(prepared.key);
    if (summary) return summary.health;
    return this.isSynced(prepared.ref.apiVersion, prepared.ref.kind) ? { health: 'Missing' } : undefined;
  }

  /** Objects known, for metrics and tests. */
  get size(): number {
    return this.summaries.size;
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled([...this.informers.values()].map((i) => i.done));
  }
}
