/**
 * The simulated workload controllers of one cluster: after a short delay they write the status
 * a healthy rollout would reach (or a stuck one, for images carrying the broken marker), as
 * `kube-controller-manager` through the status subresource, like the real controllers.
 */
import type { ChangeNotice, KubeApi, Target, WriteOptions } from './core/api.js';
import { PatchType } from './core/api.js';
import type { JsonObject, KubeObject } from './core/json.js';
import { deepEqual, getIn, isObject, nameOf, namespaceOf, num, str } from './core/json.js';
import type { ResourceType } from './core/resources.js';
import { resourceKey } from './core/resources.js';
import { WatchEventType } from './core/store.js';
import { REVISION_ANNOTATION, isControlledBy, isSimulatedWorkload, replicaSetFor, revisionOf, simulateWorkload } from './core/workloads.js';
import type { SimulationOptions } from './core/workloads.js';

export const CONTROLLER_MANAGER = 'kube-controller-manager';

export interface ControllerOptions extends SimulationOptions {
  delayMs: number;
  now(): Date;
}

export class WorkloadController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly deadlineKeys = new Set<string>();
  /** When the current generation of each workload (by uid) started rolling out. */
  private readonly rolloutStart = new Map<string, { generation: number; sinceMs: number }>();
  private unsubscribe: (() => void) | undefined;
  /** Status writes that failed (for tests to assert there were none). */
  failures = 0;
  lastFailure: unknown;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: ControllerOptions,
  ) {}

  start(): void {
    this.unsubscribe ??= this.api.onChange((n) => this.onChange(n));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.deadlineKeys.clear();
  }

  get isRunning(): boolean {
    return this.unsubscribe !== undefined;
  }

  private key(rt: ResourceType, obj: KubeObject): string {
    return `${resourceKey(rt)}/${namespaceOf(obj)}/${nameOf(obj)}`;
  }

  private sinceMs(obj: KubeObject): number {
    const uid = str(getIn(obj, ['metadata', 'uid'])) ?? '';
    const generation = num(getIn(obj, ['metadata', 'generation'])) ?? 0;
    const seen = this.rolloutStart.get(uid);
    if (seen && seen.generation === generation) return seen.sinceMs;
    const sinceMs = this.opts.now().getTime();
    this.rolloutStart.set(uid, { generation, sinceMs });
    return sinceMs;
  }

  private onChange({ rt, type, object }: ChangeNotice): void {
    if (!isSimulatedWorkload(rt)) return;
    const key = this.key(rt, object);
    if (type === WatchEventType.Deleted) {
      const t = this.timers.get(key);
      if (t) clearTimeout(t);
      this.timers.delete(key);
      this.deadlineKeys.delete(key);
      this.rolloutStart.delete(str(getIn(object, ['metadata', 'uid'])) ?? '');
      return;
    }
    const sim = simulateWorkload(rt, object, this.opts.now(), this.sinceMs(object), this.opts);
    if (sim && !deepEqual(object['status'], sim.status)) this.schedule(rt, object, this.opts.delayMs);
  }

  /** Reconciles due within the normal controller delay (progress-deadline rechecks do not count). */
  get pendingCount(): number {
    let n = 0;
    for (const key of this.timers.keys()) if (!this.deadlineKeys.has(key)) n++;
    return n;
  }

  private schedule(rt: ResourceType, obj: KubeObject, delayMs: number, isDeadline = false): void {
    const key = this.key(rt, obj);
    const existing = this.timers.get(key);
    if (existing) {
      // A normal reconcile replaces a far-off deadline recheck (it will schedule its own again).
      if (isDeadline || !this.deadlineKeys.has(key)) return;
      clearTimeout(existing);
    }
    if (isDeadline) this.deadlineKeys.add(key);
    else this.deadlineKeys.delete(key);
    const ns = namespaceOf(obj);
    const name = nameOf(obj);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.deadlineKeys.delete(key);
      this.reconcile(rt, ns, name);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
  }

  /**
   * Keeps one ReplicaSet per pod template, as the Deployment controller does: the current one
   * scaled to the Deployment's replicas, older ones scaled to zero, revisions annotated.
   */
  private syncReplicaSets(deploy: KubeObject): void {
    const rsType = this.api.mustLookup('apps', 'v1', 'replicasets');
    const ns = namespaceOf(deploy);
    const uid = str(getIn(deploy, ['metadata', 'uid'])) ?? '';
    const list = this.api.list(rsType, ns, { selector: { labels: [], fields: [] } });
    const owned = ((list['items'] ?? []) as KubeObject[]).filter((rs) => isControlledBy(rs, uid));
    const maxRevision = owned.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
    const wantedName = nameOf(replicaSetFor(deploy, 0));
    const current = owned.find((rs) => nameOf(rs) === wantedName);
    const revision = current && revisionOf(current) === maxRevision && maxRevision > 0 ? maxRevision : maxRevision + 1;
    const desired = replicaSetFor(deploy, revision);
    const wo: WriteOptions = { isDryRun: false, fieldManager: CONTROLLER_MANAGER, isForce: true, userAgent: CONTROLLER_MANAGER };
    const target = (rsName: string): Target => ({ rt: rsType, namespace: ns, name: rsName, subresource: '' });
    if (!current) {
      this.api.create(target(wantedName), desired, wo);
    } else {
      const patch: JsonObject = { metadata: { annotations: getIn(desired, ['metadata', 'annotations']) ?? {} }, spec: { replicas: getIn(desired, ['spec', 'replicas']) ?? 1 } };
      this.api.patch(target(wantedName), PatchType.Merge, patch, wo);
    }
    for (const old of owned) {
      if (nameOf(old) !== wantedName && num(getIn(old, ['spec', 'replicas'])) !== 0) this.api.patch(target(nameOf(old)), PatchType.Merge, { spec: { replicas: 0 } }, wo);
    }
    const annotations = getIn(deploy, ['metadata', 'annotations']);
    if (!isObject(annotations) || annotations[REVISION_ANNOTATION] !== String(revision)) {
      this.api.patch({ rt: this.api.mustLookup('apps', 'v1', 'deployments'), namespace: ns, name: nameOf(deploy), subresource: '' }, PatchType.Merge, { metadata: { annotations: { [REVISION_ANNOTATION]: String(revision) } } }, wo);
    }
  }

  private reconcile(rt: ResourceType, namespace: string, name: string): void {
    let obj: KubeObject;
    try {
      obj = this.api.get({ rt, namespace, name, subresource: '' });
    } catch {
      return;
    }
    const sim = simulateWorkload(rt, obj, this.opts.now(), this.sinceMs(obj), this.opts);
    if (!sim) return;
    try {
      if (rt.group === 'apps' && rt.kind === 'Deployment' && getIn(obj, ['spec', 'paused']) !== true) this.syncReplicaSets(obj);
      this.api.writeStatus(rt, namespace, name, sim.status, CONTROLLER_MANAGER);
    } catch (err) {
      // A timer callback must never throw: the simulated controller just gives up on this object.
      this.failures++;
      this.lastFailure = err;
      return;
    }
    if (sim.recheckAfterMs !== undefined) this.schedule(rt, obj, Math.max(1, sim.recheckAfterMs), true);
  }
}
