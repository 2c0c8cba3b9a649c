/** The narrow interfaces the agent's reconcile loop needs; adapters implement them, tests fake them. */
import type { Context } from '@opentelemetry/api';
import type { DriftlessEvent } from '@driftless/contracts';

export type { KubeClient } from '@driftless/kube';

/** The latest desired state of one component, as the source last saw it. */
export interface DesiredUpdate {
  component: string;
  /** The source's revision of the key (KV sequence): higher is newer. */
  revision: number;
  /** The raw value; undefined when the key was deleted (the component is removed from the cluster). */
  value: Uint8Array | undefined;
  /** The trace context the desired state travelled with. */
  traceContext: Context;
}

export interface DesiredStateSource {
  /**
   * Delivers the latest state of every component of this cluster, then every change, until
   * `signal` aborts. Level-based: after a reconnect it may deliver a key again; never history.
   * `onSynced` is called once the initial values have been delivered.
   */
  run(onUpdate: (update: DesiredUpdate) => void, onSynced: () => void, signal: AbortSignal): Promise<void>;
  /** Whether the source is connected and watching. */
  isConnected(): boolean;
}

/** Where manifests too large to inline live, by content hash. */
export interface ManifestStore {
  load(store: string, name: string): Promise<unknown[]>;
}

export interface EventSink {
  /** Queues an event for publishing; it is retried until delivered (a re-publish deduplicates by id). */
  publish(event: DriftlessEvent): void;
  /** Publishes now if possible, dropped otherwise (heartbeats: the next one carries the news). */
  publishVolatile(event: DriftlessEvent): void;
  /** Events waiting to be delivered. */
  pending(): number;
}
