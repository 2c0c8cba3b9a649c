/**
 * The desired-state source over the NATS KV bucket: a watch of this cluster's keys that first
 * delivers the latest value of each (never history) and then every change. The watch is
 * restarted after a reconnect and after any failure (with capped, jittered backoff): delivering a
 * key twice is harmless because the reconciler works from state, not from events.
 */
import type { Logger } from '@driftless/telemetry';
import { contextFromTraceParent, extractTraceContext, traceIdOf } from '@driftless/telemetry';
import type { Context } from '@opentelemetry/api';
import { kvKeys, parseDesiredKey } from '@driftless/contracts';
import { backoffDelayMs } from '@driftless/kube';
import { jetstream } from '@nats-io/jetstream';
import type { KvWatchEntry } from '@nats-io/kv';
import { openKv, openObjectStore } from '@driftless/nats';
import type { MsgHdrs, NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import { InvalidDesiredStateError } from '../core/desired.js';
import { parseManifestBlob } from '../reconciler.js';
import type { DesiredStateSource, DesiredUpdate, ManifestStore } from '../ports.js';

export interface KvDesiredSourceOptions {
  nc: NatsConnection;
  bucket: string;
  cluster: string;
  log: Logger;
  maxBackoffMs: number;
}

/**
 * The headers a KV entry's message carried. nats.js does not expose them on KvEntry; the entry
 * keeps the underlying message as `sm`, and the trace context is only there.
 */
/** The commit's trace: from the entry's headers when it has them, else from the value's traceparent. */
function traceContextOf(entry: KvWatchEntry): Context {
  const fromHeaders = extractTraceContext(headersOf(entry));
  if (traceIdOf(fromHeaders) !== undefined || entry.operation !== 'PUT') return fromHeaders;
  try {
    const { traceparent, tracestate } = entry.json<{ traceparent?: unknown; tracestate?: unknown }>();
    return contextFromTraceParent({
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
      ...(typeof tracestate === 'string' ? { tracestate } : {}),
    });
  } catch {
    // A malformed value is reported by the reconciler; it simply starts a new trace.
    return fromHeaders;
  }
}

function headersOf(entry: KvWatchEntry): MsgHdrs | undefined {
  const message = (entry as { sm?: { headers?: MsgHdrs; header?: MsgHdrs } }).sm;
  return message?.headers ?? message?.header;
}

/** How many entries the watch will deliver before it is caught up (0 when there are none). */
async function initialCount(iterator: QueuedIterator<KvWatchEntry>): Promise<number | undefined> {
  const consumer = (iterator as { _data?: { info?: (cached: boolean) => Promise<{ num_pending?: number }> } })._data;
  try {
    return (await consumer?.info?.(true))?.num_pending;
  } catch {
    return undefined;
  }
}

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

export class KvDesiredSource implements DesiredStateSource {
  private isWatching = false;
  private current: QueuedIterator<KvWatchEntry> | undefined;

  constructor(private readonly o: KvDesiredSourceOptions) {}

  isConnected(): boolean {
    return this.isWatching && !this.o.nc.isClosed();
  }

  async run(onUpdate: (update: DesiredUpdate) => void, onSynced: () => void, signal: AbortSignal): Promise<void> {
    const log = this.o.log.child({ bucket: this.o.bucket });
    const onAbort = () => this.current?.stop();
    signal.addEventListener('abort', onAbort, { once: true });
    void this.restartOnReconnect(signal, log);
    let attempt = 0;
    let isSynced = false;
    while (!signal.aborted && !this.o.nc.isClosed()) {
      try {
        const kv = await openKv(jetstream(this.o.nc), this.o.bucket);
        const iterator = await kv.watch({ key: kvKeys.desiredOf(this.o.cluster) });
        this.current = iterator;
        this.isWatching = true;
        attempt = 0;
        const count = await initialCount(iterator);
        if (count === 0 && !isSynced) {
          isSynced = true;
          onSynced();
        }
        log.info({ initial: count }, 'watching desired state');
        for await (const entry of iterator) {
          const parsed = parseDesiredKey(entry.key);
          if (parsed?.cluster !== this.o.cluster) continue;
          onUpdate({
            component: parsed.component,
            revision: entry.revision,
            value: entry.operation === 'PUT' ? entry.value : undefined,
            traceContext: traceContextOf(entry),
          });
          if (!isSynced && entry.delta === 0) {
            isSynced = true;
            onSynced();
          }
        }
        this.isWatching = false;
        if (!signal.aborted) log.info('desired-state watch ended; restarting it');
      } catch (err) {
        this.isWatching = false;
        if (signal.aborted) break;
        attempt += 1;
        const delayMs = backoffDelayMs(attempt, { baseDelayMs: 500, maxDelayMs: this.o.maxBackoffMs });
        log.warn({ err: (err as Error).message, attempt, delayMs }, 'cannot watch desired state, retrying');
        await sleep(delayMs, signal);
      }
    }
    this.isWatching = false;
    signal.removeEventListener('abort', onAbort);
  }

  /** After a reconnect the server may have lost the watch's consumer: start a fresh one. */
  private async restartOnReconnect(signal: AbortSignal, log: Logger): Promise<void> {
    for await (const status of this.o.nc.status()) {
      if (signal.aborted) break;
      if (status.type === 'reconnect') {
        log.info('reconnected to NATS; restarting the desired-state watch');
        this.current?.stop();
      }
    }
  }
}

/** Manifests too large to inline, from the object store, by name (their content hash). */
export class ObjectStoreManifests implements ManifestStore {
  constructor(private readonly nc: NatsConnection) {}

  async load(store: string, name: string): Promise<unknown[]> {
    const os = await openObjectStore(jetstream(this.nc), store);
    const result = await os.getBlob(name);
    if (!result) throw new InvalidDesiredStateError(`manifests ${name} are not in object store ${store}`);
    return parseManifestBlob(result);
  }
}
