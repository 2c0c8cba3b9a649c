/**
 * The KubeClient port over `@kubernetes/client-node` 1.x: server-side apply through
 * `KubernetesObjectApi.patch` with `PatchStrategy.ServerSideApply` under one field manager,
 * discovery through the same client's resource cache, and watches through its `Watch`.
 *
 * Two deliberate departures from the defaults, both for the apply path's cost:
 * - objects travel as plain JSON (a pass-through serializer is registered per kind), so nothing
 *   is dropped by the typed models and no Date objects appear in what the core compares;
 * - one keep-alive connection pool is shared by all requests (client-node builds a new agent per
 *   request, which costs a TLS handshake every time).
 */
import http from 'node:http';
import https from 'node:https';
import {
  ApiException,
  createConfiguration,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  Watch,
  RequestContext,
  type Configuration,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { ObjectSerializer, type Serializer } from '@kubernetes/client-node/dist/serializer.js';
import type { ObjectRef } from '@driftless/contracts';
import { FIELD_MANAGER } from '../core/drift.js';
import { describeRef, groupOf, isPlainObject, type KubeObject } from '../core/objects.js';
import { kubeError, type KubeClient, type ListOptions, type ObjectList, type ResourceInfo, type WatchEventType, type WatchOptions } from '../client.js';

const AUTH_TTL_MS = 30_000;

export interface KubeConfigSource {
  /** Kubeconfig YAML text. */
  kubeconfig?: string;
  /** Path of a kubeconfig file. */
  kubeconfigPath?: string;
  /** Use the pod's service account (`/var/run/secrets/kubernetes.io/serviceaccount`). */
  isInCluster?: boolean;
  /** The kubeconfig context to use; the current context by default. */
  context?: string;
}

export interface ClientNodeOptions extends KubeConfigSource {
  fieldManager?: string;
  /** Upper bound on one API request, after which it fails as unavailable. */
  requestTimeoutMs?: number;
  /** Connections kept open to the API server. */
  maxSockets?: number;
}

/** Loads a kubeconfig from text, a file, the in-cluster service account, or the default locations, in that order. */
export function loadKubeConfig(source: KubeConfigSource): KubeConfig {
  const kc = new KubeConfig();
  if (source.kubeconfig !== undefined) kc.loadFromString(source.kubeconfig);
  else if (source.kubeconfigPath !== undefined) kc.loadFromFile(source.kubeconfigPath);
  else if (source.isInCluster === true) kc.loadFromCluster();
  else kc.loadFromDefault();
  if (source.context !== undefined) kc.setCurrentContext(source.context);
  if (!kc.getCurrentCluster()) throw new Error('the kubeconfig names no current cluster');
  return kc;
}

const passThrough: Serializer = {
  serialize: (data: unknown) => data,
  deserialize: (data: unknown) => data,
};
const registered = new Set<string>();

/** Makes client-node send and return objects of this kind (and its List) as plain JSON. */
function registerPlainJson(apiVersion: string): (kind: string) => void {
  return (kind) => {
    const id = `${apiVersion}/${kind}`;
    if (registered.has(id)) return;
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    for (const k of [kind, `${kind}List`]) {
      try {
        ObjectSerializer.registerModel({ group, version, kind: k }, passThrough);
      } catch {
        // Already registered (by another client in this process): the same pass-through is fine.
      }
    }
    registered.add(id);
  };
}

function plainJson(apiVersion: string, kind: string): void {
  registerPlainJson(apiVersion)(kind);
}

// Objects of registered kinds cross client-node as plain JSON (see registerPlainJson), so these
// casts only tell the compiler what the pass-through serializer guarantees at run time.
function asSdk(object: KubeObject): KubernetesObject {
  return object as unknown as KubernetesObject;
}
function fromSdk(object: KubernetesObject): KubeObject {
  return object as unknown as KubeObject;
}

/** Exposes the discovery cache KubernetesObjectApi keeps for itself. */
class ObjectApi extends KubernetesObjectApi {
  async resourceOf(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const resource = await this.resource(apiVersion, kind);
    if (!resource) return undefined;
    return { apiVersion, kind, plural: resource.name, isNamespaced: resource.namespaced };
  }

  forget(apiVersion: string): void {
    delete this.apiVersionResourceCache[apiVersion];
  }

  setNamespace(namespace: string): void {
    this.defaultNamespace = namespace;
  }
}

function keepAliveAgent(agent: http.Agent | https.Agent | undefined, maxSockets: number): http.Agent | https.Agent | undefined {
  if (agent === undefined) return undefined;
  // Only plain agents are rebuilt; a proxy agent is used as it comes.
  const ctor = agent.constructor;
  if (ctor !== https.Agent && ctor !== http.Agent) return agent;
  const { options } = agent as http.Agent & { options: https.AgentOptions };
  const shared = { ...options, keepAlive: true, maxSockets, scheduling: 'lifo' as const };
  return ctor === https.Agent ? new https.Agent(shared) : new http.Agent(shared);
}

function statusOfBody(body: unknown): { message?: string; reason?: string } {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      return body.trim() === '' ? {} : { message: body.trim().slice(0, 500) };
    }
  }
  if (!isPlainObject(value)) return {};
  return {
    ...(typeof value['message'] === 'string' ? { message: value['message'] } : {}),
    ...(typeof value['reason'] === 'string' ? { reason: value['reason'] } : {}),
  };
}

/** Translates whatever client-node threw into a domain error carrying the HTTP status. */
export function translateError(err: unknown, action: string, ref?: ObjectRef): Error {
  const what = ref === undefined ? action : `${action} ${describeRef(ref)}`;
  if (err instanceof ApiException) {
    const status = statusOfBody((err as ApiException<unknown>).body);
    const code = (err as ApiException<unknown>).code;
    return kubeError(`${what} failed: ${code} ${status.reason ?? ''} ${status.message ?? ''}`.replace(/\s+/g, ' ').trim(), {
      statusCode: code,
      reason: status.reason,
      ref,
      cause: err,
    });
  }
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number') return kubeError(`${what} failed: ${statusCode} ${(err as Error).message}`, { statusCode, ref, cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return kubeError(`${what} failed: API server unreachable (${message})`, { ref, cause: err });
}

/** A KubeClient over client-node. Call `close()` to drop the kept-alive connections. */
export function createKubeClient(options: ClientNodeOptions): KubeClient & { readonly kubeConfig: KubeConfig; readonly server: string; close(): void } {
  const kc = loadKubeConfig(options);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig names no current cluster');
  const { server } = cluster;
  const fieldManager = options.fieldManager ?? FIELD_MANAGER;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const maxSockets = options.maxSockets ?? 32;
  let agent: http.Agent | https.Agent | undefined;

  // client-node re-reads credentials and builds a TLS agent on every request, which costs more
  // CPU than the request itself. Credentials are resolved once per AUTH_TTL_MS instead (short
  // enough for rotating service-account tokens and exec plugins), over one keep-alive pool.
  let auth: { headers: Record<string, string>; expiresAt: number } | undefined;
  async function credentials(): Promise<Record<string, string>> {
    if (auth && Date.now() < auth.expiresAt) return auth.headers;
    const probe = new RequestContext(server, HttpMethod.GET);
    await kc.applySecurityAuthentication(probe);
    agent ??= keepAliveAgent(probe.getAgent(), maxSockets);
    auth = { headers: probe.getHeaders(), expiresAt: Date.now() + AUTH_TTL_MS };
    return auth.headers;
  }

  const configuration: Configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: {
      default: {
        getName: () => 'driftless-kubeconfig',
        async applySecurityAuthentication(context: RequestContext) {
          for (const [name, value] of Object.entries(await credentials())) context.setHeaderParam(name, value);
          if (agent) context.setAgent(agent);
          context.setSignal(AbortSignal.timeout(requestTimeoutMs));
        },
      },
    },
  });
  const api = new ObjectApi(configuration);
  api.setNamespace(kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default');
  const watcher = new Watch(kc);

  async function resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    try {
      return await api.resourceOf(apiVersion, kind);
    } catch (err) {
      const translated = translateError(err, `discovery of ${apiVersion} ${kind}`);
      // A group/version that is not served (yet) is a 404 on its discovery document.
      if ((translated as { statusCode?: number }).statusCode === 404) {
        api.forget(apiVersion);
        return undefined;
      }
      throw translated;
    }
  }

  function header(ref: ObjectRef): KubeObject {
    plainJson(ref.apiVersion, ref.kind);
    return { apiVersion: ref.apiVersion, kind: ref.kind, metadata: ref.namespace === undefined ? { name: ref.name } : { name: ref.name, namespace: ref.namespace } };
  }

  return {
    kubeConfig: kc,
    server: cluster.server,
    async apply(object, applyOptions = {}) {
      plainJson(object.apiVersion, object.kind);
      const ref = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }) };
      try {
        // client-node fills a defaulted namespace into the object it is given: give it a copy.
        const body = { ...object, metadata: { ...object.metadata } };
        const live = await api.patch(asSdk(body), undefined, applyOptions.isDryRun === true ? 'All' : undefined, fieldManager, true, PatchStrategy.ServerSideApply);
        return fromSdk(live);
      } catch (err) {
        throw translateError(err, 'apply', ref);
      }
    },
    async get(ref) {
      try {
        return fromSdk(await api.read(header(ref)));
      } catch (err) {
        const translated = translateError(err, 'get', ref);
        if ((translated as { statusCode?: number }).statusCode === 404) {
          // 404 for the object, or for its kind: only the first means "absent".
          const reason = (translated as { reason?: string }).reason;
          if (reason === 'NotFound' || (await resource(ref.apiVersion, ref.kind)) !== undefined) return undefined;
        }
        throw translated;
      }
    },
    async delete(ref) {
      try {
        await api.delete(asSdk(header(ref)), undefined, undefined, undefined, undefined, 'Background');
        return 'deleted';
      } catch (err) {
        const translated = translateError(err, 'delete', ref);
        if ((translated as { statusCode?: number }).statusCode === 404) return 'absent';
        throw translated;
      }
    },
    async list(apiVersion, kind, listOptions: ListOptions = {}): Promise<ObjectList> {
      plainJson(apiVersion, kind);
      try {
        const list = await api.list(
          apiVersion,
          kind,
          listOptions.namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          listOptions.labelSelector,
          listOptions.limit,
          listOptions.continueToken,
        );
        // Plain JSON (see registerPlainJson) keeps the wire name `continue`; the typed model calls it `_continue`.
        const metadata = list.metadata as { continue?: string; _continue?: string } | undefined;
        const continueToken = metadata?.continue ?? metadata?._continue;
        return {
          items: list.items.map(fromSdk),
          resourceVersion: list.metadata?.resourceVersion ?? '',
          ...(continueToken === undefined || continueToken === '' ? {} : { continueToken }),
        };
      } catch (err) {
        throw translateError(err, `list ${groupOf(apiVersion) === '' ? '' : `${groupOf(apiVersion)}/`}${kind}`);
      }
    },
    async watch(apiVersion, kind, watchOptions: WatchOptions, onEvent, signal) {
      const info = await resource(apiVersion, kind);
      if (!info) throw kubeError(`watch ${apiVersion} ${kind} failed: the kind is not served`, { statusCode: 404, reason: 'NotFound' });
      const prefix = groupOf(apiVersion) === '' ? `/api/${apiVersion}` : `/apis/${apiVersion}`;
      const path = `${prefix}/${info.plural}`;
      const query: Record<string, string | number | boolean | undefined> = {
        allowWatchBookmarks: true,
        labelSelector: watchOptions.labelSelector,
        resourceVersion: watchOptions.resourceVersion,
        timeoutSeconds: watchOptions.timeoutSeconds,
      };
      await new Promise<void>((resolve, reject) => {
        let failure: Error | undefined;
        let controller: AbortController | undefined;
        const onAbort = () => controller?.abort();
        const done = (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          if (failure) reject(failure);
          else if (err && !signal.aborted && (err as { name?: string }).name !== 'AbortError') reject(translateError(err, `watch ${kind}`));
          else resolve();
        };
        watcher
          .watch(
            path,
            query,
            (phase: string, object: unknown) => {
              if (phase === 'ERROR') {
                // The server reports watch failures (e.g. 410 Gone) as an ERROR event holding a Status.
                const status = isPlainObject(object) ? object : {};
                const code = typeof status['code'] === 'number' ? status['code'] : undefined;
                failure = kubeError(`watch ${kind} failed: ${code ?? ''} ${typeof status['message'] === 'string' ? status['message'] : ''}`.trim(), {
                  statusCode: code,
                  reason: typeof status['reason'] === 'string' ? status['reason'] : undefined,
                });
                controller?.abort();
                return;
              }
              if (isPlainObject(object)) onEvent(phase as WatchEventType, object as KubeObject);
            },
            done,
          )
          .then((c) => {
            controller = c;
            if (signal.aborted) c.abort();
            else signal.addEventListener('abort', onAbort, { once: true });
          })
          .catch(done);
      });
    },
    resource,
    close() {
      agent?.destroy();
    },
  };
}
