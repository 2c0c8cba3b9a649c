/**
 * The simulated workload controllers of one cluster: after a short delay they write the status
 * a healthy rollout would reach (or a stuck one, for images carrying the broken marker), as
 * `kube-controller-manager` through the status subresource, like the real controllers.
 */
import type { ChangeNotice, KubeApi } from './core/api.js';
import type { KubeObject } from './core/json.js';
import { deepEqual, getIn, nameOf, namespaceOf, num, str } from './core/json.js';
import type { ResourceType } from './core/resources.js';
import { resourceKey } from './core/resources.js';
import { WatchEventType } from './core/store.js';
import { isSimulatedWorkload, simulateWorkload } from './core/workloads.js';
import type { SimulationOptions } from './core/workloads.js';

export const CONTROLLER_MANAGER = 'kube-controller-manager';

export interface ControllerOptions extends SimulationOptions {
  delayMs: number;
  now(): Date;
}

export class WorkloadController {
  private readonly timers = new Map<string, NodeJS.Timeout>();
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
      this.rolloutStart.delete(str(getIn(object, ['metadata', 'uid'])) ?? '');
      return;
    }
    const sim = simulateWorkload(rt, object, this.opts.now(), this.sinceMs(object), this.opts);
    if (sim && !deepEqual(object['status'], sim.status)) this.schedule(rt, object, this.opts.delayMs);
  }

  private schedule(rt: ResourceType, obj: KubeObject, delayMs: number): void {
    const key = this.key(rt, obj);
    if (this.timers.has(key)) return;
    const ns = namespaceOf(obj);
    const name = nameOf(obj);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.reconcile(rt, ns, name);
    }, delayMs);
    timer.unref();
    this.timers.set(key, timer);
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
      this.api.writeStatus(rt, namespace, name, sim.status, CONTROLLER_MANAGER);
    } catch (err) {
      // A timer callback must never throw: the simulated controller just gives up on this object.
      this.failures++;
      this.lastFailure = err;
      return;
    }
    if (sim.recheckAfterMs !== undefined) this.schedule(rt, obj, Math.max(1, sim.recheckAfterMs));
  }
}
