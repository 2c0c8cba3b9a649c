/**
 * The agent process: reads its configuration once, connects to NATS and the API server, wires
 * the agent, serves the optional HTTP port, and shuts down cleanly on SIGTERM/SIGINT.
 */
import { ConfigError, describeConfig } from '@driftless/config';
import { ForbiddenError } from '@driftless/contracts';
import { createKubeClient } from '@driftless/kube';
import { connectNats } from '@driftless/nats';
import { createLogger, createMetrics, startTelemetry } from '@driftless/telemetry';
import { jetstream } from '@nats-io/jetstream';
import { Agent, AGENT_VERSION } from './agent.js';
import { KvDesiredSource, ObjectStoreManifests } from './adapters/nats-desired.js';
import { NatsEventSink } from './adapters/nats-events.js';
import { createHttpServer, listen } from './adapters/http.js';
import { agentConfigSpec, loadAgentConfig, type AgentConfig } from './config.js';
import { enroll, planCredentials } from './enroll.js';

function readConfig(): AgentConfig {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`driftless-agent: applies this cluster's desired state from NATS and reports back.\n\nConfiguration (environment variables):\n${describeConfig(agentConfigSpec)}\n`);
    process.exit(0);
  }
  try {
    return loadAgentConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`driftless-agent: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const log = createLogger({ name: 'driftless-agent', level: config.logLevel, bindings: { cluster: config.cluster } });
  const telemetry = startTelemetry({ serviceName: 'driftless-agent', serviceVersion: AGENT_VERSION, env: process.env });

  const kube = createKubeClient({
    ...(config.kubeconfig === undefined ? { isInCluster: true } : { kubeconfigPath: config.kubeconfig }),
    ...(config.kubeContext === undefined ? {} : { context: config.kubeContext }),
    requestTimeoutMs: config.requestTimeoutMs,
    maxSockets: Math.max(config.applyConcurrency, 8),
  });
  // Credentials: an existing creds file, or enroll with the bootstrap token to get one.
  const plan = planCredentials(config);
  let inboxPrefix = config.natsInboxPrefix;
  if (plan.kind === 'enroll') {
    const enrolled = await enroll({ ...plan.options, log, maxBackoffMs: config.maxBackoffMs, requestTimeoutMs: config.requestTimeoutMs });
    inboxPrefix ??= enrolled.inboxPrefix;
  }
  // Without NATS there is nothing to do, but the cluster keeps its last applied state: keep trying.
  const nc = await connectNats({
    servers: config.natsServers,
    name: `driftless-agent-${config.cluster}`,
    maxAttempts: Number.POSITIVE_INFINITY,
    maxDelayMs: config.maxBackoffMs,
    log,
    ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
    ...(config.natsToken === undefined ? {} : { token: config.natsToken }),
    ...(config.natsUser === undefined ? {} : { user: config.natsUser }),
    ...(config.natsPassword === undefined ? {} : { pass: config.natsPassword }),
    ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
  });
  const events = new NatsEventSink({ js: jetstream(nc), subjectPrefix: config.subjectPrefix, log: log.child({ unit: 'events' }), maxBackoffMs: config.maxBackoffMs });
  const agent = new Agent({
    cluster: config.cluster,
    kube,
    source: new KvDesiredSource({ nc, bucket: config.desiredBucket, cluster: config.cluster, log, maxBackoffMs: config.maxBackoffMs }),
    events,
    manifests: new ObjectStoreManifests(nc),
    log,
    inventoryNamespace: config.inventoryNamespace,
    maxConcurrentReconciles: config.maxConcurrentReconciles,
    applyConcurrency: config.applyConcurrency,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    resyncIntervalMs: config.resyncIntervalMs,
    crdWaitTimeoutMs: config.crdWaitTimeoutMs,
    maxBackoffMs: config.maxBackoffMs,
  });
  agent.start();

  let server: ReturnType<typeof createHttpServer> | undefined;
  if (config.httpPort > 0) {
    const metrics = createMetrics({ serviceName: 'driftless-agent', prefix: 'driftless_agent' });
    const { stats } = agent;
    const counters = ['reconciles', 'writes', 'reads', 'applied', 'pruned', 'failures', 'driftDetected', 'driftCorrected'] as const;
    for (const name of counters) {
      metrics.meter.createObservableCounter(`${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`).addCallback((r) => r.observe(stats[name]));
    }
    metrics.meter.createObservableGauge('events_pending').addCallback((r) => r.observe(events.pending()));
    metrics.meter.createObservableGauge('components').addCallback((r) => r.observe(agent.reconciler.components().length));
    metrics.meter.createObservableGauge('managed_objects').addCallback((r) => r.observe(agent.live.size));
    server = createHttpServer({ readiness: () => agent.readiness(), renderMetrics: () => metrics.renderPrometheus() });
    const port = await listen(server, config.httpPort, config.httpHost);
    log.info({ port }, 'serving /healthz, /readyz and /metrics');
  }
  log.info({ agentVersion: AGENT_VERSION, server: kube.server }, 'agent started');

  let isStopping = false;
  const shutdown = (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    log.info({ signal }, 'stopping');
    void (async () => {
      server?.close();
      await agent.stop();
      await events.drain(5_000);
      events.stop();
      await nc.drain().catch(() => undefined);
      kube.close();
      await telemetry.shutdown();
      process.exit(0);
    })();
  };
  // A connection closed for good (credentials revoked or refused) leaves nothing to do: say why and stop.
  void nc.closed().then((err) => {
    if (isStopping) return;
    const reason = err instanceof Error ? err.message : 'closed';
    const isRefused = err instanceof Error && /authori[sz]ation|authentication|revoked|expired/i.test(`${err.name} ${err.message}`);
    const line = isRefused
      ? `NATS refused this agent's credentials (${reason}): cluster "${config.cluster}" was probably revoked; register it again and reinstall the agent with a new bootstrap token`
      : `the NATS connection closed for good (${reason})`;
    log.error({ reason }, line);
    process.stderr.write(`driftless-agent: ${line}\n`);
    process.exit(isRefused ? 3 : 1);
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`driftless-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  // 3: the credentials (or the bootstrap token) were refused; restarting will not help.
  process.exit(err instanceof ForbiddenError ? 3 : 1);
});
