/**
 * One component's reconcile, in the fluxcd kustomize-controller's shape: load the desired state,
 * plan per object, apply (in dependency order, only what must be written), prune from the
 * inventory diff (behind the brake), assess health, and always report in `finally`. Errors are
 * sorted into retry soon, back off (capped, jittered) and terminal for the revision.
 */
import { parseAllDocuments } from 'yaml';
import { ROOT_CONTEXT, trace, type Context, type Tracer } from '@opentelemetry/api';
import {
  Health,
  type DesiredState,
  type DriftlessEvent,
  type ObjectRef,
} from '@driftless/contracts';
import { currentTraceParent, withSpan, type Logger } from '@driftless/telemetry';
import {
  applyRank,
  backoffDelayMs,
  Decision,
  decideObject,
  decisionFor,
  DEFAULT_PRUNE_OPTIONS,
  describeRef,
  detectDrift,
  emptyInventory,
  foldHealth,
  inventoryFromConfigMap,
  inventoryName,
  inventoryToConfigMap,
  isKubeFailure,
  isSameInventory,
  kindsDefinedBy,
  KubeNotFoundError,
  KubeUnavailableError,
  planPrune,
  prepareObjects,
  refKey,
  validateManifests,
  withPending,
  type ApplyReason,
  type DriftFinding,
  type Inventory,
  type InventoryEntry,
  type KubeClient,
  type KubeObject,
  type LiveView,
  type PreparedObject,
  type PruneOptions,
} from '@driftless/kube';
import { decodeDesiredState, InvalidDesiredStateError } from './core/desired.js';
import { agentEvent, EMPTY_STATE_HASH, type EventContext } from './core/events.js';
import type { LiveState } from './live-state.js';
import type { DesiredUpdate, EventSink, ManifestStore } from './ports.js';
import type { WorkResult } from './queue.js';

export interface AgentStats {
  reconciles: number;
  /** Write calls to the API server (applies, deletes, inventory writes). */
  writes: number;
  reads: number;
  applied: number;
  pruned: number;
  failures: number;
  driftDetected: number;
  driftCorrected: number;
}

export function newStats(): AgentStats {
  return { reconciles: 0, writes: 0, reads: 0, applied: 0, pruned: 0, failures: 0, driftDetected: 0, driftCorrected: 0 };
}

export interface ReconcilerOptions {
  cluster: string;
  kube: KubeClient;
  live: LiveState;
  events: EventSink;
  manifests: ManifestStore;
  log: Logger;
  inventoryNamespace: string;
  applyConcurrency: number;
  crdWaitTimeoutMs: number;
  maxBackoffMs: number;
  /** Fallback re-check of a component whose rollout is still progressing. */
  healthRecheckMs?: number;
  stats: AgentStats;
  tracer?: Tracer;
  now?: () => Date;
}

interface LoadedDesired {
  revision: number;
  state: DesiredState;
  manifests: KubeObject[];
  prepared?: PreparedObject[];
}

interface ComponentState {
  component: string;
  update: DesiredUpdate;
  loaded?: LoadedDesired;
  inventory?: Inventory;
  health?: Health;
  /** The desired hash that failed terminally: not retried until a new revision arrives. */
  terminalHash?: string;
  attempt: number;
  /** Drift already reported, by object key, so correction-off components report it once. */
  reportedDrift: Map<string, string>;
  reportedBlock?: string;
  /** A revision whose value could not be decoded: reported once, then ignored until the next. */
  invalidRevision?: number;
  /** The trace context of the reconcile in flight (one per component at a time). */
  traceContext: Context;
}

interface ObjectFailure {
  prepared: PreparedObject | undefined;
  ref: ObjectRef | undefined;
  error: unknown;
  decision: Decision;
}

const INVENTORY_KIND = { apiVersion: 'v1', kind: 'ConfigMap' } as const;

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function groupByRank(prepared: readonly PreparedObject[]): PreparedObject[][] {
  const byRank = new Map<number, PreparedObject[]>();
  for (const p of prepared) {
    const rank = applyRank(p.ref);
    const group = byRank.get(rank) ?? [];
    group.push(p);
    byRank.set(rank, group);
  }
  return [...byRank.entries()].sort(([a], [b]) => a - b).map(([, group]) => group);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Reconciler {
  private readonly states = new Map<string, ComponentState>();
  private isNamespaceEnsured = false;
  private readonly now: () => Date;
  private readonly tracer: Tracer;
  private readonly source: string;

  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? (() => new Date());
    this.tracer = o.tracer ?? trace.getTracer('driftless-agent');
    this.source = `driftless-agent/${o.cluster}`;
  }

  /** Records the latest desired state of a component; false when it is not newer than what is known. */
  setDesired(update: DesiredUpdate): boolean {
    const state = this.states.get(update.component);
    if (state && state.update.revision >= update.revision) return false;
    if (state) state.update = update;
    else this.states.set(update.component, { component: update.component, update, attempt: 0, reportedDrift: new Map(), traceContext: ROOT_CONTEXT });
    return true;
  }

  components(): string[] {
    return [...this.states.keys()];
  }

  /** Forget cached inventories, so the next reconcile reads them from the cluster (periodic resync). */
  invalidateCaches(): void {
    for (const state of this.states.values()) delete state.inventory;
  }

  healthOf(component: string): Health | undefined {
    return this.states.get(component)?.health;
  }

  async reconcile(component: string): Promise<WorkResult | undefined> {
    const state = this.states.get(component);
    if (!state) return undefined;
    this.o.stats.reconciles += 1;
    // Continue the trace the desired state travelled with.
    return withSpan(
      this.tracer,
      'agent.reconcile',
      { 'driftless.cluster': this.o.cluster, 'driftless.component': component, 'driftless.revision': state.update.revision },
      // The context is passed on explicitly: without an SDK there is no context manager to carry it.
      (span) => this.run(state, trace.setSpan(state.update.traceContext, span)),
      state.update.traceContext,
    );
  }

  private eventContext(state: ComponentState): EventContext {
    return { source: this.source, time: this.now(), ...currentTraceParent(state.traceContext) };
  }

  private async run(state: ComponentState, traceContext: Context): Promise<WorkResult | undefined> {
    state.traceContext = traceContext;
    const startedAt = performance.now();
    const out: DriftlessEvent[] = [];
    const log = this.o.log.child({ component: state.component, revision: state.update.revision });
    let base: { cluster: string; component: string; version: string; hash: string } = {
      cluster: this.o.cluster,
      component: state.component,
      version: state.loaded?.state.version ?? '',
      hash: state.loaded?.state.hash ?? EMPTY_STATE_HASH,
    };
    try {
      // Load the desired state; a value that cannot be used is not looked at again until it changes.
      if (state.invalidRevision === state.update.revision) return undefined;
      if (state.update.value === undefined) return await this.removeComponent(state, out, log);
      const desired = await this.loadDesired(state);
      base = { cluster: this.o.cluster, component: state.component, version: desired.state.version, hash: desired.state.hash };
      const options = desired.state.options;
      const pruneOptions: PruneOptions = { maxPruneShare: options.maxPruneShare, isNamespacePruneAllowed: options.isNamespacePruneAllowed };

      // Plan: what the cluster should hold, what it holds, what must be written.
      // Prepared once per revision; the parsed manifests are then dropped (memory: thousands of objects).
      desired.prepared ??= await this.prepare(state.component, desired.manifests);
      desired.manifests = [];
      const { prepared } = desired;
      this.o.live.setDesired(state.component, prepared);
      if (state.terminalHash === desired.state.hash) {
        // This revision failed terminally: report health, write nothing until a new revision arrives.
        await this.watchServedKinds(prepared);
        return this.assessHealth(state, prepared, base, out);
      }
      const inventory = await this.inventoryOf(state);
      // Objects applied before need their live state: from the watches (one list per kind, far
      // cheaper than reading each object, e.g. after a restart). Objects never applied do not, and
      // their kinds are watched once they exist, so a first apply is not slowed by its own events.
      const known = prepared.filter((p) => inventory.entries.get(p.key)?.hash !== undefined);
      if (known.length > 0) {
        await this.watchServedKinds(known);
        await this.o.live.waitForSync([...new Map(known.map((p) => [`${p.ref.apiVersion}/${p.ref.kind}`, p.ref])).values()], 5_000);
      }
      const { toApply, unchanged, drifted } = await this.planObjects(state, prepared, inventory, options.isDriftCorrectionEnabled);

      // Report drift before correcting it.
      for (const { prepared: p, drift } of drifted) this.reportDrift(state, p, drift, options.isDriftCorrectionEnabled, base, out);

      // Apply, in dependency order.
      // Only what the report needs is kept of each response: whether drift is gone.
      const applied = new Map<string, { isDriftFree: boolean }>();
      const failures: ObjectFailure[] = [];
      if (toApply.length > 0) {
        await this.ensureInventoryNamespace();
        const pending = withPending(inventory, prepared.map((p) => p.ref));
        if (!isSameInventory(pending, inventory)) await this.writeInventory(state, pending);
        await this.applyInOrder(toApply, prepared, applied, failures);
        await this.watchServedKinds(prepared);
      }
      for (const { prepared: p, reason } of toApply) {
        const result = applied.get(p.key);
        if (result?.isDriftFree && (reason === 'drift' || reason === 'missing')) this.reportCorrected(state, p, base, out);
      }

      // Prune what the inventory lists and the desired state no longer does.
      const entries = new Map<string, InventoryEntry>();
      for (const p of prepared) {
        const previous = inventory.entries.get(p.key)?.hash;
        const hash = applied.has(p.key) ? p.hash : previous;
        entries.set(p.key, hash === undefined ? { ref: p.ref } : { ref: p.ref, hash });
      }
      let pruned = 0;
      const isApplyComplete = failures.length === 0;
      if (isApplyComplete) {
        pruned = await this.prune(state, inventory, prepared, pruneOptions, entries, failures, base, out);
      } else {
        // Never prune after a failed apply; keep owning everything until a complete one.
        for (const [key, entry] of inventory.entries) if (!entries.has(key)) entries.set(key, entry);
      }

      // Record the outcome in the inventory (a no-op write is skipped). Objects found missing
      // suggest the cluster lost state (a restored or replaced API server): compare with the
      // inventory as it is there now, not as cached.
      if (toApply.some((t) => t.reason === 'missing')) delete state.inventory;
      const stored = await this.inventoryOf(state);
      const isComplete = failures.length === 0 && !state.reportedBlock;
      const next: Inventory = { component: state.component, entries, options: pruneOptions };
      const appliedRevision = isComplete ? { version: desired.state.version, hash: desired.state.hash } : inventory.applied;
      if (appliedRevision) next.applied = appliedRevision;
      const isNewRevision = inventory.applied?.hash !== desired.state.hash && isComplete;
      if (!isSameInventory(next, stored)) {
        await this.ensureInventoryNamespace();
        await this.writeInventory(state, next);
      }

      // Report.
      for (const failure of failures) out.push(this.failureEvent(state, failure, base));
      if (failures.length === 0 && (applied.size > 0 || pruned > 0 || isNewRevision)) {
        out.push(
          agentEvent(
            'driftless.agent.applied.v1',
            {
              ...base,
              ...(desired.state.commit.sha ? { commitSha: desired.state.commit.sha } : {}),
              objects: { applied: applied.size, unchanged, pruned },
              durationMs: Math.round(performance.now() - startedAt),
            },
            this.eventContext(state),
          ),
        );
        log.info({ applied: applied.size, unchanged, pruned, durationMs: Math.round(performance.now() - startedAt) }, 'applied');
      }
      const healthResult = this.assessHealth(state, prepared, base, out);
      return this.outcome(state, desired.state.hash, failures, healthResult, log);
    } catch (err) {
      // A failure of the component as a whole (desired state, discovery, inventory, API down).
      const decision = decisionFor(err);
      if (err instanceof InvalidDesiredStateError) state.invalidRevision = state.update.revision;
      out.push(this.failureEvent(state, { prepared: undefined, ref: isKubeFailure(err) ? err.ref : undefined, error: err, decision }, base));
      return this.outcome(state, base.hash, [{ prepared: undefined, ref: undefined, error: err, decision }], undefined, log);
    } finally {
      for (const event of out) this.o.events.publish(event);
    }
  }

  private outcome(state: ComponentState, hash: string, failures: readonly ObjectFailure[], healthResult: WorkResult | undefined, log: Logger): WorkResult | undefined {
    if (failures.length === 0) {
      state.attempt = 0;
      return healthResult;
    }
    this.o.stats.failures += failures.length;
    if (failures.some((f) => f.decision === Decision.terminal)) {
      state.terminalHash = hash;
      state.attempt = 0;
      log.warn({ reason: messageOf(failures.find((f) => f.decision === Decision.terminal)?.error) }, 'revision failed terminally; waiting for a new one');
      return healthResult;
    }
    state.attempt += 1;
    const isRetrySoon = failures.every((f) => f.decision === Decision.retry);
    const requeueAfterMs = isRetrySoon ? backoffDelayMs(1, { baseDelayMs: 200, maxDelayMs: 1_000 }) : backoffDelayMs(state.attempt, { maxDelayMs: this.o.maxBackoffMs });
    log.warn({ attempt: state.attempt, requeueAfterMs, reason: messageOf(failures[0]?.error) }, 'reconcile failed, retrying');
    return { requeueAfterMs };
  }

  private failureEvent(state: ComponentState, failure: ObjectFailure, base: { cluster: string; component: string; version: string; hash: string }): DriftlessEvent {
    const ref = failure.prepared?.ref ?? failure.ref;
    const statusCode = isKubeFailure(failure.error) ? failure.error.statusCode : undefined;
    return agentEvent(
      'driftless.agent.apply_failed.v1',
      {
        ...base,
        ...(ref ? { object: ref } : {}),
        ...(statusCode === undefined ? {} : { status: statusCode }),
        reason: messageOf(failure.error).slice(0, 2000) || 'unknown failure',
        isTerminal: failure.decision === Decision.terminal,
        attempt: state.attempt + 1,
      },
      this.eventContext(state),
    );
  }

  /** Parses (once per revision) and validates the desired state and its manifests. */
  private async loadDesired(state: ComponentState): Promise<LoadedDesired> {
    const { update } = state;
    if (state.loaded?.revision === update.revision) return state.loaded;
    if (update.value === undefined) throw new InvalidDesiredStateError('no desired state');
    const desiredState = decodeDesiredState(update.value, { cluster: this.o.cluster, component: state.component });
    const raw = 'inline' in desiredState.manifests ? desiredState.manifests.inline : await this.o.manifests.load(desiredState.manifests.objectStore, desiredState.manifests.name);
    let manifests: KubeObject[];
    try {
      manifests = validateManifests(raw);
    } catch (err) {
      throw new InvalidDesiredStateError(`manifests of ${state.component} ${desiredState.version}: ${messageOf(err)}`, { cause: err });
    }
    // Keep the parsed form only; the raw value can go (an empty value still means "present").
    state.loaded = { revision: update.revision, state: { ...desiredState, manifests: { inline: [] } }, manifests };
    state.update = { ...update, value: new Uint8Array(0) };
    // A new revision gets a fresh start: earlier terminal failures and blocks do not apply to it.
    if (state.terminalHash !== desiredState.hash) delete state.terminalHash;
    return state.loaded;
  }

  /** Resolves each kind's scope (discovery, or the CRD in the same component) and prepares the objects. */
  private async prepare(component: string, manifests: readonly KubeObject[]): Promise<PreparedObject[]> {
    const scopes = new Map<string, boolean>();
    const fromCrds = kindsDefinedBy(manifests);
    for (const { group, kind, versions, isNamespaced } of fromCrds) {
      for (const version of versions) scopes.set(`${group}/${version}/${kind}`, isNamespaced);
    }
    const kinds = new Map<string, { apiVersion: string; kind: string }>();
    for (const m of manifests) if (!scopes.has(`${m.apiVersion}/${m.kind}`)) kinds.set(`${m.apiVersion}/${m.kind}`, { apiVersion: m.apiVersion, kind: m.kind });
    await mapLimit([...kinds.entries()], 8, async ([id, { apiVersion, kind }]) => {
      const info = await this.o.kube.resource(apiVersion, kind);
      if (!info) {
        throw new KubeNotFoundError(`${apiVersion} ${kind} is not served by the cluster and no CustomResourceDefinition in ${component} defines it`, {
          statusCode: 404,
          reason: 'NotFound',
        });
      }
      scopes.set(id, info.isNamespaced);
    });
    return prepareObjects(manifests, { component, isNamespaced: (apiVersion, kind) => scopes.get(`${apiVersion}/${kind}`) });
  }

  private inventoryRef(component: string): ObjectRef {
    return { ...INVENTORY_KIND, namespace: this.o.inventoryNamespace, name: inventoryName(component) };
  }

  private async inventoryOf(state: ComponentState): Promise<Inventory> {
    if (state.inventory) return state.inventory;
    this.o.stats.reads += 1;
    const configMap = await this.o.kube.get(this.inventoryRef(state.component));
    // A corrupt inventory throws (terminal): reading it as empty would orphan everything it lists.
    state.inventory = configMap ? inventoryFromConfigMap(configMap, state.component) : emptyInventory(state.component);
    return state.inventory;
  }

  private async writeInventory(state: ComponentState, inventory: Inventory): Promise<void> {
    this.o.stats.writes += 1;
    try {
      await this.o.kube.apply(inventoryToConfigMap(inventory, this.o.inventoryNamespace));
    } catch (err) {
      if (!(err instanceof KubeNotFoundError)) throw err;
      // The namespace went away (deleted, or a fresh API server): create it and try once more.
      this.isNamespaceEnsured = false;
      await this.ensureInventoryNamespace();
      this.o.stats.writes += 1;
      await this.o.kube.apply(inventoryToConfigMap(inventory, this.o.inventoryNamespace));
    }
    state.inventory = inventory;
  }

  private async ensureInventoryNamespace(): Promise<void> {
    if (this.isNamespaceEnsured) return;
    this.o.stats.reads += 1;
    const existing = await this.o.kube.get({ apiVersion: 'v1', kind: 'Namespace', name: this.o.inventoryNamespace });
    if (!existing) {
      this.o.stats.writes += 1;
      await this.o.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.o.inventoryNamespace, labels: { 'app.kubernetes.io/part-of': 'driftless' } } });
    }
    this.isNamespaceEnsured = true;
  }

  /** Decides per object; reads live objects only where the watch cannot answer and the manifest is unchanged. */
  private async planObjects(
    state: ComponentState,
    prepared: readonly PreparedObject[],
    inventory: Inventory,
    isDriftCorrectionEnabled: boolean,
  ): Promise<{ toApply: { prepared: PreparedObject; reason: ApplyReason }[]; unchanged: number; drifted: { prepared: PreparedObject; drift: readonly DriftFinding[] }[] }> {
    const views = new Map<string, LiveView>();
    const toRead: PreparedObject[] = [];
    for (const p of prepared) {
      if (inventory.entries.get(p.key)?.hash !== p.hash) continue;
      const view = this.o.live.view(p);
      if (view) views.set(p.key, view);
      else toRead.push(p);
    }
    await mapLimit(toRead, this.o.applyConcurrency, async (p) => {
      this.o.stats.reads += 1;
      const live = await this.o.kube.get(p.ref);
      if (live) this.o.live.observe(live, { isQuiet: true });
      views.set(p.key, live ? (this.o.live.view(p) ?? { exists: true, drift: detectDrift(p.object, live) }) : { exists: false, drift: [] });
    });
    const toApply: { prepared: PreparedObject; reason: ApplyReason }[] = [];
    const drifted: { prepared: PreparedObject; drift: readonly DriftFinding[] }[] = [];
    let unchanged = 0;
    for (const p of prepared) {
      const view = views.get(p.key);
      const decision = decideObject({ desiredHash: p.hash, appliedHash: inventory.entries.get(p.key)?.hash, live: view, isDriftCorrectionEnabled });
      const isDrifted = view !== undefined && inventory.entries.get(p.key)?.hash === p.hash && (!view.exists || view.drift.length > 0);
      if (isDrifted) drifted.push({ prepared: p, drift: view.exists ? view.drift : [{ manager: 'unknown', fields: ['(object deleted)'] }] });
      // Drift that went away by itself (someone put it back) is reported again if it returns.
      else state.reportedDrift.delete(p.key);
      switch (decision.action) {
        case 'apply':
          toApply.push({ prepared: p, reason: decision.reason });
          break;
        case 'unchanged':
        case 'report-drift':
          unchanged += 1;
          break;
      }
    }
    return { toApply, unchanged, drifted };
  }

  private reportDrift(
    state: ComponentState,
    p: PreparedObject,
    drift: readonly DriftFinding[],
    isCorrectionEnabled: boolean,
    base: { cluster: string; component: string; version: string; hash: string },
    out: DriftlessEvent[],
  ): void {
    const signature = JSON.stringify(drift);
    if (state.reportedDrift.get(p.key) === signature) return;
    state.reportedDrift.set(p.key, signature);
    for (const finding of drift) {
      this.o.stats.driftDetected += 1;
      out.push(
        agentEvent(
          'driftless.agent.drift_detected.v1',
          { ...base, object: p.ref, fields: finding.fields, manager: finding.manager, isCorrectionEnabled },
          this.eventContext(state),
        ),
      );
      this.o.log.info({ component: state.component, object: describeRef(p.ref), manager: finding.manager, fields: finding.fields }, 'drift detected');
    }
  }

  private reportCorrected(state: ComponentState, p: PreparedObject, base: { cluster: string; component: string; version: string; hash: string }, out: DriftlessEvent[]): void {
    const reported = state.reportedDrift.get(p.key);
    if (reported === undefined) return;
    state.reportedDrift.delete(p.key);
    const fields = (JSON.parse(reported) as DriftFinding[]).flatMap((f) => f.fields);
    this.o.stats.driftCorrected += 1;
    out.push(agentEvent('driftless.agent.drift_corrected.v1', { ...base, object: p.ref, fields }, this.eventContext(state)));
    this.o.log.info({ component: state.component, object: describeRef(p.ref), fields }, 'drift corrected');
  }

  /**
   * Applies in waves of equal rank (CRDs, Namespaces, cluster-scoped, then namespaced kinds),
   * concurrently within a wave. A transient failure stops the later waves (they may depend on it);
   * a terminal one does not hold back objects that do not depend on it.
   */
  private async applyInOrder(
    toApply: readonly { prepared: PreparedObject }[],
    allPrepared: readonly PreparedObject[],
    applied: Map<string, { isDriftFree: boolean }>,
    failures: ObjectFailure[],
  ): Promise<void> {
    const crdKinds = kindsDefinedBy(allPrepared.map((p) => p.object));
    for (const wave of groupByRank(toApply.map((t) => t.prepared))) {
      // Custom resources wait until their kind is served.
      const kinds = new Map(wave.map((p) => [`${p.ref.apiVersion}/${p.ref.kind}`, p.ref] as const));
      for (const ref of kinds.values()) {
        const isFromCrd = crdKinds.some((k) => k.kind === ref.kind && ref.apiVersion.startsWith(`${k.group}/`));
        if (isFromCrd) await this.waitUntilServed(ref.apiVersion, ref.kind);
      }
      await mapLimit(wave, this.o.applyConcurrency, async (p) => {
        try {
          this.o.stats.writes += 1;
          const live = await this.o.kube.apply(p.object);
          this.o.stats.applied += 1;
          const summary = this.o.live.observe(live, { isQuiet: true });
          applied.set(p.key, { isDriftFree: (summary?.drift ?? detectDrift(p.object, live)).length === 0 });
        } catch (error) {
          failures.push({ prepared: p, ref: p.ref, error, decision: decisionFor(error) });
        }
      });
      if (failures.some((f) => f.decision !== Decision.terminal)) return;
    }
  }

  /** Watches every kind of the component that the server serves (new CRDs' kinds once they are). */
  private async watchServedKinds(prepared: readonly PreparedObject[]): Promise<void> {
    const kinds = new Map(prepared.map((p) => [`${p.ref.apiVersion}/${p.ref.kind}`, p.ref] as const));
    for (const ref of kinds.values()) {
      if (this.o.live.isWatching(ref.apiVersion, ref.kind)) continue;
      if (await this.o.kube.resource(ref.apiVersion, ref.kind)) this.o.live.watchKind(ref.apiVersion, ref.kind);
    }
  }

  private async waitUntilServed(apiVersion: string, kind: string): Promise<void> {
    const deadline = Date.now() + this.o.crdWaitTimeoutMs;
    let delayMs = 100;
    for (;;) {
      if (await this.o.kube.resource(apiVersion, kind)) return;
      if (Date.now() > deadline) {
        throw new KubeUnavailableError(`${apiVersion} ${kind} was not served ${this.o.crdWaitTimeoutMs} ms after its CustomResourceDefinition was applied`, {
          statusCode: 404,
          reason: 'NotFound',
        });
      }
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 1_000);
    }
  }

  /** Prunes behind the brake; returns how many objects were deleted. Failed deletes stay in `entries`. */
  private async prune(
    state: ComponentState,
    inventory: Inventory,
    prepared: readonly PreparedObject[],
    options: PruneOptions,
    entries: Map<string, InventoryEntry>,
    failures: ObjectFailure[],
    base: { cluster: string; component: string; version: string; hash: string },
    out: DriftlessEvent[],
  ): Promise<number> {
    const plan = planPrune(inventory, new Set(prepared.map((p) => p.key)), options);
    if (plan.kind === 'blocked') {
      for (const ref of plan.wouldDelete) {
        const previous = inventory.entries.get(refKey(ref));
        if (previous) entries.set(refKey(ref), previous);
      }
      const signature = `${base.hash}:${plan.wouldDelete.length}`;
      if (state.reportedBlock !== signature) {
        state.reportedBlock = signature;
        out.push(agentEvent('driftless.agent.prune_blocked.v1', { ...base, wouldDelete: plan.wouldDelete.slice(0, 1000), totalObjects: plan.totalObjects, reason: plan.reason }, this.eventContext(state)));
        this.o.log.warn({ component: state.component, wouldDelete: plan.wouldDelete.length, reason: plan.reason }, 'prune blocked');
      }
      return 0;
    }
    delete state.reportedBlock;
    return this.deleteAll(plan.toDelete, entries, inventory, failures);
  }

  private async deleteAll(refs: readonly ObjectRef[], entries: Map<string, InventoryEntry>, inventory: Inventory, failures: ObjectFailure[]): Promise<number> {
    let pruned = 0;
    // In reverse dependency order, wave by wave.
    const byRank = new Map<number, ObjectRef[]>();
    for (const ref of refs) byRank.set(applyRank(ref), [...(byRank.get(applyRank(ref)) ?? []), ref]);
    for (const [, wave] of [...byRank.entries()].sort(([a], [b]) => b - a)) {
      await mapLimit(wave, this.o.applyConcurrency, async (ref) => {
        const key = refKey(ref);
        try {
          this.o.stats.writes += 1;
          await this.o.kube.delete(ref);
          pruned += 1;
          this.o.stats.pruned += 1;
          this.o.live.forget(key, { isQuiet: true });
        } catch (error) {
          // A delete that failed stays in the inventory, to be retried.
          const previous = inventory.entries.get(key);
          entries.set(key, previous ?? { ref });
          failures.push({ prepared: undefined, ref, error, decision: decisionFor(error) });
        }
      });
    }
    return pruned;
  }

  /** The component was removed from the desired state: prune everything it owned, behind the same brake. */
  private async removeComponent(state: ComponentState, out: DriftlessEvent[], log: Logger): Promise<WorkResult | undefined> {
    const startedAt = performance.now();
    const inventory = await this.inventoryOf(state);
    const base = { cluster: this.o.cluster, component: state.component, version: '', hash: EMPTY_STATE_HASH };
    this.o.live.clearDesired(state.component);
    if (inventory.entries.size > 0) {
      const options = inventory.options ?? DEFAULT_PRUNE_OPTIONS;
      const entries = new Map<string, InventoryEntry>();
      const failures: ObjectFailure[] = [];
      const pruned = await this.prune(state, inventory, [], options, entries, failures, base, out);
      if (state.reportedBlock) return undefined;
      if (entries.size > 0 || failures.length > 0) {
        const next: Inventory = { component: state.component, entries, ...(inventory.options ? { options: inventory.options } : {}) };
        if (inventory.applied) next.applied = inventory.applied;
        await this.writeInventory(state, next);
        for (const failure of failures) out.push(this.failureEvent(state, failure, base));
        return this.outcome(state, base.hash, failures, undefined, log);
      }
      out.push(agentEvent('driftless.agent.applied.v1', { ...base, objects: { applied: 0, unchanged: 0, pruned }, durationMs: Math.round(performance.now() - startedAt) }, this.eventContext(state)));
      log.info({ pruned }, 'component removed');
    }
    // Nothing left: drop the inventory and forget the component.
    this.o.stats.writes += 1;
    await this.o.kube.delete(this.inventoryRef(state.component));
    this.states.delete(state.component);
    return undefined;
  }

  private assessHealth(state: ComponentState, prepared: readonly PreparedObject[], base: { cluster: string; component: string; version: string; hash: string }, out: DriftlessEvent[]): WorkResult | undefined {
    const items = prepared.map((p) => ({ label: describeRef(p.ref), status: this.o.live.health(p) ?? { health: Health.Unknown } }));
    const folded = foldHealth(items);
    if (folded.health !== state.health) {
      out.push(
        agentEvent(
          'driftless.agent.health_changed.v1',
          { ...base, from: state.health ?? null, to: folded.health, ...(folded.message === undefined ? {} : { message: folded.message.slice(0, 1000) }) },
          this.eventContext(state),
        ),
      );
      this.o.log.info({ component: state.component, from: state.health ?? null, to: folded.health, reason: folded.message }, 'health changed');
      state.health = folded.health;
    }
    return folded.health === Health.Progressing || folded.health === Health.Unknown ? { requeueAfterMs: this.o.healthRecheckMs ?? 5_000 } : undefined;
  }
}

/** Parses manifests from an object store blob: a JSON array, or YAML documents. */
export function parseManifestBlob(bytes: Uint8Array): unknown[] {
  const text = new TextDecoder().decode(bytes);
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    const value = JSON.parse(trimmed) as unknown;
    if (!Array.isArray(value)) throw new InvalidDesiredStateError('manifest blob is not a list');
    return value as unknown[];
  }
  return parseAllDocuments(text)
    .map((d) => d.toJS({ maxAliasCount: 100 }) as unknown)
    .filter((v) => v !== null && v !== undefined);
}

