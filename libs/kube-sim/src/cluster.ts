/**
 * One simulated cluster without its transport: the API semantics, the simulated controllers,
 * its tokens, injected faults and request statistics, plus direct programmatic access for
 * tests (read, write and delete objects without going through HTTP).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChangeNotice, WriteOptions } from './core/api.js';
import { KubeApi, PatchType } from './core/api.js';
import type { KubeObject } from './core/json.js';
import { getIn, str } from './core/json.js';
import type { ResourceType } from './core/resources.js';
import { ApiError, StatusReason } from './core/status.js';
import { WorkloadController } from './controller.js';
import type { ResolvedOptions } from './options.js';

export const Role = { Admin: 'admin', ReadOnly: 'readOnly' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Tokens {
  admin: string;
  readOnly: string;
}

export interface FaultSpec {
  /** Only requests with this HTTP method (e.g. "PATCH"). */
  method?: string;
  /** Only request paths containing this string or matching this pattern. */
  path?: string | RegExp;
  /** Status code answered (default 500); ignored when the connection is dropped. */
  status?: number;
  reason?: string;
  message?: string;
  /** How many matching requests fail (default 1; Infinity until removed). */
  times?: number;
  /** Destroy the connection instead of answering. */
  isConnectionDropped?: boolean;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  contentType: string | undefined;
  accept: string | undefined;
  userAgent: string | undefined;
  body: string | undefined;
  status: number;
}

export interface SimStats {
  requests: number;
  byMethod: Record<string, number>;
  /** Stored changes (creates, updates, deletes), including those of the simulated controllers. */
  writes: number;
  openWatches: number;
}

const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function randomSuffix(): string {
  const bytes = randomBytes(5);
  let out = '';
  for (const b of bytes) out += NAME_ALPHABET[b % NAME_ALPHABET.length];
  return out;
}

const REASON_BY_CODE: Readonly<Record<number, StatusReason>> = {
  400: StatusReason.BadRequest,
  401: StatusReason.Unauthorized,
  403: StatusReason.Forbidden,
  404: StatusReason.NotFound,
  409: StatusReason.Conflict,
  410: StatusReason.Expired,
  422: StatusReason.Invalid,
  429: StatusReason.TooManyRequests,
  500: StatusReason.InternalError,
  503: StatusReason.ServiceUnavailable,
  504: StatusReason.Timeout,
};

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

export class SimCluster {
  readonly api: KubeApi;
  readonly controller: WorkloadController;
  private readonly faults = new Set<ActiveFault>();
  private readonly requestListeners = new Set<(r: RequestRecord) => void>();
  private readonly counters = { requests: 0, byMethod: {} as Record<string, number>, openWatches: 0 };
  latencyMs: number;

  constructor(
    readonly options: ResolvedOptions,
    readonly tokens: Tokens,
  ) {
    this.latencyMs = options.latencyMs;
    this.api = new KubeApi({ now: () => new Date(), uid: () => randomUUID(), nameSuffix: randomSuffix }, { eventLogSize: options.eventLogSize });
    this.controller = new WorkloadController(this.api, {
      delayMs: options.controllerDelayMs,
      brokenImageMarker: options.brokenImageMarker,
      nodeCount: options.nodeCount,
      now: () => new Date(),
    });
    if (options.isControllerEnabled) this.controller.start();
  }

  get name(): string {
    return this.options.name;
  }

  roleOf(token: string | undefined): Role | undefined {
    if (token === undefined) return undefined;
    if (token === this.tokens.admin) return Role.Admin;
    if (token === this.tokens.readOnly) return Role.ReadOnly;
    return undefined;
  }

  // ---- faults and statistics ----

  /** Makes matching requests fail; returns a function that removes the fault. */
  injectFault(spec: FaultSpec): () => void {
    const fault: ActiveFault = { spec, remaining: spec.times ?? 1 };
    this.faults.add(fault);
    return () => {
      this.faults.delete(fault);
    };
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The fault (if any) that takes this request, counting it down. */
  takeFault(method: string, path: string): FaultSpec | undefined {
    for (const f of this.faults) {
      if (f.spec.method !== undefined && f.spec.method.toUpperCase() !== method) continue;
      const p = f.spec.path;
      if (p !== undefined && (typeof p === 'string' ? !path.includes(p) : !p.test(path))) continue;
      f.remaining--;
      if (f.remaining <= 0) this.faults.delete(f);
      return f.spec;
    }
    return undefined;
  }

  static faultError(spec: FaultSpec): ApiError {
    const status = spec.status ?? 500;
    return new ApiError(status, (spec.reason as StatusReason | undefined) ?? REASON_BY_CODE[status] ?? StatusReason.InternalError, spec.message ?? `injected fault (${status})`);
  }

  onRequest(listener: (r: RequestRecord) => void): () => void {
    this.requestListeners.add(listener);
    return () => {
      this.requestListeners.delete(listener);
    };
  }

  /** Whether anyone listens to requests (bodies are only kept for them). */
  get isRecordingRequests(): boolean {
    return this.requestListeners.size > 0;
  }

  recordRequest(r: RequestRecord): void {
    this.counters.requests++;
    this.counters.byMethod[r.method] = (this.counters.byMethod[r.method] ?? 0) + 1;
    for (const l of [...this.requestListeners]) l(r);
  }

  watchOpened(): void {
    this.counters.openWatches++;
  }

  watchClosed(): void {
    this.counters.openWatches--;
  }

  stats(): SimStats {
    return { requests: this.counters.requests, byMethod: { ...this.counters.byMethod }, writes: this.api.writeCount, openWatches: this.counters.openWatches };
  }

  /** Forgets watch history, so any older resourceVersion now answers 410 Gone. */
  compactWatchHistory(): void {
    this.api.store.compact();
  }

  get resourceVersion(): number {
    return this.api.store.resourceVersion;
  }

  onChange(listener: (notice: ChangeNotice) => void): () => void {
    return this.api.onChange(listener);
  }

  /**
   * Resolves once the simulated controllers have nothing left to do soon (no status or
   * ReplicaSet write pending), so a test can assert "no further writes" without sleeping.
   */
  async whenSettled({ timeoutMs = 10_000 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.controller.pendingCount > 0) {
      if (Date.now() > deadline) throw new Error(`kube-sim ${this.name}: controllers still busy after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(5, Math.min(50, this.options.controllerDelayMs))));
    }
  }

  setControllerEnabled(isEnabled: boolean): void {
    if (isEnabled) this.controller.start();
    else this.controller.stop();
  }

  // ---- programmatic access ----

  private typeOf(apiVersion: string, kind: string): ResourceType {
    const rt = this.api.registry.lookupKind(apiVersion, kind);
    if (!rt) throw new ApiError(404, StatusReason.NotFound, `no matches for kind "${kind}" in version "${apiVersion}"`);
    return rt;
  }

  /** The object, or undefined when it does not exist. */
  get(apiVersion: string, kind: string, namespace: string, name: string): KubeObject | undefined {
    const rt = this.typeOf(apiVersion, kind);
    try {
      return this.api.get({ rt, namespace, name, subresource: '' });
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const rt = this.typeOf(apiVersion, kind);
    const list = this.api.list(rt, namespace, { selector: { labels: [], fields: [] } });
    return (list['items'] as KubeObject[] | undefined) ?? [];
  }

  /** Server-side applies `obj` as `fieldManager` (forcing conflicts), as a tool changing the cluster would. */
  apply(obj: KubeObject, fieldManager: string, opts: { isForce?: boolean } = {}): KubeObject {
    const apiVersion = str(obj['apiVersion']) ?? '';
    const kind = str(obj['kind']) ?? '';
    const rt = this.typeOf(apiVersion, kind);
    const name = str(getIn(obj, ['metadata', 'name'])) ?? '';
    const namespace = rt.isNamespaced ? (str(getIn(obj, ['metadata', 'namespace'])) ?? 'default') : '';
    const wo: WriteOptions = { isDryRun: false, fieldManager, isForce: opts.isForce ?? true, userAgent: fieldManager };
    return this.api.patch({ rt, namespace, name, subresource: '' }, PatchType.Apply, obj, wo).object;
  }

  /** A JSON merge patch by `fieldManager` (an Update in managedFields), e.g. to simulate drift. */
  mergePatch(apiVersion: string, kind: string, namespace: string, name: string, patch: KubeObject, fieldManager: string): KubeObject {
    const rt = this.typeOf(apiVersion, kind);
    const wo: WriteOptions = { isDryRun: false, fieldManager, isForce: false, userAgent: fieldManager };
    return this.api.patch({ rt, namespace: rt.isNamespaced ? namespace : '', name, subresource: '' }, PatchType.Merge, patch, wo).object;
  }

  delete(apiVersion: string, kind: string, namespace: string, name: string): void {
    const rt = this.typeOf(apiVersion, kind);
    this.api.delete({ rt, namespace: rt.isNamespaced ? namespace : '', name, subresource: '' }, { isDryRun: false });
  }

  stop(): void {
    this.controller.stop();
    this.faults.clear();
    this.requestListeners.clear();
  }
}
