/** The agent's configuration: one spec, read once in main.ts from the environment. */
import { field, loadConfig, type ConfigOf } from '@driftless/config';
import { DESIRED_BUCKET, MANIFESTS_OBJECT_STORE } from '@driftless/contracts';
import { DEFAULT_INVENTORY_NAMESPACE } from '@driftless/kube';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const agentConfigSpec = {
  cluster: field.string({ env: 'DRIFTLESS_CLUSTER', doc: 'Name of the cluster this agent runs in (a DNS label)', example: 'prod-eu', pattern: DNS_LABEL }),
  natsServers: field.urls({ env: 'DRIFTLESS_NATS_URL', doc: 'NATS server URL(s), comma-separated', example: 'nats://nats.driftless:4222', protocols: ['nats:', 'tls:'] }),
  natsCredsFile: field.optionalString({ env: 'DRIFTLESS_NATS_CREDS_FILE', doc: 'NATS .creds file with the agent user JWT and seed', example: '/var/run/driftless/agent.creds' }),
  natsToken: field.optionalString({ env: 'DRIFTLESS_NATS_TOKEN', doc: 'NATS token (instead of a creds file)', example: 's3cr3t', isSecret: true }),
  natsUser: field.optionalString({ env: 'DRIFTLESS_NATS_USER', doc: 'NATS user name', example: 'agent-prod-eu' }),
  natsPassword: field.optionalString({ env: 'DRIFTLESS_NATS_PASSWORD', doc: 'NATS password', example: 's3cr3t', isSecret: true }),
  apiUrl: field.optionalString({ env: 'DRIFTLESS_API_URL', doc: 'The Driftless API to enroll at when there are no NATS credentials yet but a bootstrap token', example: 'https://driftless.example.com' }),
  bootstrapTokenFile: field.string({
    env: 'DRIFTLESS_BOOTSTRAP_TOKEN_FILE',
    doc: 'The one-time bootstrap token (from `driftless cluster add`), traded for NATS credentials written to DRIFTLESS_NATS_CREDS_FILE',
    example: '/var/run/driftless/bootstrap/token',
    default: '/var/run/driftless/bootstrap/token',
  }),
  natsInboxPrefix: field.optionalString({ env: 'DRIFTLESS_NATS_INBOX_PREFIX', doc: 'Reply-subject prefix this agent may subscribe to', example: '_INBOX_prod-eu' }),
  subjectPrefix: field.string({ env: 'DRIFTLESS_NATS_SUBJECT_PREFIX', doc: 'Prefix of every event subject (only for an isolated installation)', example: 'staging', minLength: 0, default: '' }),
  desiredBucket: field.string({ env: 'DRIFTLESS_DESIRED_BUCKET', doc: 'KV bucket holding desired state', example: DESIRED_BUCKET, default: DESIRED_BUCKET }),
  manifestsStore: field.string({ env: 'DRIFTLESS_MANIFESTS_STORE', doc: 'Object store holding manifests too large to inline', example: MANIFESTS_OBJECT_STORE, default: MANIFESTS_OBJECT_STORE }),
  kubeconfig: field.optionalString({ env: 'DRIFTLESS_KUBECONFIG', doc: 'Kubeconfig file; unset means the in-cluster service account', example: '/etc/driftless/kubeconfig' }),
  kubeContext: field.optionalString({ env: 'DRIFTLESS_KUBE_CONTEXT', doc: 'Kubeconfig context to use (the current one by default)', example: 'prod-eu' }),
  inventoryNamespace: field.string({ env: 'DRIFTLESS_INVENTORY_NAMESPACE', doc: 'Namespace of the inventory ConfigMaps', example: DEFAULT_INVENTORY_NAMESPACE, default: DEFAULT_INVENTORY_NAMESPACE, pattern: DNS_LABEL }),
  maxConcurrentReconciles: field.integer({ env: 'DRIFTLESS_MAX_CONCURRENT_RECONCILES', doc: 'Components reconciled at the same time', example: '4', default: 4, min: 1, max: 64 }),
  applyConcurrency: field.integer({ env: 'DRIFTLESS_APPLY_CONCURRENCY', doc: 'API requests in flight per component apply', example: '16', default: 16, min: 1, max: 128 }),
  heartbeatIntervalMs: field.integer({ env: 'DRIFTLESS_HEARTBEAT_INTERVAL_MS', doc: 'How often the heartbeat is published', example: '30000', default: 30_000, min: 1_000 }),
  resyncIntervalMs: field.integer({ env: 'DRIFTLESS_RESYNC_INTERVAL_MS', doc: 'How often every component is re-checked without a trigger', example: '600000', default: 600_000, min: 1_000 }),
  crdWaitTimeoutMs: field.integer({ env: 'DRIFTLESS_CRD_WAIT_TIMEOUT_MS', doc: 'How long to wait for a new CRD to be served', example: '60000', default: 60_000, min: 100 }),
  requestTimeoutMs: field.integer({ env: 'DRIFTLESS_REQUEST_TIMEOUT_MS', doc: 'Upper bound on one API server request', example: '30000', default: 30_000, min: 100 }),
  maxBackoffMs: field.integer({ env: 'DRIFTLESS_MAX_BACKOFF_MS', doc: 'Longest wait between retries after failures', example: '60000', default: 60_000, min: 100 }),
  httpPort: field.integer({ env: 'DRIFTLESS_HTTP_PORT', doc: 'Port of /healthz, /readyz and /metrics; 0 serves nothing (the agent needs no inbound port)', example: '9090', default: 0, min: 0, max: 65535 }),
  httpHost: field.string({ env: 'DRIFTLESS_HTTP_HOST', doc: 'Address the HTTP port binds to', example: '0.0.0.0', default: '0.0.0.0' }),
  logLevel: field.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { env: 'DRIFTLESS_LOG_LEVEL', doc: 'Log level', example: 'info', default: 'info' }),
};

export type AgentConfig = ConfigOf<typeof agentConfigSpec>;

export function loadAgentConfig(env: Readonly<Record<string, string | undefined>>): AgentConfig {
  return loadConfig(agentConfigSpec, env);
}
