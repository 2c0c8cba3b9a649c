/**
 * Turns HTTP requests into API calls on a simulated cluster and answers as the real API server
 * would: authentication and the read-only role, latency and injected faults, discovery and
 * OpenAPI, CRUD, patches, watches (streamed, with bookmarks and 410 for expired versions),
 * `Status` bodies for every failure. Transport-agnostic: the HTTPS adapter feeds it.
 */
import type { Json, JsonObject, KubeObject } from '../core/json.js';
import { getIn, isObject, str } from '../core/json.js';
import type { ListOptions, SubresourceName, Target, WriteOptions } from '../core/api.js';
import { KubeApi } from '../core/api.js';
import { ApiError, StatusReason, errors, qualifiedResource, statusBody } from '../core/status.js';
import type { ResourceType } from '../core/resources.js';
import { groupVersion } from '../core/resources.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, versionInfo } from '../core/discovery.js';
import { openApiGroupVersion, openApiHash, openApiIndex } from '../core/openapi.js';
import type { Selector } from '../core/selectors.js';
import { SelectorError, parseFieldSelector, parseLabelSelector } from '../core/selectors.js';
import { WatchEventType } from '../core/store.js';
import { Role, SimCluster } from '../cluster.js';
import type { Route } from './routes.js';
import { parseRoute } from './routes.js';
import { parseBody } from './body.js';
import { ResponseFormat, negotiate, partialMetadata, partialMetadataList } from './negotiate.js';
import type { IncludeObject } from './table.js';
import { tableOf } from './table.js';

export interface IncomingRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  header(name: string): string | undefined;
  /** The whole body; rejects with a 413 ApiError past `maxBytes`. */
  readBody(maxBytes: number): Promise<Buffer>;
}

export interface ResponseSink {
  send(status: number, contentType: string, body: string): void;
  startStream(status: number, contentType: string): void;
  write(chunk: string): void;
  end(): void;
  onClose(listener: () => void): void;
  /** Drops the connection without an answer. */
  destroy(): void;
}

const JSON_TYPE = 'application/json';
const USERS: Readonly<Record<Role, string>> = { admin: 'kube-sim:admin', readOnly: 'kube-sim:read-only' };
const READ_METHODS = new Set(['GET', 'HEAD']);
const WATCH_TIMEOUT_DEFAULT_S = 1800;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}

function verbOf(method: string, route: Extract<Route, { kind: 'resource' }>, isWatch: boolean): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return route.name !== undefined ? 'get' : isWatch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route.name !== undefined ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

function forbidden(role: Role, verb: string, rt: ResourceType, sub: string | undefined, namespace: string | undefined, name: string | undefined): ApiError {
  const res = qualifiedResource(rt.group, rt.plural);
  const subject = name !== undefined ? `${res} "${name}"` : res;
  const resource = sub ? `${rt.plural}/${sub}` : rt.plural;
  const scope = rt.isNamespaced && namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const details: { group: string; kind: string; name?: string } = { group: rt.group, kind: rt.plural };
  if (name !== undefined) details.name = name;
  return new ApiError(403, StatusReason.Forbidden, `${subject} is forbidden: User "${USERS[role]}" cannot ${verb} resource "${resource}" in API group "${rt.group}" ${scope}`, details);
}

/**
 * Answers the self-review kinds every authenticated user may create: "may I?" (admin: yes to
 * everything; read-only: yes to get, list and watch) and "who am I?".
 */
function review(rt: ResourceType, body: Json | undefined, role: Role): JsonObject {
  const spec = isObject(body) && isObject(body['spec']) ? body['spec'] : {};
  const base: JsonObject = { kind: rt.kind, apiVersion: groupVersion(rt), metadata: { creationTimestamp: null } };
  if (rt.kind === 'SelfSubjectReview') {
    return { ...base, status: { userInfo: { username: USERS[role], groups: ['system:authenticated'] } } };
  }
  const attrs = isObject(spec['resourceAttributes']) ? spec['resourceAttributes'] : isObject(spec['nonResourceAttributes']) ? spec['nonResourceAttributes'] : {};
  const verb = str(attrs['verb']) ?? '';
  const isAllowed = role === Role.Admin || ['get', 'list', 'watch'].includes(verb);
  return { ...base, spec, status: { allowed: isAllowed } };
}

const NOT_FOUND_RESOURCE = () => new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource', {});

export class ApiHandler {
  private openapiCache: { generation: number; docs: Map<string, { doc: JsonObject; hash: string }> } | undefined;

  constructor(
    private readonly cluster: SimCluster,
    private readonly serverAddress: () => string,
  ) {}

  private get api(): KubeApi {
    return this.cluster.api;
  }

  async handle(req: IncomingRequest, res: ResponseSink): Promise<void> {
    const method = req.method.toUpperCase();
    const url = new URL(req.url, 'https://kube-sim.invalid');
    const record = { method, path: url.pathname, query: url.search, contentType: req.header('content-type'), accept: req.header('accept'), userAgent: req.header('user-agent'), body: undefined as string | undefined, status: 0 };
    const reply = (status: number, body: JsonObject | string, contentType = JSON_TYPE): void => {
      record.status = status;
      const isPretty = url.searchParams.get('pretty') === 'true';
      res.send(status, contentType, typeof body === 'string' ? body : isPretty ? `${JSON.stringify(body, null, 2)}\n` : JSON.stringify(body));
    };
    try {
      if (this.cluster.latencyMs > 0) await sleep(this.cluster.latencyMs);
      const fault = this.cluster.takeFault(method, url.pathname);
      if (fault?.isConnectionDropped) {
        record.status = -1;
        res.destroy();
        return;
      }
      if (fault) throw SimCluster.faultError(fault);
      const route = parseRoute(url.pathname, this.api.registry);
      if (route.kind === 'version') return reply(200, versionInfo(this.serverVersion()));
      if (route.kind === 'health') return reply(200, 'ok', 'text/plain; charset=utf-8');
      const role = this.authenticate(req);
      const hasBody = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE';
      const raw = hasBody ? await req.readBody(this.cluster.options.maxBodyBytes) : undefined;
      if (raw && raw.length > 0 && this.cluster.isRecordingRequests) record.body = raw.toString('utf8').slice(0, 65536);
      if (route.kind !== 'resource') {
        if (!READ_METHODS.has(method)) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
        return reply(200, this.document(route));
      }
      this.resource(route, method, url, req, raw, role, reply, res, record);
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, StatusReason.InternalError, `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
      reply(e.code, e.toStatus());
    } finally {
      this.cluster.recordRequest(record);
    }
  }

  private serverVersion(): { major: string; minor: string; gitVersion: string } {
    const v = this.cluster.options.serverVersion;
    const [major = '1', minor = '0'] = v.replace(/^v/, '').split('.');
    return { major, minor, gitVersion: v };
  }

  private authenticate(req: IncomingRequest): Role {
    const auth = req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const role = this.cluster.roleOf(m?.[1]);
    if (!role) throw new ApiError(401, StatusReason.Unauthorized, 'Unauthorized');
    return role;
  }

  // ---- discovery and OpenAPI ----

  private openapiDocs(): Map<string, { doc: JsonObject; hash: string }> {
    const generation = this.api.registry.version;
    if (this.openapiCache?.generation !== generation) this.openapiCache = { generation, docs: new Map() };
    return this.openapiCache.docs;
  }

  private openapiDoc(gv: string): { doc: JsonObject; hash: string } | undefined {
    const docs = this.openapiDocs();
    let entry = docs.get(gv);
    if (!entry) {
      const doc = openApiGroupVersion(this.api.registry, gv);
      if (!doc) return undefined;
      entry = { doc, hash: openApiHash(doc) };
      docs.set(gv, entry);
    }
    return entry;
  }

  private document(route: Exclude<Route, { kind: 'resource' }>): JsonObject {
    const registry = this.api.registry;
    let doc: JsonObject | undefined;
    switch (route.kind) {
      case 'apiVersions':
        doc = apiVersions(this.serverAddress());
        break;
      case 'apiGroupList':
        doc = apiGroupList(registry);
        break;
      case 'apiGroup':
        doc = apiGroupDoc(registry, route.group);
        break;
      case 'resourceList':
        doc = apiResourceList(registry, route.gv);
        break;
      case 'openapiIndex':
        doc = openApiIndex(registry, (gv) => this.openapiDoc(gv)?.hash ?? '');
        break;
      case 'openapiGroupVersion':
        doc = this.openapiDoc(route.gv)?.doc;
        break;
      case 'openapiV2':
      case 'unknown':
      case 'version':
      case 'health':
        doc = undefined;
        break;
    }
    if (!doc) throw NOT_FOUND_RESOURCE();
    return doc;
  }

  // ---- resources ----

  private selector(url: URL, rt: ResourceType): Selector {
    try {
      return {
        labels: parseLabelSelector(url.searchParams.get('labelSelector') ?? ''),
        fields: parseFieldSelector(url.searchParams.get('fieldSelector') ?? '', rt.kind),
      };
    } catch (err) {
      if (err instanceof SelectorError) throw new ApiError(400, StatusReason.BadRequest, err.message, undefined, { cause: err });
      throw err;
    }
  }

  private writeOptions(url: URL, req: IncomingRequest, body: Json | undefined): WriteOptions {
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) throw errors.badRequest(`Invalid dry run value: ${JSON.stringify(dryRun.find((d) => d !== 'All'))}: valid values are "All"`);
    const validation = url.searchParams.get('fieldValidation');
    if (validation !== null && !['Ignore', 'Warn', 'Strict', ''].includes(validation)) {
      throw errors.badRequest(`fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Warn", "Strict"`);
    }
    const fieldManager = url.searchParams.get('fieldManager') ?? undefined;
    if (fieldManager !== undefined && fieldManager.length > 128) throw errors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
    const bodyDryRun = isObject(body) && body['kind'] === 'DeleteOptions' && Array.isArray(body['dryRun']) && body['dryRun'].includes('All');
    return {
      isDryRun: dryRun.length > 0 || bodyDryRun,
      fieldManager: fieldManager === '' ? undefined : fieldManager,
      isForce: isTrue(url.searchParams.get('force')),
      userAgent: req.header('user-agent') ?? '',
    };
  }

  private resource(
    route: Extract<Route, { kind: 'resource' }>,
    method: string,
    url: URL,
    req: IncomingRequest,
    raw: Buffer | undefined,
    role: Role,
    reply: (status: number, body: JsonObject) => void,
    res: ResponseSink,
    record: { status: number },
  ): void {
    const rt = this.api.registry.lookup(route.group, route.version, route.plural);
    if (!rt) throw NOT_FOUND_RESOURCE();
    const sub = route.subresource;
    if (sub !== undefined && !(rt.subresources as readonly string[]).includes(sub)) throw NOT_FOUND_RESOURCE();
    if (!rt.isNamespaced && route.namespace !== undefined) throw NOT_FOUND_RESOURCE();
    if (rt.isNamespaced && route.namespace === undefined && route.name !== undefined) throw NOT_FOUND_RESOURCE();
    const isWatch = route.isLegacyWatch || isTrue(url.searchParams.get('watch'));
    const verb = verbOf(method, route, isWatch);
    if (!rt.verbs.includes(verb)) throw errors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    const parsed = raw ? parseBody(method, req.header('content-type'), raw) : { body: undefined };
    if (rt.group === 'authorization.k8s.io' || rt.group === 'authentication.k8s.io') return reply(201, review(rt, parsed.body, role));
    if (role === Role.ReadOnly && !READ_METHODS.has(method)) throw forbidden(role, verb, rt, sub, route.namespace, route.name);
    const format = negotiate(req.header('accept'), true);
    const namespace = route.namespace ?? '';
    const target: Target = { rt, namespace, name: route.name ?? '', subresource: (sub ?? '') as SubresourceName };
    const present = (obj: KubeObject): JsonObject => {
      if (format === ResponseFormat.PartialMetadata && obj['kind'] !== 'Scale') return partialMetadata(obj);
      if (format === ResponseFormat.Table && obj['kind'] !== 'Scale') return this.table(rt, [obj], url, true);
      return obj;
    };
    switch (method) {
      case 'GET':
      case 'HEAD': {
        if (route.name !== undefined) return reply(200, present(this.api.get(target)));
        if (isWatch) return this.watch(rt, route.namespace, url, format, res, record);
        const list = this.api.list(rt, route.namespace, this.listOptions(url, rt));
        if (format === ResponseFormat.PartialMetadata) return reply(200, partialMetadataList(list));
        if (format === ResponseFormat.Table) return reply(200, this.table(rt, (list['items'] as KubeObject[] | undefined) ?? [], url, true, str(getIn(list, ['metadata', 'resourceVersion']))));
        return reply(200, list);
      }
      case 'POST': {
        if (route.name !== undefined || route.namespace === undefined && rt.isNamespaced) {
          throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        }
        if (parsed.body === undefined) throw errors.badRequest('the request body is empty: send the object to create');
        const result = this.api.create(target, parsed.body, this.writeOptions(url, req, parsed.body));
        return reply(201, present(result.object));
      }
      case 'PUT': {
        if (route.name === undefined) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        if (parsed.body === undefined) throw errors.badRequest('the request body is empty: send the whole object');
        const result = this.api.update(target, parsed.body, this.writeOptions(url, req, parsed.body));
        return reply(result.isCreated ? 201 : 200, present(result.object));
      }
      case 'PATCH': {
        if (route.name === undefined) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        if (parsed.patchType === undefined || parsed.body === undefined) throw errors.badRequest('the patch body is empty');
        const result = this.api.patch(target, parsed.patchType, parsed.body, this.writeOptions(url, req, parsed.body));
        return reply(result.isCreated ? 201 : 200, present(result.object));
      }
      case 'DELETE': {
        const wo = this.writeOptions(url, req, parsed.body);
        const preconditions = isObject(parsed.body) && isObject(parsed.body['preconditions']) ? parsed.body['preconditions'] : undefined;
        if (route.name === undefined) {
          return reply(200, this.api.deleteCollection(rt, route.namespace, this.selector(url, rt), { isDryRun: wo.isDryRun }));
        }
        const pre: { uid?: string; resourceVersion?: string } = {};
        const uid = str(preconditions?.['uid']);
        const rv = str(preconditions?.['resourceVersion']);
        if (uid !== undefined) pre.uid = uid;
        if (rv !== undefined) pre.resourceVersion = rv;
        const result = this.api.delete(target, { isDryRun: wo.isDryRun, preconditions: pre });
        const isPending = getIn(result.object, ['metadata', 'deletionTimestamp']) !== undefined && this.api.store.get(`${rt.group}/${rt.plural}`, rt.isNamespaced ? namespace : '', target.name) !== undefined;
        return reply(isPending && !wo.isDryRun ? 202 : 200, present(result.object));
      }
      default:
        throw errors.methodNotAllowed(`the server does not allow the method ${method}`);
    }
  }

  private listOptions(url: URL, rt: ResourceType): ListOptions {
    const opts: ListOptions = { selector: this.selector(url, rt) };
    const limit = url.searchParams.get('limit');
    if (limit !== null && limit !== '') {
      const n = Number(limit);
      if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`limit: Invalid value: ${JSON.stringify(limit)}: must be a non-negative integer`);
      opts.limit = n;
    }
    const cont = url.searchParams.get('continue');
    if (cont) opts.continueToken = cont;
    return opts;
  }

  private table(rt: ResourceType, objects: readonly KubeObject[], url: URL, isHeaderIncluded: boolean, resourceVersion?: string): JsonObject {
    const include = url.searchParams.get('includeObject');
    const includeObject: IncludeObject = include === 'None' || include === 'Object' ? include : 'Metadata';
    const crd = rt.crdName !== undefined ? this.cluster.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', '', rt.crdName) : undefined;
    const opts: Parameters<typeof tableOf>[2] = { now: new Date(), includeObject, isHeaderIncluded, resourceVersion: resourceVersion ?? String(this.api.store.resourceVersion) };
    if (crd) opts.crd = crd;
    return tableOf(rt, objects, opts);
  }

  private watch(rt: ResourceType, namespace: string | undefined, url: URL, format: ResponseFormat, res: ResponseSink, record: { status: number }): void {
    const rvRaw = url.searchParams.get('resourceVersion') ?? undefined;
    const rv = KubeApi.parseResourceVersion(rvRaw);
    if (rv !== undefined && Number.isNaN(rv)) throw errors.badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rvRaw)}: must be a non-negative integer`);
    const selector = this.selector(url, rt);
    const isSendInitialEvents = isTrue(url.searchParams.get('sendInitialEvents'));
    const isBookmarkAllowed = isTrue(url.searchParams.get('allowWatchBookmarks'));
    const timeoutRaw = Number(url.searchParams.get('timeoutSeconds') ?? '');
    const timeoutS = Number.isFinite(timeoutRaw) && timeoutRaw > 0 ? timeoutRaw : WATCH_TIMEOUT_DEFAULT_S;
    record.status = 200;
    res.startStream(200, JSON_TYPE);
    this.cluster.watchOpened();
    let isHeaderSent = false;
    const send = (type: string, object: JsonObject): void => {
      let out = object;
      if (type !== WatchEventType.Bookmark && type !== WatchEventType.Error) {
        if (format === ResponseFormat.Table) {
          out = this.table(rt, [object], url, !isHeaderSent, str(getIn(object, ['metadata', 'resourceVersion'])));
          isHeaderSent = true;
        } else if (format === ResponseFormat.PartialMetadata) {
          out = partialMetadata(object);
        }
      }
      res.write(`${JSON.stringify({ type, object: out })}\n`);
    };
    const gv = groupVersion(rt);
    const bookmark = (annotations?: JsonObject): void => {
      const m: JsonObject = { resourceVersion: String(this.api.store.resourceVersion) };
      if (annotations) m['annotations'] = annotations;
      send(WatchEventType.Bookmark, { kind: rt.kind, apiVersion: gv, metadata: m });
    };
    let stop: (() => void) | undefined;
    const timers: NodeJS.Timeout[] = [];
    let isClosed = false;
    const close = (): void => {
      if (isClosed) return;
      isClosed = true;
      stop?.();
      for (const t of timers) clearTimeout(t);
      this.cluster.watchClosed();
    };
    res.onClose(close);
    try {
      stop = this.api.watch(rt, namespace, { selector, resourceVersion: rv, isSendInitialEvents }, (type, object) => {
        if (type === WatchEventType.Bookmark && !isBookmarkAllowed && !isSendInitialEvents) return;
        send(type, object);
      });
    } catch (err) {
      if (err instanceof ApiError) {
        // The real server answers an expired resourceVersion with an ERROR event in a 200 stream.
        send(WatchEventType.Error, statusBody(err.code, err.reason, err.message));
        res.end();
        close();
        return;
      }
      close();
      throw err;
    }
    if (isBookmarkAllowed) {
      const interval = setInterval(() => bookmark(), this.cluster.options.bookmarkIntervalMs);
      interval.unref();
      timers.push(interval);
    }
    const timeout = setTimeout(() => {
      if (isBookmarkAllowed) bookmark();
      res.end();
      close();
    }, timeoutS * 1000);
    timeout.unref();
    timers.push(timeout);
  }
}

