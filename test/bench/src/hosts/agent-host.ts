/**
 * Host process: one real agent per cluster in `BENCH_AGENT_CLUSTERS`, each wired as the agent's
 * main.ts wires it (its own NATS connection, KV desired-state source, JetStream event sink and
 * client-node client with one keep-alive pool). Only observation is added: the moment each
 * desired-state update reaches an agent, and the agents' counters.
 */
import { field, loadConfig } from '@driftless/config';
import { Agent, KvDesiredSource, loadAgentConfig, NatsEventSink, ObjectStoreManifests, type DesiredStateSource, type DesiredUpdate, type EventSink } from '@driftless/agent';
import type { DriftlessEvent } from '@driftless/contracts';
import { createKubeClient } from '@driftless/kube';
import { connectNats } from '@driftless/nats';
import { createLogger } from '@driftless/telemetry';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { AgentHostStatus, ReceivedUpdate, ResyncResult } from '../core/host-types.js';
import { notify, serve } from './ipc.js';

const config = loadConfig(
  {
    clusters: field.list({ env: 'BENCH_AGENT_CLUSTERS', doc: 'Clusters to run an agent for, comma-separated', example: 'cluster-1,cluster-2' }),
    natsUrl: field.string({ env: 'BENCH_NATS_URL', doc: 'NATS server', example: 'nats://127.0.0.1:4222' }),
    kubeconfigPath: field.string({ env: 'BENCH_KUBECONFIG', doc: 'Fleet kubeconfig with one context per cluster', example: 'kubeconfig.yaml' }),
    logLevel: field.string({ env: 'BENCH_LOG_LEVEL', doc: 'Agent log level', example: 'warn', default: 'warn' }),
  },
  process.env,
);

/** Latest update seen per `<cluster>.<component>`. */
const received = new Map<string, ReceivedUpdate>();
let appliedEvents = 0;

/** The real source, plus a note of when each update arrived. */
class ObservedSource implements DesiredStateSource {
  constructor(
    private readonly cluster: string,
    private readonly inner: DesiredStateSource,
  ) {}

  run(onUpdate: (update: DesiredUpdate) => void, onSynced: () => void, signal: AbortSignal): Promise<void> {
    return this.inner.run(
      (update) => {
        received.set(`${this.cluster}.${update.component}`, { cluster: this.cluster, component: update.component, revision: update.revision, atMs: Date.now() });
        onUpdate(update);
      },
      onSynced,
      signal,
    );
  }

  isConnected(): boolean {
    return this.inner.isConnected();
  }
}

/** The real sink, counting `applied` events. */
class CountingSink implements EventSink {
  constructor(private readonly inner: NatsEventSink) {}

  publish(event: DriftlessEvent): void {
    if (event.type === 'driftless.agent.applied.v1') appliedEvents += 1;
    this.inner.publish(event);
  }

  publishVolatile(event: DriftlessEvent): void {
    this.inner.publishVolatile(event);
  }

  pending(): number {
    return this.inner.pending();
  }
}

interface Running {
  cluster: string;
  agent: Agent;
  events: NatsEventSink;
  nc: NatsConnection;
  close: () => void;
}

async function startAgent(cluster: string): Promise<Running> {
  // The agent's own configuration code, so every default is the production one.
  const agentConfig = loadAgentConfig({
    DRIFTLESS_CLUSTER: cluster,
    DRIFTLESS_NATS_URL: config.natsUrl,
    DRIFTLESS_KUBECONFIG: config.kubeconfigPath,
    DRIFTLESS_KUBE_CONTEXT: cluster,
    DRIFTLESS_LOG_LEVEL: config.logLevel,
  });
  const log = createLogger({ name: 'driftless-agent', level: agentConfig.logLevel, bindings: { cluster } });
  const kube = createKubeClient({
    kubeconfigPath: config.kubeconfigPath,
    context: cluster,
    requestTimeoutMs: agentConfig.requestTimeoutMs,
    maxSockets: Math.max(agentConfig.applyConcurrency, 8),
  });
  const nc = await connectNats({ servers: agentConfig.natsServers, name: `driftless-agent-${cluster}`, maxAttempts: 10, maxDelayMs: agentConfig.maxBackoffMs, log });
  const events = new NatsEventSink({ js: jetstream(nc), subjectPrefix: agentConfig.subjectPrefix, log: log.child({ unit: 'events' }), maxBackoffMs: agentConfig.maxBackoffMs });
  const agent = new Agent({
    cluster,
    kube,
    source: new ObservedSource(cluster, new KvDesiredSource({ nc, bucket: agentConfig.desiredBucket, cluster, log, maxBackoffMs: agentConfig.maxBackoffMs })),
    events: new CountingSink(events),
    manifests: new ObjectStoreManifests(nc),
    log,
    inventoryNamespace: agentConfig.inventoryNamespace,
    maxConcurrentReconciles: agentConfig.maxConcurrentReconciles,
    applyConcurrency: agentConfig.applyConcurrency,
    heartbeatIntervalMs: agentConfig.heartbeatIntervalMs,
    resyncIntervalMs: agentConfig.resyncIntervalMs,
    crdWaitTimeoutMs: agentConfig.crdWaitTimeoutMs,
    maxBackoffMs: agentConfig.maxBackoffMs,
  });
  agent.start();
  return { cluster, agent, events, nc, close: () => kube.close() };
}

const agents: Running[] = [];
for (const cluster of config.clusters) agents.push(await startAgent(cluster));

function status(): AgentHostStatus {
  const out: AgentHostStatus = { agents: agents.length, readyAgents: 0, appliedEvents, pendingEvents: 0, reconciles: 0, writes: 0, reads: 0, failures: 0 };
  for (const { agent, events } of agents) {
    if (agent.readiness().isReady) out.readyAgents += 1;
    out.pendingEvents += events.pending();
    out.reconciles += agent.stats.reconciles;
    out.writes += agent.stats.writes;
    out.reads += agent.stats.reads;
    out.failures += agent.stats.failures;
  }
  return out;
}

/** What the periodic resync does (every component re-checked from a fresh inventory), now. */
async function resync(): Promise<ResyncResult> {
  const before = status();
  const startedMs = performance.now();
  let components = 0;
  await Promise.all(
    agents.map(async ({ agent }) => {
      agent.reconciler.invalidateCaches();
      const queue = agent.reconciler.components();
      components += queue.length;
      // As many at once as the agent's own queue would run.
      const workers = Array.from({ length: 4 }, async () => {
        for (let next = queue.shift(); next !== undefined; next = queue.shift()) await agent.reconciler.reconcile(next);
      });
      await Promise.all(workers);
    }),
  );
  const after = status();
  return { components, durationMs: performance.now() - startedMs, writes: after.writes - before.writes, reads: after.reads - before.reads };
}

serve(
  {
    status: () => status(),
    received: (payload) => {
      const component = (payload as { component: string }).component;
      return [...received.values()].filter((r) => r.component === component);
    },
    idle: async () => {
      await Promise.all(agents.map(({ agent }) => agent.idle()));
      return status();
    },
    resync: () => resync(),
  },
  async () => {
    await Promise.all(
      agents.map(async ({ agent, events, nc, close }) => {
        await agent.stop();
        await events.drain(2_000);
        events.stop();
        await nc.drain().catch(() => undefined);
        close();
      }),
    );
  },
);
await notify('started', { agents: agents.length });
