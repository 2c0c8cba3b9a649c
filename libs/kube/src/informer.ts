/**
 * A list-then-watch loop for one kind (an informer without a cache): it lists, reports every
 * object, then watches from the list's resourceVersion, relisting when the server says the
 * version is too old (410 Gone) and backing off (capped, jittered) while the server is unreachable.
 * It remembers only each object's key and resourceVersion, so a relist can report deletions it
 * missed; keeping the objects is the caller's choice.
 */
import { backoffDelayMs, type BackoffOptions } from './core/decision.js';
import { objectKey, type KubeObject } from './core/objects.js';
import { isKubeFailure, WatchEventType, type KubeClient } from './client.js';

export interface InformerOptions {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  /** Objects per list page. */
  pageSize?: number;
  /** How long one watch request lasts before it is renewed. */
  watchTimeoutSeconds?: number;
  backoff?: BackoffOptions;
}

export interface InformerHandlers {
  onUpsert(object: KubeObject): void;
  onDelete(key: string, object: KubeObject | undefined): void;
  /** After every complete (re)list: the view is now current. */
  onSynced?(): void;
  /** A failure the informer will retry after `delayMs`. */
  onError?(err: unknown, delayMs: number): void;
}

export interface Informer {
  isSynced(): boolean;
  /** Settles when the signal stops the informer. */
  readonly done: Promise<void>;
}

const QUICK_END_MS = 1_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function startInformer(client: KubeClient, options: InformerOptions, handlers: InformerHandlers, signal: AbortSignal): Informer {
  let isSynced = false;
  const known = new Map<string, string>();

  async function listAll(): Promise<string> {
    const seen = new Set<string>();
    let resourceVersion = '';
    let continueToken: string | undefined;
    // In pages, so thousands of objects never sit in memory as one response.
    do {
      const list = await client.list(options.apiVersion, options.kind, {
        ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
        limit: options.pageSize ?? 250,
        ...(continueToken === undefined ? {} : { continueToken }),
      });
      if (resourceVersion === '') resourceVersion = list.resourceVersion;
      continueToken = list.continueToken;
      for (const item of list.items) {
        // A List's items may omit apiVersion/kind.
        const object: KubeObject = { ...item, apiVersion: item.apiVersion ?? options.apiVersion, kind: item.kind ?? options.kind };
        const key = objectKey(object);
        seen.add(key);
        known.set(key, object.metadata.resourceVersion ?? '');
        handlers.onUpsert(object);
      }
    } while (continueToken !== undefined && !signal.aborted);
    for (const key of [...known.keys()]) {
      if (seen.has(key)) continue;
      known.delete(key);
      handlers.onDelete(key, undefined);
    }
    isSynced = true;
    handlers.onSynced?.();
    return resourceVersion;
  }

  async function run(): Promise<void> {
    let attempt = 0;
    let resourceVersion: string | undefined;
    while (!signal.aborted) {
      try {
        resourceVersion ??= await listAll();
        if (signal.aborted) break;
        const startedAt = Date.now();
        let events = 0;
        await client.watch(
          options.apiVersion,
          options.kind,
          {
            ...(options.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
            resourceVersion,
            timeoutSeconds: options.watchTimeoutSeconds ?? 300,
          },
          (type, object) => {
            events += 1;
            if (object.metadata.resourceVersion !== undefined) resourceVersion = object.metadata.resourceVersion;
            if (type === WatchEventType.bookmark) return;
            const key = objectKey(object);
            if (type === WatchEventType.deleted) {
              known.delete(key);
              handlers.onDelete(key, object);
            } else {
              known.set(key, object.metadata.resourceVersion ?? '');
              handlers.onUpsert(object);
            }
          },
          signal,
        );
        attempt = 0;
        // A watch the server ends at once, over and over, must not become a hot loop.
        if (events === 0 && Date.now() - startedAt < QUICK_END_MS) await sleep(backoffDelayMs(1, options.backoff), signal);
      } catch (err) {
        if (signal.aborted) break;
        if (isKubeFailure(err) && err.statusCode === 410) {
          // Too old: the only way forward is a fresh list.
          resourceVersion = undefined;
          continue;
        }
        attempt += 1;
        resourceVersion = undefined;
        isSynced = false;
        const delayMs = backoffDelayMs(attempt, options.backoff);
        handlers.onError?.(err, delayMs);
        await sleep(delayMs, signal);
      }
    }
  }

  return { isSynced: () => isSynced, done: run() };
}
