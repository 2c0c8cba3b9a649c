/**
 * The Kubernetes API semantics of one simulated cluster, independent of HTTP: get, list,
 * watch, create, update, the four patch types, delete and delete-collection, with
 * resourceVersions, generations, managedFields, subresources, dry runs, finalizers, namespace
 * and CRD life cycles. Synchronous and deterministic given its clock and id source.
 */
import type { Json, JsonObject, KubeObject } from './json.js';
import { clone, deepEqual, dropNulls, getIn, isObject, meta, nameOf, namespaceOf, num, rfc3339, str } from './json.js';
import { ApiError, StatusReason, errors } from './status.js';
import type { ResourceType } from './resources.js';
import { InvalidCrdError, ResourceRegistry, Subresource, groupVersion, resourceKey, resourceTypesFromCrd } from './resources.js';
import type { ObjectSchema } from './schema.js';
import { builtinSchema, crdSchema } from './schema.js';
import { compareObjects, FieldPathError, toFieldSet } from './fields.js';
import type { FieldSet } from './fieldpath.js';
import { pathToString } from './fieldpath.js';
import type { Conflict, ManagedEntry } from './managed-fields.js';
import { Operation, encodeManagedFields, entryIdentity, ownableFields, readManagedFields, updateOwnership } from './managed-fields.js';
import { scopeComparison, serverSideApply, withoutManagedFields } from './ssa.js';
import { PatchError, jsonMergePatch, jsonPatch, strategicMerge } from './patch.js';
import type { Selector } from './selectors.js';
import { labelSelectorString, matchesSelector } from './selectors.js';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validate.js';
import type { ChangeType, StoredEvent } from './store.js';
import { ObjectStore, ResourceVersionTooOldError, WatchEventType } from './store.js';

export const PatchType = {
  Json: 'application/json-patch+json',
  Merge: 'application/merge-patch+json',
  Strategic: 'application/strategic-merge-patch+json',
  Apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

export type SubresourceName = '' | Subresource;

export interface Target {
  rt: ResourceType;
  namespace: string;
  name: string;
  subresource: SubresourceName;
}

export interface WriteOptions {
  isDryRun: boolean;
  fieldManager: string | undefined;
  isForce: boolean;
  userAgent: string;
}

export interface WriteResult {
  object: KubeObject;
  isCreated: boolean;
}

export interface DeleteOptions {
  isDryRun: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  selector: Selector;
  limit?: number;
  continueToken?: string;
}

export interface WatchOptions {
  selector: Selector;
  /** Resume after this resourceVersion; undefined or 0 starts with the current objects as ADDED. */
  resourceVersion: number | undefined;
  isSendInitialEvents: boolean;
}

export type WatchSink = (type: WatchEventType, object: KubeObject) => void;

export interface ApiDeps {
  now(): Date;
  uid(): string;
  /** Five characters for generateName, from the alphabet the real server uses. */
  nameSuffix(): string;
}

export interface ChangeNotice {
  rt: ResourceType;
  type: ChangeType;
  object: KubeObject;
}

const PROTECTED_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const SERVER_MANAGER = 'kube-apiserver';

function conflictMessage(conflicts: readonly Conflict[]): string {
  const who = (e: ManagedEntry): string =>
    `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === Operation.Update ? ` using ${e.apiVersion}` : ''}`;
  if (conflicts.length === 1) {
    const c = conflicts[0] as Conflict;
    return `Apply failed with 1 conflict: conflict with ${who(c.manager)}: ${pathToString(c.path)}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const key = who(c.manager);
    byManager.set(key, [...(byManager.get(key) ?? []), pathToString(c.path)]);
  }
  const lines: string[] = [];
  for (const key of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${key}:`);
    for (const p of byManager.get(key) ?? []) lines.push(`- ${p}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

function conflictError(conflicts: readonly Conflict[]): ApiError {
  return new ApiError(409, StatusReason.Conflict, conflictMessage(conflicts), {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager.manager}"${c.manager.subresource ? ` with subresource "${c.manager.subresource}"` : ''}${c.manager.operation === Operation.Update ? ` using ${c.manager.apiVersion}` : ''}`,
      field: pathToString(c.path),
    })),
  });
}

function withoutResourceVersion(obj: KubeObject): KubeObject {
  const m = { ...meta(obj) };
  delete m['resourceVersion'];
  return { ...obj, metadata: m };
}

/** Everything but metadata (and status, when status is a subresource): what a generation counts. */
function specPart(obj: KubeObject, hasStatusSubresource: boolean): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'metadata' || k === 'apiVersion' || k === 'kind') continue;
    if (k === 'status' && hasStatusSubresource) continue;
    out[k] = v;
  }
  return out;
}

/** The zero value the real server compares a created built-in object against (Go structs are never nil). */
function creationBaseline(rt: ResourceType, obj: KubeObject): KubeObject {
  if (rt.crdName !== undefined) return {};
  const base: JsonObject = { metadata: {} };
  const spec = obj['spec'];
  if (isObject(spec)) {
    const s: JsonObject = {};
    if (isObject(spec['template'])) s['template'] = { metadata: {}, spec: {} };
    if (isObject(spec['strategy'])) s['strategy'] = {};
    if (isObject(spec['updateStrategy'])) s['updateStrategy'] = {};
    base['spec'] = s;
  }
  if (rt.subresources.includes(Subresource.Status)) base['status'] = {};
  return base;
}

/**
 * managedFields a write sends itself, which replace the stored ones (as on the real server):
 * undefined when absent or empty, [] for the reset value `[{}]`.
 */
function managedFieldsFromRequest(obj: KubeObject): ManagedEntry[] | undefined {
  const raw = getIn(obj, ['metadata', 'managedFields']);
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  if (raw.length === 1 && isObject(raw[0]) && Object.keys(raw[0]).length === 0) return [];
  if (!raw.every((e) => isObject(e) && typeof e['manager'] === 'string' && (e['operation'] === 'Apply' || e['operation'] === 'Update'))) return undefined;
  return readManagedFields(obj);
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** JSON with object keys sorted and a trailing newline, as Go's encoder writes annotations. */
function goJson(value: Json): string {
  const sortKeys = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (isObject(v)) {
      const out: JsonObject = {};
      for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k] as Json);
      return out;
    }
    return v;
  };
  return `${JSON.stringify(sortKeys(value))}\n`;
}

function hasFinalizers(obj: KubeObject): boolean {
  const f = getIn(obj, ['metadata', 'finalizers']);
  return Array.isArray(f) && f.length > 0;
}

function parseIntStrict(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

export class KubeApi {
  readonly registry = new ResourceRegistry();
  readonly store: ObjectStore;
  private readonly schemas = new WeakMap<ResourceType, ObjectSchema>();
  private readonly changeListeners = new Set<(notice: ChangeNotice) => void>();
  private writes = 0;

  constructor(
    private readonly deps: ApiDeps,
    opts: { eventLogSize: number },
  ) {
    this.store = new ObjectStore({ eventLogSize: opts.eventLogSize });
    const nsType = this.mustLookup('', 'v1', 'namespaces');
    for (const name of INITIAL_NAMESPACES) {
      this.create({ rt: nsType, namespace: '', name: '', subresource: '' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, {
        isDryRun: false,
        fieldManager: SERVER_MANAGER,
        isForce: false,
        userAgent: SERVER_MANAGER,
      });
    }
  }

  /** Count of stored changes (creates, updates, deletes) since start. */
  get writeCount(): number {
    return this.writes;
  }

  onChange(listener: (notice: ChangeNotice) => void): () => void {
    this.changeListeners.add(listener);
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  mustLookup(group: string, version: string, plural: string): ResourceType {
    const rt = this.registry.lookup(group, version, plural);
    if (!rt) throw new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource');
    return rt;
  }

  schemaFor(rt: ResourceType): ObjectSchema {
    let s = this.schemas.get(rt);
    if (!s) {
      s = rt.crdName !== undefined ? crdSchema(rt.kind, rt.schema) : builtinSchema(rt.kind);
      this.schemas.set(rt, s);
    }
    return s;
  }

  /** Objects as a client of `rt`'s version sees them (custom resources may be stored under another version). */
  present(rt: ResourceType, obj: KubeObject): KubeObject {
    const gv = groupVersion(rt);
    return obj['apiVersion'] === gv ? obj : { ...obj, apiVersion: gv };
  }

  private notFound(t: Target): ApiError {
    return errors.notFound(t.rt.group, t.rt.plural, t.rt.kind, t.name);
  }

  private current(t: Target): KubeObject | undefined {
    return this.store.get(resourceKey(t.rt), t.rt.isNamespaced ? t.namespace : '', t.name);
  }

  private requireNamespace(t: Target): void {
    if (!t.rt.isNamespaced) return;
    if (!this.store.get('/namespaces', '', t.namespace)) {
      throw new ApiError(404, StatusReason.NotFound, `namespaces "${t.namespace}" not found`, { name: t.namespace, kind: 'namespaces' });
    }
  }

  // ---- reads ----

  get(t: Target): KubeObject {
    const obj = this.current(t);
    if (!obj) throw this.notFound(t);
    if (t.subresource === Subresource.Scale) return this.scaleOf(t.rt, obj);
    return this.present(t.rt, obj);
  }

  list(rt: ResourceType, namespace: string | undefined, opts: ListOptions): KubeObject {
    const all = this.store.list(resourceKey(rt), rt.isNamespaced ? namespace : undefined).filter((o) => matchesSelector(opts.selector, o));
    let start = 0;
    if (opts.continueToken) {
      let after: string;
      try {
        const decoded = JSON.parse(Buffer.from(opts.continueToken, 'base64url').toString('utf8')) as JsonObject;
        after = str(decoded['start']) ?? '';
      } catch (err) {
        throw new ApiError(400, StatusReason.BadRequest, 'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)', undefined, { cause: err });
      }
      start = all.findIndex((o) => `${namespaceOf(o)}/${nameOf(o)}` > after);
      if (start < 0) start = all.length;
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const page = limit === undefined ? all.slice(start) : all.slice(start, start + limit);
    const listMeta: JsonObject = { resourceVersion: String(this.store.resourceVersion) };
    const remaining = all.length - start - page.length;
    if (limit !== undefined && remaining > 0) {
      const last = page[page.length - 1] as KubeObject;
      listMeta['continue'] = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: this.store.resourceVersion, start: `${namespaceOf(last)}/${nameOf(last)}` })).toString('base64url');
      listMeta['remainingItemCount'] = remaining;
    }
    return { apiVersion: groupVersion(rt), kind: rt.listKind, metadata: listMeta, items: page.map((o) => this.present(rt, o)) };
  }

  /** Starts a watch; returns the function that stops it. Too-old resourceVersions throw a 410 ApiError. */
  watch(rt: ResourceType, namespace: string | undefined, opts: WatchOptions, sink: WatchSink): () => void {
    const key = resourceKey(rt);
    const ns = rt.isNamespaced ? namespace : undefined;
    const inScope = (o: KubeObject) => (ns === undefined || namespaceOf(o) === ns) && matchesSelector(opts.selector, o);
    const deliver = (e: StoredEvent): void => {
      const isNow = inScope(e.object);
      const wasBefore = e.previous !== undefined && e.type === WatchEventType.Modified ? inScope(e.previous) : isNow;
      if (e.type === WatchEventType.Modified) {
        if (isNow && wasBefore) sink(WatchEventType.Modified, this.present(rt, e.object));
        else if (isNow) sink(WatchEventType.Added, this.present(rt, e.object));
        else if (wasBefore) sink(WatchEventType.Deleted, this.present(rt, e.object));
        return;
      }
      if (isNow) sink(e.type, this.present(rt, e.object));
    };
    const fromCurrent = opts.resourceVersion === undefined || opts.resourceVersion === 0 || opts.isSendInitialEvents;
    if (fromCurrent) {
      const rv = this.store.resourceVersion;
      for (const o of this.store.list(key, ns)) if (matchesSelector(opts.selector, o)) sink(WatchEventType.Added, this.present(rt, o));
      if (opts.isSendInitialEvents) {
        sink(WatchEventType.Bookmark, {
          apiVersion: groupVersion(rt),
          kind: rt.kind,
          metadata: { resourceVersion: String(rv), annotations: { 'k8s.io/initial-events-end': 'true' } },
        });
      }
      return this.store.watch(key, rv, deliver);
    }
    try {
      return this.store.watch(key, opts.resourceVersion ?? 0, deliver);
    } catch (err) {
      if (err instanceof ResourceVersionTooOldError) throw new ApiError(410, StatusReason.Expired, err.message, undefined, { cause: err });
      throw err;
    }
  }

  // ---- writes ----

  create(t: Target, body: Json, opts: WriteOptions): WriteResult {
    const obj = this.checkBody(t, body);
    this.requireNamespace(t);
    const m = meta(obj);
    let name = str(m['name']) ?? '';
    if (name === '') {
      const prefix = str(m['generateName']);
      if (!prefix) {
        throw errors.invalid(t.rt.group, t.rt.kind, '', [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }]);
      }
      do name = `${prefix}${this.deps.nameSuffix()}`;
      while (this.current({ ...t, name }));
    }
    const target: Target = { ...t, name };
    if (this.current(target)) throw errors.alreadyExists(t.rt.group, t.rt.plural, name);
    return this.commitUpdate(target, undefined, obj, opts);
  }

  update(t: Target, body: Json, opts: WriteOptions): WriteResult {
    const obj = this.checkBody(t, body);
    const bodyName = str(getIn(obj, ['metadata', 'name']));
    if (bodyName !== undefined && bodyName !== t.name) {
      throw errors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${t.name})`);
    }
    const current = this.current(t);
    if (!current) throw this.notFound(t);
    this.checkResourceVersion(t, current, str(getIn(obj, ['metadata', 'resourceVersion'])));
    if (t.subresource === Subresource.Scale) return this.writeScale(t, current, obj, opts);
    return this.commitUpdate(t, current, obj, opts);
  }

  patch(t: Target, patchType: PatchType, patchBody: Json, opts: WriteOptions): WriteResult {
    const current = this.current(t);
    if (patchType === PatchType.Apply) return this.apply(t, current, patchBody, opts);
    if (!current) throw this.notFound(t);
    if (patchType === PatchType.Strategic && t.rt.crdName !== undefined) {
      throw errors.unsupportedMediaType(patchType, [PatchType.Json, PatchType.Merge, PatchType.Apply]);
    }
    // The whole object, managedFields included: a patch may rewrite them (kubectl does, to migrate client-side apply).
    const base = t.subresource === Subresource.Scale ? this.scaleOf(t.rt, current) : current;
    let patched: Json;
    try {
      switch (patchType) {
        case PatchType.Merge:
          if (!isObject(patchBody)) throw new PatchError('a merge patch must be a JSON object');
          patched = jsonMergePatch(base, patchBody);
          break;
        case PatchType.Json:
          patched = jsonPatch(base, patchBody);
          break;
        case PatchType.Strategic:
          if (!isObject(patchBody)) throw new PatchError('a strategic merge patch must be a JSON object');
          patched = strategicMerge(base, patchBody, [], t.subresource === Subresource.Scale ? builtinSchema('Scale') : this.schemaFor(t.rt));
          break;
      }
    } catch (err) {
      if (err instanceof PatchError) throw new ApiError(422, StatusReason.Invalid, err.message, undefined, { cause: err });
      throw err;
    }
    if (!isObject(patched)) throw errors.badRequest('the patch did not produce an object');
    const rvInPatch = str(getIn(patched, ['metadata', 'resourceVersion']));
    if (rvInPatch !== undefined && rvInPatch !== str(getIn(base, ['metadata', 'resourceVersion']))) {
      this.checkResourceVersion(t, current, rvInPatch);
    }
    if (t.subresource === Subresource.Scale) return this.writeScale(t, current, patched, opts);
    const apiVersion = str(patched['apiVersion']);
    if (apiVersion !== undefined && apiVersion !== groupVersion(t.rt)) patched['apiVersion'] = groupVersion(t.rt);
    return this.commitUpdate(t, current, patched, opts);
  }

  private apply(t: Target, current: KubeObject | undefined, body: Json, opts: WriteOptions): WriteResult {
    if (t.subresource === Subresource.Scale) throw errors.unsupportedMediaType(PatchType.Apply, [PatchType.Json, PatchType.Merge, PatchType.Strategic]);
    if (!opts.fieldManager) throw errors.badRequest('PATCH requests with apply content type must specify fieldManager');
    const config = this.checkBody(t, body, true);
    const bodyName = str(getIn(config, ['metadata', 'name']));
    if (bodyName !== undefined && bodyName !== t.name) {
      throw errors.badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${t.name})`);
    }
    if (!current) this.requireNamespace(t);
    const m = meta(config);
    if (current) this.checkResourceVersion(t, current, str(m['resourceVersion']));
    for (const k of ['resourceVersion', 'managedFields', 'uid', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds']) delete m[k];
    m['name'] = t.name;
    if (t.rt.isNamespaced) m['namespace'] = t.namespace;
    else delete m['namespace'];
    const hasStatusSub = t.rt.subresources.includes(Subresource.Status);
    let scoped: KubeObject = config;
    if (t.subresource === Subresource.Status) {
      scoped = { apiVersion: groupVersion(t.rt), kind: t.rt.kind, metadata: { ...m } };
      if (config['status'] !== undefined) scoped['status'] = config['status'];
    } else if (hasStatusSub) {
      delete scoped['status'];
    }
    const scope = (set: FieldSet) => ownableFields(set, t.subresource, hasStatusSub);
    const schema = this.schemaFor(t.rt);
    const manager = opts.fieldManager;
    const run = (isForce: boolean) =>
      serverSideApply({
        live: current,
        config: scoped,
        entries: current ? readManagedFields(current) : [],
        schema,
        manager,
        apiVersion: groupVersion(t.rt),
        subresource: t.subresource,
        isForce,
        scope,
        now: this.deps.now(),
      });
    let outcome;
    try {
      outcome = run(opts.isForce);
      // kubectl's first server-side apply over a client-side applied object may take the fields
      // its last-applied annotation still describes (the real server's upgrade path).
      if (!outcome.ok && manager === 'kubectl' && current) {
        const allowed = this.allowedByLastApplied(current, schema, scope);
        if (allowed) {
          const remaining = outcome.conflicts.filter((c) => !allowed.has(c.path));
          outcome = remaining.length === 0 ? run(true) : { ok: false as const, conflicts: remaining };
        }
      }
    } catch (err) {
      if (err instanceof FieldPathError) throw new ApiError(422, StatusReason.Invalid, err.message, undefined, { cause: err });
      throw err;
    }
    if (!outcome.ok) throw conflictError(outcome.conflicts);
    const entries = outcome.entries;
    const merged = outcome.object;
    const liveAnnotations = current ? getIn(current, ['metadata', 'annotations']) : undefined;
    if (manager === 'kubectl' && isObject(liveAnnotations) && typeof liveAnnotations[LAST_APPLIED] === 'string') {
      // Keep the client-side apply annotation in step with what kubectl applies server-side.
      const applied = clone(body) as KubeObject;
      const appliedAnnotations = getIn(applied, ['metadata', 'annotations']);
      if (isObject(appliedAnnotations)) delete appliedAnnotations[LAST_APPLIED];
      const annotations = getIn(merged, ['metadata', 'annotations']);
      if (isObject(annotations)) annotations[LAST_APPLIED] = goJson(applied);
    }
    return this.commit(t, current, merged, () => entries, opts);
  }

  /** Fields the last-applied annotation still describes (same value live), which kubectl's apply may take over. */
  private allowedByLastApplied(current: KubeObject, schema: ObjectSchema, scope: (set: FieldSet) => FieldSet): FieldSet | undefined {
    const raw = str(getIn(current, ['metadata', 'annotations', LAST_APPLIED]));
    if (!raw) return undefined;
    let lastApplied: Json;
    try {
      lastApplied = JSON.parse(raw) as Json;
    } catch {
      return undefined;
    }
    if (!isObject(lastApplied)) return undefined;
    const set = scope(toFieldSet(lastApplied, schema));
    const c = compareObjects(lastApplied, withoutManagedFields(current), schema);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  }

  /** The update path shared by create, update and non-apply patches: ownership by comparison. */
  private commitUpdate(t: Target, current: KubeObject | undefined, candidate: KubeObject, opts: WriteOptions, subresourceForOwnership?: SubresourceName): WriteResult {
    const manager = opts.fieldManager ?? (opts.userAgent.split('/')[0] || 'unknown');
    const sub = subresourceForOwnership ?? t.subresource;
    const hasStatusSub = t.rt.subresources.includes(Subresource.Status);
    const provided = sub === '' ? managedFieldsFromRequest(candidate) : undefined;
    const baseEntries = provided ?? (current ? readManagedFields(current) : []);
    return this.commit(t, current, candidate, (next) => {
      const before = current ? withoutManagedFields(current) : creationBaseline(t.rt, next);
      const comparison = scopeComparison(compareObjects(before, withoutManagedFields(next), this.schemaFor(t.rt)), (set) =>
        ownableFields(set, sub === Subresource.Scale ? '' : sub, hasStatusSub),
      );
      return updateOwnership(baseEntries, comparison, { manager, apiVersion: groupVersion(t.rt), subresource: sub }, (s) => s, this.deps.now());
    }, opts);
  }

  private commit(t: Target, current: KubeObject | undefined, candidate: KubeObject, ownership: (next: KubeObject) => ManagedEntry[], opts: WriteOptions): WriteResult {
    const next = this.normalize(t, current, candidate);
    applyDefaults(t.rt.kind, t.rt.group, next);
    const causes = validateObject(t.rt, next);
    if (causes.length > 0) throw errors.invalid(t.rt.group, t.rt.kind, t.name, causes);
    if (t.rt.group === 'apiextensions.k8s.io' && t.rt.kind === 'CustomResourceDefinition') this.checkCrd(next);
    let entries: ManagedEntry[];
    try {
      entries = ownership(next);
    } catch (err) {
      if (err instanceof FieldPathError) throw new ApiError(422, StatusReason.Invalid, err.message, undefined, { cause: err });
      throw err;
    }
    if (current && deepEqual(withoutManagedFields(withoutResourceVersion(current)), withoutManagedFields(next))) {
      // The stored object would not change: an owner whose fields did not change keeps its timestamp
      // (so a re-apply that normalises to the same object is a true no-op).
      const before = new Map(readManagedFields(current).map((e) => [entryIdentity(e), e]));
      entries = entries.map((e) => {
        const old = before.get(entryIdentity(e));
        return old && old.fields.equals(e.fields) ? { ...e, time: old.time } : e;
      });
    }
    const m = meta(next);
    const hasStatusSub = t.rt.subresources.includes(Subresource.Status);
    if (current && t.rt.hasGeneration && !deepEqual(specPart(current, hasStatusSub), specPart(next, hasStatusSub))) {
      m['generation'] = (num(getIn(current, ['metadata', 'generation'])) ?? 0) + 1;
    }
    if (entries.length > 0) m['managedFields'] = encodeManagedFields(entries);
    else delete m['managedFields'];
    if (current && deepEqual(withoutResourceVersion(current), withoutResourceVersion(next))) {
      return { object: this.present(t.rt, current), isCreated: false };
    }
    if (opts.isDryRun) {
      if (current) m['resourceVersion'] = str(getIn(current, ['metadata', 'resourceVersion'])) ?? '';
      return { object: this.present(t.rt, next), isCreated: !current };
    }
    // An update that removes the last finalizer of an object being deleted completes the deletion.
    if (current && m['deletionTimestamp'] !== undefined && !hasFinalizers(next)) {
      const removed = this.removeObject(t.rt, next);
      return { object: this.present(t.rt, removed), isCreated: false };
    }
    const stored = this.store.put(resourceKey(t.rt), next);
    this.afterWrite(t.rt, current ? WatchEventType.Modified : WatchEventType.Added, stored);
    return { object: this.present(t.rt, stored), isCreated: !current };
  }

  private afterWrite(rt: ResourceType, type: ChangeType, obj: KubeObject): void {
    this.writes++;
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition' && type !== WatchEventType.Deleted) this.establishCrd(rt, obj);
    for (const l of [...this.changeListeners]) l({ rt, type, object: obj });
  }

  /** Puts server-owned metadata in place and keeps what a write through this endpoint may not change. */
  private normalize(t: Target, current: KubeObject | undefined, candidate: KubeObject): KubeObject {
    const rt = t.rt;
    const body = dropNulls(candidate) as KubeObject;
    const hasStatusSub = rt.subresources.includes(Subresource.Status);
    const source: KubeObject = t.subresource === Subresource.Status && current ? { ...withoutManagedFields(current), status: body['status'] ?? {} } : body;
    const m: JsonObject = { ...(isObject(source['metadata']) ? source['metadata'] : {}) };
    m['name'] = t.name;
    if (rt.isNamespaced) m['namespace'] = t.namespace;
    else delete m['namespace'];
    for (const k of ['resourceVersion', 'selfLink', 'managedFields']) delete m[k];
    if (current) {
      const cm = meta(current);
      for (const k of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
        const v = cm[k];
        if (v !== undefined) m[k] = v;
        else delete m[k];
      }
    } else {
      m['uid'] = this.deps.uid();
      m['creationTimestamp'] = rfc3339(this.deps.now());
      delete m['deletionTimestamp'];
      delete m['deletionGracePeriodSeconds'];
      if (rt.hasGeneration) m['generation'] = 1;
    }
    if (!rt.hasGeneration) delete m['generation'];
    delete m['generateName'];
    const generateName = str(getIn(candidate, ['metadata', 'generateName']));
    if (generateName !== undefined) m['generateName'] = generateName;
    const out: KubeObject = { apiVersion: groupVersion(rt), kind: rt.kind, metadata: m };
    for (const [k, v] of Object.entries(source)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status') out[k] = v;
    if (t.subresource === Subresource.Status) {
      out['status'] = source['status'] ?? {};
    } else if (hasStatusSub) {
      const status = current ? current['status'] : this.initialStatus(rt);
      if (status !== undefined) out['status'] = clone(status);
    } else if (source['status'] !== undefined) {
      out['status'] = source['status'];
    }
    return out;
  }

  private initialStatus(rt: ResourceType): Json | undefined {
    if (rt.crdName !== undefined) return undefined;
    if (rt.group === '' && rt.kind === 'Namespace') return { phase: 'Active' };
    return {};
  }

  private checkBody(t: Target, body: Json, isApply = false): KubeObject {
    if (!isObject(body)) throw errors.badRequest(`the body of the request must be a JSON or YAML object, not ${Array.isArray(body) ? 'an array' : typeof body}`);
    const obj = clone(body);
    const apiVersion = str(obj['apiVersion']);
    const kind = str(obj['kind']);
    const scaleTarget = t.subresource === Subresource.Scale;
    const expectedVersion = scaleTarget ? 'autoscaling/v1' : groupVersion(t.rt);
    const expectedKind = scaleTarget ? 'Scale' : t.rt.kind;
    if (isApply && (!apiVersion || !kind)) throw errors.badRequest('apiVersion and kind must be set in an applied configuration');
    if (apiVersion !== undefined && apiVersion !== expectedVersion && !(t.rt.crdName !== undefined && this.isVersionOf(t.rt, apiVersion))) {
      throw errors.badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expectedVersion})`);
    }
    if (kind !== undefined && kind !== expectedKind) throw errors.badRequest(`the kind in the data (${kind}) does not match the expected kind (${expectedKind})`);
    if (obj['metadata'] !== undefined && !isObject(obj['metadata'])) throw errors.badRequest('metadata must be an object');
    const ns = str(getIn(obj, ['metadata', 'namespace']));
    if (t.rt.isNamespaced && ns !== undefined && ns !== '' && ns !== t.namespace) {
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return obj;
  }

  private isVersionOf(rt: ResourceType, apiVersion: string): boolean {
    return this.registry.versionsOf(resourceKey(rt)).some((v) => groupVersion(v) === apiVersion);
  }

  private checkResourceVersion(t: Target, current: KubeObject, rv: string | undefined): void {
    if (rv === undefined || rv === '') return;
    if (rv !== str(getIn(current, ['metadata', 'resourceVersion']))) {
      throw errors.conflict(t.rt.group, t.rt.plural, t.name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
  }

  // ---- scale ----

  private scalePaths(rt: ResourceType): { spec: string[]; status: string[]; selector: string[] | undefined } {
    const toPath = (p: string) => p.replace(/^\./, '').split('.');
    if (rt.scale) {
      return { spec: toPath(rt.scale.specReplicasPath), status: toPath(rt.scale.statusReplicasPath), selector: rt.scale.labelSelectorPath ? toPath(rt.scale.labelSelectorPath) : undefined };
    }
    return { spec: ['spec', 'replicas'], status: ['status', 'replicas'], selector: ['spec', 'selector'] };
  }

  scaleOf(rt: ResourceType, obj: KubeObject): KubeObject {
    if (!rt.subresources.includes(Subresource.Scale)) throw new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource');
    const paths = this.scalePaths(rt);
    const m = meta(obj);
    const selectorValue = paths.selector ? getIn(obj, paths.selector) : undefined;
    const selector = typeof selectorValue === 'string' ? selectorValue : labelSelectorString(selectorValue);
    const status: JsonObject = { replicas: num(getIn(obj, paths.status)) ?? 0 };
    if (selector) status['selector'] = selector;
    const sm: JsonObject = { name: m['name'] ?? '', uid: m['uid'] ?? '', resourceVersion: m['resourceVersion'] ?? '', creationTimestamp: m['creationTimestamp'] ?? null };
    if (rt.isNamespaced) sm['namespace'] = m['namespace'] ?? '';
    return { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: sm, spec: { replicas: num(getIn(obj, paths.spec)) ?? 0 }, status };
  }

  private writeScale(t: Target, current: KubeObject, scale: KubeObject, opts: WriteOptions): WriteResult {
    const replicas = getIn(scale, ['spec', 'replicas']);
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw errors.invalid('autoscaling', 'Scale', t.name, [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }]);
    }
    const candidate = clone(withoutManagedFields(current));
    const path = this.scalePaths(t.rt).spec;
    let node: JsonObject = candidate;
    for (const key of path.slice(0, -1)) {
      const nextNode: Json | undefined = node[key];
      if (isObject(nextNode)) node = nextNode;
      else {
        const fresh: JsonObject = {};
        node[key] = fresh;
        node = fresh;
      }
    }
    node[path[path.length - 1] as string] = replicas;
    const result = this.commitUpdate({ ...t, subresource: '' }, current, candidate, opts, Subresource.Scale);
    return { object: this.scaleOf(t.rt, result.object), isCreated: false };
  }

  // ---- deletes ----

  delete(t: Target, opts: DeleteOptions): WriteResult {
    const current = this.current(t);
    if (!current) throw this.notFound(t);
    const cm = meta(current);
    const pre = opts.preconditions;
    if (pre?.uid !== undefined && pre.uid !== cm['uid']) {
      throw errors.conflict(t.rt.group, t.rt.plural, t.name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${str(cm['uid']) ?? ''}`);
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== cm['resourceVersion']) {
      throw errors.conflict(
        t.rt.group,
        t.rt.plural,
        t.name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${str(cm['resourceVersion']) ?? ''}`,
      );
    }
    if (t.rt.group === '' && t.rt.kind === 'Namespace' && PROTECTED_NAMESPACES.includes(t.name)) {
      throw new ApiError(403, StatusReason.Forbidden, `namespaces "${t.name}" is forbidden: this namespace may not be deleted`, { name: t.name, kind: 'namespaces' });
    }
    if (hasFinalizers(current)) {
      if (cm['deletionTimestamp'] !== undefined) return { object: this.present(t.rt, current), isCreated: false };
      const next = clone(current);
      const nm = meta(next);
      nm['deletionTimestamp'] = rfc3339(this.deps.now());
      nm['deletionGracePeriodSeconds'] = 0;
      if (t.rt.hasGeneration) nm['generation'] = (num(cm['generation']) ?? 0) + 1;
      if (opts.isDryRun) return { object: this.present(t.rt, next), isCreated: false };
      const stored = this.store.put(resourceKey(t.rt), next);
      this.afterWrite(t.rt, WatchEventType.Modified, stored);
      return { object: this.present(t.rt, stored), isCreated: false };
    }
    if (opts.isDryRun) return { object: this.present(t.rt, current), isCreated: false };
    return { object: this.present(t.rt, this.removeObject(t.rt, current)), isCreated: false };
  }

  deleteCollection(rt: ResourceType, namespace: string | undefined, selector: Selector, opts: DeleteOptions): KubeObject {
    const items = this.store.list(resourceKey(rt), rt.isNamespaced ? namespace : undefined).filter((o) => matchesSelector(selector, o));
    const deleted = items.map((o) => this.delete({ rt, namespace: namespaceOf(o), name: nameOf(o), subresource: '' }, { isDryRun: opts.isDryRun }).object);
    return { apiVersion: groupVersion(rt), kind: rt.listKind, metadata: { resourceVersion: String(this.store.resourceVersion) }, items: deleted };
  }

  /** Removes an object for good, with the cascades the real control plane performs. */
  private removeObject(rt: ResourceType, obj: KubeObject): KubeObject {
    const ns = namespaceOf(obj);
    const name = nameOf(obj);
    if (rt.group === '' && rt.kind === 'Namespace') {
      // The namespace controller empties a deleted namespace before the namespace goes.
      for (const key of this.store.keysWithObjectsIn(name)) {
        const types = this.registry.versionsOf(key);
        for (const o of this.store.list(key, name)) {
          const removed = this.store.remove(key, name, nameOf(o));
          if (removed && types[0]) this.afterWrite(types[0], WatchEventType.Deleted, removed);
        }
      }
    }
    if (rt.group === 'apiextensions.k8s.io' && rt.kind === 'CustomResourceDefinition') {
      for (const crt of this.registry.removeCrd(name)) {
        const key = resourceKey(crt);
        for (const o of this.store.list(key)) {
          const removed = this.store.remove(key, namespaceOf(o), nameOf(o));
          if (removed) this.afterWrite(crt, WatchEventType.Deleted, removed);
        }
      }
    }
    const removed = this.store.remove(resourceKey(rt), ns, name);
    if (!removed) return obj;
    this.afterWrite(rt, WatchEventType.Deleted, removed);
    this.collectDependents(removed);
    return removed;
  }

  /**
   * Background garbage collection: objects in the same namespace whose only owner was `owner`
   * are deleted too (a Deployment's ReplicaSets, for example), found through the store's owner index.
   */
  private collectDependents(owner: KubeObject): void {
    const uid = str(getIn(owner, ['metadata', 'uid']));
    const ns = namespaceOf(owner);
    if (!uid || ns === '') return;
    for (const ref of this.store.dependentsOf(uid)) {
      if (ref.namespace !== ns) continue;
      const rt = this.registry.versionsOf(ref.key)[0];
      const o = this.store.get(ref.key, ref.namespace, ref.name);
      const refs = o ? getIn(o, ['metadata', 'ownerReferences']) : undefined;
      if (!rt || !Array.isArray(refs) || refs.length !== 1) continue;
      try {
        this.delete({ rt, namespace: ns, name: ref.name, subresource: '' }, { isDryRun: false });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
    }
  }

  // ---- CustomResourceDefinitions ----

  private checkCrd(crd: KubeObject): void {
    try {
      resourceTypesFromCrd(crd);
    } catch (err) {
      if (err instanceof InvalidCrdError) {
        const [field, ...rest] = err.message.split(': ');
        throw errors.invalid('apiextensions.k8s.io', 'CustomResourceDefinition', nameOf(crd), [{ reason: 'FieldValueInvalid', message: rest.join(': '), field: field ?? '' }]);
      }
      throw err;
    }
  }

  /** Registers the CRD's kinds and marks it Established, as the apiextensions controllers do. */
  private establishCrd(rt: ResourceType, crd: KubeObject): void {
    const name = nameOf(crd);
    this.registry.setCrd(name, resourceTypesFromCrd(crd));
    const names = getIn(crd, ['spec', 'names']);
    const now = rfc3339(this.deps.now());
    const storage = (getIn(crd, ['spec', 'versions']) as Json[] | undefined)?.find((v) => isObject(v) && v['storage'] === true);
    const storageName = isObject(storage) ? str(storage['name']) : undefined;
    const existing = getIn(crd, ['status', 'conditions']);
    const since = (type: string): string => {
      if (Array.isArray(existing)) {
        const c = existing.find((x) => isObject(x) && x['type'] === type);
        if (isObject(c) && typeof c['lastTransitionTime'] === 'string') return c['lastTransitionTime'];
      }
      return now;
    };
    const status: JsonObject = {
      acceptedNames: isObject(names) ? clone(names) : {},
      conditions: [
        { type: 'NamesAccepted', status: 'True', lastTransitionTime: since('NamesAccepted'), reason: 'NoConflicts', message: 'no conflicts found' },
        { type: 'Established', status: 'True', lastTransitionTime: since('Established'), reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' },
      ],
      storedVersions: storageName ? [storageName] : [],
    };
    if (deepEqual(crd['status'], status)) return;
    const t: Target = { rt, namespace: '', name, subresource: Subresource.Status };
    this.commitUpdate(t, crd, { ...withoutManagedFields(crd), status }, { isDryRun: false, fieldManager: SERVER_MANAGER, isForce: true, userAgent: SERVER_MANAGER });
  }

  /** Writes status as a controller would (Update through the status subresource). */
  writeStatus(rt: ResourceType, namespace: string, name: string, status: Json, manager: string): KubeObject | undefined {
    const t: Target = { rt, namespace, name, subresource: Subresource.Status };
    const current = this.current(t);
    if (!current) return undefined;
    return this.commitUpdate(t, current, { ...withoutManagedFields(current), status }, { isDryRun: false, fieldManager: manager, isForce: true, userAgent: manager }).object;
  }

  /** Parses a `resourceVersion` query value; undefined when absent, NaN when malformed. */
  static parseResourceVersion(raw: string | undefined): number | undefined {
    return parseIntStrict(raw);
  }
}
