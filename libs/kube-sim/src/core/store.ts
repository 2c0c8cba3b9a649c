/**
 * The object store of one simulated cluster: objects per resource and namespace, a single
 * resourceVersion counter (like etcd's revision), and per resource a bounded log of recent
 * events from which watches resume. Stored objects are never mutated; every write stores a
 * new object.
 */
import type { KubeObject } from './json.js';
import { getIn, isObject, meta, nameOf, namespaceOf } from './json.js';

export const WatchEventType = {
  Added: 'ADDED',
  Modified: 'MODIFIED',
  Deleted: 'DELETED',
  Bookmark: 'BOOKMARK',
  Error: 'ERROR',
} as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

export type ChangeType = typeof WatchEventType.Added | typeof WatchEventType.Modified | typeof WatchEventType.Deleted;

export interface StoredEvent {
  type: ChangeType;
  object: KubeObject;
  /** The object before a MODIFIED change, so a selector watch can turn it into ADDED or DELETED. */
  previous: KubeObject | undefined;
  resourceVersion: number;
}

export type EventListener = (event: StoredEvent) => void;

/** Asked to resume a watch from a resourceVersion the log no longer holds. */
export class ResourceVersionTooOldError extends Error {
  override readonly name: string = 'ResourceVersionTooOldError';
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

class ResourceBucket {
  readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  readonly log: StoredEvent[] = [];
  /** Events with a resourceVersion at or below this may have been dropped from the log. */
  logFloor = 0;
  readonly listeners = new Set<EventListener>();
  size = 0;
}

export interface ObjectStoreOptions {
  /** Events kept per resource for watches to resume from. */
  eventLogSize: number;
  initialResourceVersion?: number;
}

export interface ObjectRef {
  key: string;
  namespace: string;
  name: string;
}

function ownerUids(obj: KubeObject): string[] {
  const refs = getIn(obj, ['metadata', 'ownerReferences']);
  if (!Array.isArray(refs)) return [];
  return refs.flatMap((r) => (isObject(r) && typeof r['uid'] === 'string' ? [r['uid']] : []));
}

export class ObjectStore {
  private rv: number;
  private readonly buckets = new Map<string, ResourceBucket>();
  /** owner uid → dependents, so garbage collection never scans every object. */
  private readonly dependents = new Map<string, Map<string, ObjectRef>>();

  constructor(private readonly opts: ObjectStoreOptions) {
    this.rv = opts.initialResourceVersion ?? 1;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(key: string): ResourceBucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new ResourceBucket();
      this.buckets.set(key, b);
    }
    return b;
  }

  get(key: string, namespace: string, name: string): KubeObject | undefined {
    return this.buckets.get(key)?.byNamespace.get(namespace)?.get(name);
  }

  /** Objects of one resource, in one namespace or all, ordered by namespace then name (etcd key order). */
  list(key: string, namespace?: string): KubeObject[] {
    const b = this.buckets.get(key);
    if (!b) return [];
    const spaces = namespace === undefined ? [...b.byNamespace.keys()].sort() : [namespace];
    const out: KubeObject[] = [];
    for (const ns of spaces) {
      const objs = b.byNamespace.get(ns);
      if (!objs) continue;
      for (const name of [...objs.keys()].sort()) out.push(objs.get(name) as KubeObject);
    }
    return out;
  }

  /** Objects whose ownerReferences name `uid`. */
  dependentsOf(uid: string): ObjectRef[] {
    return [...(this.dependents.get(uid)?.values() ?? [])];
  }

  private index(key: string, obj: KubeObject | undefined, previous: KubeObject | undefined): void {
    const before = previous ? ownerUids(previous) : [];
    const after = obj ? ownerUids(obj) : [];
    if (before.length === 0 && after.length === 0) return;
    const source = obj ?? previous;
    if (!source) return;
    const ref: ObjectRef = { key, namespace: namespaceOf(source), name: nameOf(source) };
    const id = `${key}\u0000${ref.namespace}\u0000${ref.name}`;
    for (const uid of before) {
      if (after.includes(uid)) continue;
      const set = this.dependents.get(uid);
      set?.delete(id);
      if (set?.size === 0) this.dependents.delete(uid);
    }
    for (const uid of after) {
      let set = this.dependents.get(uid);
      if (!set) {
        set = new Map();
        this.dependents.set(uid, set);
      }
      set.set(id, ref);
    }
  }

  count(key: string): number {
    return this.buckets.get(key)?.size ?? 0;
  }

  /** Resource keys that hold at least one object in `namespace`. */
  keysWithObjectsIn(namespace: string): string[] {
    const out: string[] = [];
    for (const [key, b] of this.buckets) if ((b.byNamespace.get(namespace)?.size ?? 0) > 0) out.push(key);
    return out;
  }

  private record(b: ResourceBucket, event: StoredEvent): void {
    b.log.push(event);
    if (b.log.length > this.opts.eventLogSize) {
      const dropped = b.log.splice(0, b.log.length - this.opts.eventLogSize);
      b.logFloor = dropped[dropped.length - 1]?.resourceVersion ?? b.logFloor;
    }
    for (const listener of [...b.listeners]) listener(event);
  }

  /** Stores `obj` (a new object, owned by the store from now on) with the next resourceVersion. */
  put(key: string, obj: KubeObject): KubeObject {
    const b = this.bucket(key);
    const ns = namespaceOf(obj);
    const name = nameOf(obj);
    const rv = ++this.rv;
    meta(obj)['resourceVersion'] = String(rv);
    let objs = b.byNamespace.get(ns);
    if (!objs) {
      objs = new Map();
      b.byNamespace.set(ns, objs);
    }
    const previous = objs.get(name);
    objs.set(name, obj);
    if (!previous) b.size++;
    this.index(key, obj, previous);
    this.record(b, { type: previous ? WatchEventType.Modified : WatchEventType.Added, object: obj, previous, resourceVersion: rv });
    return obj;
  }

  /** Removes an object; the DELETED event carries its last state under a new resourceVersion. */
  remove(key: string, namespace: string, name: string): KubeObject | undefined {
    const b = this.buckets.get(key);
    const objs = b?.byNamespace.get(namespace);
    const current = objs?.get(name);
    if (!b || !objs || !current) return undefined;
    objs.delete(name);
    if (objs.size === 0) b.byNamespace.delete(namespace);
    b.size--;
    this.index(key, undefined, current);
    const rv = ++this.rv;
    const last: KubeObject = { ...current, metadata: { ...meta(current), resourceVersion: String(rv) } };
    this.record(b, { type: WatchEventType.Deleted, object: last, previous: current, resourceVersion: rv });
    return last;
  }

  /**
   * Events after `fromRv`, then every later event, to `listener`; returns the unsubscribe function.
   * Throws ResourceVersionTooOldError when the log no longer reaches back to `fromRv`.
   */
  watch(key: string, fromRv: number, listener: EventListener): () => void {
    const b = this.bucket(key);
    if (fromRv < b.logFloor) throw new ResourceVersionTooOldError(fromRv, b.logFloor + 1);
    for (const event of b.log) if (event.resourceVersion > fromRv) listener(event);
    b.listeners.add(listener);
    return () => {
      b.listeners.delete(listener);
    };
  }

  /** Forgets the event history (as etcd compaction does): older resourceVersions can no longer be watched from. */
  compact(): void {
    for (const b of this.buckets.values()) {
      b.log.length = 0;
      b.logFloor = this.rv;
    }
  }
}
