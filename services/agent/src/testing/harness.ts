/**
 * Integration-test harness: an in-process agent wired with the real adapters (client-node against
 * a kube-sim, NATS KV and JetStream with names private to the test), plus a collector of the
 * events it publishes and helpers to write desired state.
 */
import { randomBytes } from 'node:crypto';
import { decodeJson, kvKeys, subjects, type DriftlessEvent } from '@driftless/contracts';
import { createKubeClient } from '@driftless/kube';
import { connectNats, provision, wireSubject, type Provisioned, type ResourceNames } from '@driftless/nats';
import { createLogger, type Logger } from '@driftless/telemetry';
import { eventually } from '@driftless/testkit';
import { headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Agent } from '../agent.js';
import { KvDesiredSource, ObjectStoreManifests } from '../adapters/nats-desired.js';
import { NatsEventSink } from '../adapters/nats-events.js';
import { desiredState, type DesiredInput } from './desired.js';

export class EventCollector {
  readonly events: DriftlessEvent[] = [];
  private sub: Subscription | undefined;

  start(nc: NatsConnection, names: ResourceNames): void {
    this.sub = nc.subscribe(wireSubject(subjects.allEvents(), names.subjectPrefix), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.events.push(decodeJson(msg.data));
        } catch {
          // Not an event: ignore.
        }
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  of<T extends DriftlessEvent['type']>(type: T, component?: string): Extract<DriftlessEvent, { type: T }>[] {
    return this.events.filter(
      (e): e is Extract<DriftlessEvent, { type: T }> => e.type === type && (component === undefined || (e.data as { component?: string }).component === component),
    );
  }

  /** Waits for an event matching `predicate` and returns it. */
  async waitFor<T extends DriftlessEvent['type']>(
    type: T,
    predicate: (e: Extract<DriftlessEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Extract<DriftlessEvent, { type: T }>> {
    return eventually(() => this.of(type).find(predicate), { timeoutMs, what: `${type} event` });
  }
}

export interface AgentHarnessOptions {
  cluster: string;
  kubeconfig: string;
  nc: NatsConnection;
  provisioned: Provisioned;
  log?: Logger;
  maxBackoffMs?: number;
  heartbeatIntervalMs?: number;
}

export interface AgentHarness {
  agent: Agent;
  events: NatsEventSink;
  stop(): Promise<void>;
}

export function startAgent(o: AgentHarnessOptions): AgentHarness {
  const log = o.log ?? createLogger({ name: 'agent-test', level: 'silent' });
  const kube = createKubeClient({ kubeconfig: o.kubeconfig, requestTimeoutMs: 5_000 });
  const maxBackoffMs = o.maxBackoffMs ?? 1_000;
  const events = new NatsEventSink({ js: o.provisioned.js, subjectPrefix: o.provisioned.names.subjectPrefix, log, maxBackoffMs, publishTimeoutMs: 2_000 });
  const agent = new Agent({
    cluster: o.cluster,
    kube,
    source: new KvDesiredSource({ nc: o.nc, bucket: o.provisioned.names.desired, cluster: o.cluster, log, maxBackoffMs }),
    events,
    manifests: new ObjectStoreManifests(o.nc),
    log,
    inventoryNamespace: 'driftless-system',
    maxConcurrentReconciles: 4,
    applyConcurrency: 16,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 60_000,
    resyncIntervalMs: 600_000,
    crdWaitTimeoutMs: 20_000,
    maxBackoffMs,
    healthRecheckMs: 500,
  });
  agent.start();
  return {
    agent,
    events,
    stop: async () => {
      await agent.stop();
      events.stop();
      kube.close();
    },
  };
}

export async function connectAndProvision(servers: string, names: ResourceNames): Promise<{ nc: NatsConnection; provisioned: Provisioned }> {
  const nc = await connectNats({ servers, name: `agent-test-${randomBytes(3).toString('hex')}`, maxAttempts: 3 });
  const provisioned = await provision(nc, { names, duplicateWindowMs: 10_000 });
  return { nc, provisioned };
}

/** Writes a component's desired state into the KV bucket (optionally with a traceparent header). */
export async function putDesired(provisioned: Provisioned, input: DesiredInput, traceparent?: string): Promise<number> {
  const value = JSON.stringify(desiredState(input));
  const key = kvKeys.desired(input.cluster, input.component);
  if (traceparent === undefined) return provisioned.desired.put(key, value);
  // The watcher publishes with trace headers straight to the bucket's subject, as KV.put cannot carry them.
  const headers = natsHeaders();
  headers.set('traceparent', traceparent);
  const ack = await provisioned.js.publish(`$KV.${provisioned.names.desired}.${key}`, value, { headers });
  return ack.seq;
}

export async function deleteDesired(provisioned: Provisioned, cluster: string, component: string): Promise<void> {
  await provisioned.desired.delete(kvKeys.desired(cluster, component));
}
