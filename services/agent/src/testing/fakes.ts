/**
 * In-memory fakes of the agent's ports for fast unit tests: a KubeClient that applies by
 * replacing (recording a `driftless` managedFields entry), a desired-state source fed by hand,
 * and an event sink that keeps what it is given.
 */
import { ROOT_CONTEXT } from '@opentelemetry/api';
import type { DriftlessEvent, ObjectRef } from '@driftless/contracts';
import {
  groupOf,
  kubeError,
  objectKey,
  ownedPart,
  refKey,
  type FieldSet,
  type KubeClient,
  type KubeObject,
  type ObjectList,
  type ResourceInfo,
  type WatchEventType,
} from '@driftless/kube';
import type { DesiredStateSource, DesiredUpdate, EventSink, ManifestStore } from '../ports.js';

function fieldSetOf(value: unknown): FieldSet {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const set: FieldSet = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) set[`f:${k}`] = fieldSetOf(v);
  return set;
}

function subtract(from: FieldSet, taken: FieldSet): FieldSet {
  const out: FieldSet = { ...from };
  for (const [member, sub] of Object.entries(taken)) {
    const mine = out[member];
    if (!mine) continue;
    if (Object.keys(sub).length === 0) delete out[member];
    else {
      const rest = subtract(mine, sub);
      // An emptied map keeps only itself ('.'); an empty set would mean "owns it all".
      out[member] = Object.keys(rest).length === 0 ? { '.': {} } : rest;
    }
  }
  return out;
}

const BUILT_IN: Record<string, { plural: string; isNamespaced: boolean }> = {
  'v1/ConfigMap': { plural: 'configmaps', isNamespaced: true },
  'v1/Secret': { plural: 'secrets', isNamespaced: true },
  'v1/Namespace': { plural: 'namespaces', isNamespaced: false },
  'v1/Service': { plural: 'services', isNamespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', isNamespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', isNamespaced: false },
};

export class FakeKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>();
  readonly calls: string[] = [];
  writes = 0;
  private rv = 0;
  /** Return an error to make a call fail. */
  failWith: ((verb: 'apply' | 'delete' | 'get', ref: ObjectRef) => Error | undefined) | undefined;
  /** Delay before a new CRD's kind is served. */
  crdServeDelayMs = 50;
  private readonly servedCrds = new Map<string, { plural: string; isNamespaced: boolean }>();

  private check(verb: 'apply' | 'delete' | 'get', ref: ObjectRef): void {
    const err = this.failWith?.(verb, ref);
    if (err) throw err;
  }

  apply(object: KubeObject): Promise<KubeObject> {
    const ref = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) };
    this.calls.push(`apply ${object.kind}/${object.metadata.name}`);
    this.check('apply', ref);
    this.writes += 1;
    this.rv += 1;
    const stored: KubeObject = structuredClone({
      ...object,
      metadata: {
        ...object.metadata,
        resourceVersion: String(this.rv),
        managedFields: [{ manager: 'driftless', operation: 'Apply', apiVersion: object.apiVersion, fieldsType: 'FieldsV1', fieldsV1: fieldSetOf(ownedPart(object)) }],
      },
    });
    const isNew = !this.objects.has(objectKey(stored));
    this.objects.set(objectKey(stored), stored);
    this.emit(isNew ? 'ADDED' : 'MODIFIED', stored);
    if (object.kind === 'CustomResourceDefinition') {
      const spec = object['spec'] as { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string }[] };
      setTimeout(() => {
        for (const v of spec.versions) this.servedCrds.set(`${spec.group}/${v.name}/${spec.names.kind}`, { plural: spec.names.plural, isNamespaced: spec.scope !== 'Cluster' });
      }, this.crdServeDelayMs);
    }
    return Promise.resolve(structuredClone(stored));
  }

  get(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.check('get', ref);
    const found = this.objects.get(refKey(ref));
    return Promise.resolve(found ? structuredClone(found) : undefined);
  }

  delete(ref: ObjectRef): Promise<'deleted' | 'absent'> {
    this.calls.push(`delete ${ref.kind}/${ref.name}`);
    this.check('delete', ref);
    this.writes += 1;
    const existing = this.objects.get(refKey(ref));
    if (!existing) return Promise.resolve('absent');
    this.objects.delete(refKey(ref));
    this.emit('DELETED', existing);
    return Promise.resolve('deleted');
  }

  list(apiVersion: string, kind: string, options: { labelSelector?: string } = {}): Promise<ObjectList> {
    const [labelKey, labelValue] = (options.labelSelector ?? '=').split('=');
    const items = [...this.objects.values()].filter(
      (o) => groupOf(o.apiVersion) === groupOf(apiVersion) && o.kind === kind && (!labelKey || o.metadata.labels?.[labelKey] === labelValue),
    );
    return Promise.resolve({ items: structuredClone(items), resourceVersion: String(this.rv) });
  }

  private readonly watchers = new Set<{ group: string; kind: string; onEvent: (type: WatchEventType, object: KubeObject) => void }>();

  watch(apiVersion: string, kind: string, _options: unknown, onEvent: (type: WatchEventType, object: KubeObject) => void, signal: AbortSignal): Promise<void> {
    const watcher = { group: groupOf(apiVersion), kind, onEvent };
    if (signal.aborted) return Promise.resolve();
    this.watchers.add(watcher);
    return new Promise((resolve) =>
      signal.addEventListener('abort', () => {
        this.watchers.delete(watcher);
        resolve();
      }, { once: true }),
    );
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    if (object.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'driftless') return;
    for (const w of this.watchers) if (w.group === groupOf(object.apiVersion) && w.kind === object.kind) w.onEvent(type, structuredClone(object));
  }

  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const known = BUILT_IN[`${apiVersion}/${kind}`] ?? this.servedCrds.get(`${apiVersion}/${kind}`);
    return Promise.resolve(known ? { apiVersion, kind, ...known } : undefined);
  }

  /** Simulates another writer changing an object (its own managedFields entry takes the fields). */
  tamper(ref: ObjectRef, change: (o: KubeObject) => void, manager: string, fields: FieldSet): void {
    const object = this.objects.get(refKey(ref));
    if (!object) throw new Error('no such object');
    const ours = subtract(fieldSetOf(ownedPart(object)), fields);
    change(object);
    this.rv += 1;
    object.metadata.resourceVersion = String(this.rv);
    object.metadata.managedFields = [
      { manager: 'driftless', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: ours },
      { manager, operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: fields, time: new Date().toISOString() },
    ];
    this.emit('MODIFIED', object);
  }
}

export const httpError = (statusCode: number, reason: string) => kubeError(`fake ${statusCode} ${reason}`, { statusCode, reason });

export class FakeSource implements DesiredStateSource {
  private onUpdate: ((update: DesiredUpdate) => void) | undefined;
  private revision = 0;
  connected = true;

  run(onUpdate: (update: DesiredUpdate) => void, onSynced: () => void, signal: AbortSignal): Promise<void> {
    this.onUpdate = onUpdate;
    onSynced();
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  isConnected(): boolean {
    return this.connected;
  }

  put(component: string, value: unknown): void {
    this.revision += 1;
    this.onUpdate?.({ component, revision: this.revision, value: new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value)), traceContext: ROOT_CONTEXT });
  }

  remove(component: string): void {
    this.revision += 1;
    this.onUpdate?.({ component, revision: this.revision, value: undefined, traceContext: ROOT_CONTEXT });
  }
}

export class FakeEvents implements EventSink {
  readonly events: DriftlessEvent[] = [];
  publish(event: DriftlessEvent): void {
    this.events.push(event);
  }
  publishVolatile(event: DriftlessEvent): void {
    this.events.push(event);
  }
  pending(): number {
    return 0;
  }
  ofType<T extends DriftlessEvent['type']>(type: T): Extract<DriftlessEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<DriftlessEvent, { type: T }> => e.type === type);
  }
}

export class FakeManifests implements ManifestStore {
  readonly blobs = new Map<string, unknown[]>();
  load(store: string, name: string): Promise<unknown[]> {
    const blob = this.blobs.get(`${store}/${name}`);
    return blob ? Promise.resolve(blob) : Promise.reject(new Error(`no blob ${store}/${name}`));
  }
}
