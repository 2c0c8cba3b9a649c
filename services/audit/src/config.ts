/** The audit service's configuration: every environment variable it reads, with a doc and an example. */
import { ConfigError, field, loadConfig, type ConfigOf, type Field } from '@driftless/config';
import { DEFAULT_BOOTSTRAP_TTL_S, MAX_BOOTSTRAP_TTL_S, MIN_BOOTSTRAP_TTL_S } from './core/registration.js';

/** An optional secret with a minimum length (the library's optionalString checks nothing). */
function optionalSecret(opts: { env: string; doc: string; example: string; minLength: number }): Field<string | undefined> {
  return {
    ...opts,
    isSecret: true,
    default: undefined,
    parse: (raw) => (raw.length >= opts.minLength ? { ok: true, value: raw } : { ok: false, problem: `must be at least ${opts.minLength} characters` }),
  };
}

export const auditConfigSpec = {
  postgresUrl: field.url({
    env: 'DRIFTLESS_AUDIT_POSTGRES_URL',
    doc: 'PostgreSQL database holding the audit log',
    example: 'postgres://audit@127.0.0.1:5432/driftless',
    protocols: ['postgres:', 'postgresql:'],
  }),
  postgresConnectAttempts: field.integer({ env: 'DRIFTLESS_AUDIT_POSTGRES_CONNECT_ATTEMPTS', doc: 'Attempts to reach Postgres at start before giving up', example: '10', min: 1, max: 1000, default: 10 }),
  postgresPoolSize: field.integer({ env: 'DRIFTLESS_AUDIT_POSTGRES_POOL', doc: 'Postgres connections (ingest uses one, the API the rest)', example: '10', min: 2, max: 200, default: 10 }),
  natsUrls: field.urls({ env: 'DRIFTLESS_NATS_URL', doc: 'NATS servers, comma-separated', example: 'nats://127.0.0.1:4222', protocols: ['nats:', 'tls:'], default: ['nats://127.0.0.1:4222'] }),
  natsUser: field.optionalString({ env: 'DRIFTLESS_NATS_USER', doc: 'NATS user name', example: 'audit' }),
  natsPassword: field.optionalString({ env: 'DRIFTLESS_NATS_PASSWORD', doc: 'NATS password', example: 's3cret', isSecret: true }),
  natsCredsFile: field.optionalString({ env: 'DRIFTLESS_NATS_CREDS_FILE', doc: 'NATS .creds file (JWT + seed)', example: '/etc/driftless/audit.creds' }),
  subjectPrefix: field.string({
    env: 'DRIFTLESS_NATS_SUBJECT_PREFIX',
    doc: 'Prefix of every event subject on the wire (only when several installations share one NATS)',
    example: 'staging',
    pattern: /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$/,
    minLength: 0,
    default: '',
  }),
  eventsStream: field.string({ env: 'DRIFTLESS_EVENTS_STREAM', doc: 'JetStream stream of Driftless events', example: 'DRIFTLESS_EVENTS', pattern: /^[A-Za-z0-9_-]{1,200}$/, default: 'DRIFTLESS_EVENTS' }),
  durable: field.string({ env: 'DRIFTLESS_AUDIT_CONSUMER', doc: 'Durable consumer name shared by every audit replica', example: 'audit', pattern: /^[A-Za-z0-9_-]{1,200}$/, default: 'audit' }),
  maxBatch: field.integer({ env: 'DRIFTLESS_AUDIT_MAX_BATCH', doc: 'Most events written in one transaction', example: '2000', min: 1, max: 5000, default: 2000 }),
  maxWaitMs: field.integer({ env: 'DRIFTLESS_AUDIT_MAX_WAIT_MS', doc: 'How long one pull waits for its batch to fill', example: '1000', min: 1000, max: 60_000, default: 1000 }),
  retryMaxDelayMs: field.integer({ env: 'DRIFTLESS_AUDIT_RETRY_MAX_MS', doc: 'Longest pause between attempts while Postgres is down', example: '5000', min: 100, max: 25_000, default: 5000 }),
  httpHost: field.string({ env: 'DRIFTLESS_HTTP_HOST', doc: 'Address the API listens on', example: '0.0.0.0', default: '0.0.0.0' }),
  httpPort: field.integer({ env: 'DRIFTLESS_HTTP_PORT', doc: 'Port the API listens on', example: '8080', min: 1, max: 65535, default: 8080 }),
  adminToken: optionalSecret({
    env: 'DRIFTLESS_AUDIT_ADMIN_TOKEN',
    doc: 'Bootstrap admin token (at least 32 characters), stored hashed at start so a fresh install can be used',
    example: 'dla_<43 random base64url characters>',
    minLength: 32,
  }),
  natsAccountSeedFile: field.optionalString({
    env: 'DRIFTLESS_NATS_ACCOUNT_SEED_FILE',
    doc: 'Operator mode: the DRIFTLESS account seed, which signs agent credentials (secrets/account.seed from `npm run nats:auth`)',
    example: '/etc/driftless/nats-auth/account.seed',
  }),
  natsOperatorSigningSeedFile: field.optionalString({
    env: 'DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE',
    doc: 'Operator mode: the operator signing key seed, which signs account updates (secrets/operator-signing.seed)',
    example: '/etc/driftless/nats-auth/operator-signing.seed',
  }),
  natsAccountJwtFile: field.optionalString({
    env: 'DRIFTLESS_NATS_ACCOUNT_JWT_FILE',
    doc: "Operator mode: the account's JWT as the servers were configured with it (a bare JWT, or the generator's accounts.json)",
    example: '/etc/driftless/nats-auth/accounts.json',
  }),
  natsSystemCredsFile: field.optionalString({
    env: 'DRIFTLESS_NATS_SYSTEM_CREDS_FILE',
    doc: 'Operator mode: a system-account user that pushes account updates (creds/system.creds)',
    example: '/etc/driftless/nats-auth/system.creds',
  }),
  agentNatsUrls: field.urls({
    env: 'DRIFTLESS_AGENT_NATS_URL',
    doc: 'NATS servers as agents reach them, comma-separated (for enrollment and install commands); DRIFTLESS_NATS_URL when unset',
    example: 'tls://nats.example.com:4222',
    protocols: ['nats:', 'tls:'],
    default: [],
  }),
  publicUrl: field.optionalString({
    env: 'DRIFTLESS_AUDIT_PUBLIC_URL',
    doc: 'This API as agents reach it, for install commands (as each request reached it when unset)',
    example: 'https://driftless.example.com',
  }),
  agentChart: field.string({ env: 'DRIFTLESS_AGENT_CHART', doc: 'Agent chart reference in install commands', example: 'oci://registry.example.com/charts/driftless-agent', default: 'deploy/helm/driftless-agent' }),
  bootstrapTokenTtlS: field.integer({
    env: 'DRIFTLESS_BOOTSTRAP_TOKEN_TTL_S',
    doc: 'Default lifetime of a bootstrap token, in seconds',
    example: '3600',
    min: MIN_BOOTSTRAP_TTL_S,
    max: MAX_BOOTSTRAP_TTL_S,
    default: DEFAULT_BOOTSTRAP_TTL_S,
  }),
  uiDir: field.optionalString({
    env: 'DRIFTLESS_AUDIT_UI_DIR',
    doc: 'Folder of the built web UI served at /ui/ (default: the built @driftless/ui package, when present)',
    example: '/usr/share/driftless/ui',
  }),
  maxStreams: field.integer({ env: 'DRIFTLESS_AUDIT_MAX_STREAMS', doc: 'Most live streams (GET /v1/stream) one process serves at once', example: '200', min: 1, max: 10_000, default: 200 }),
  streamPollMs: field.integer({ env: 'DRIFTLESS_AUDIT_STREAM_POLL_MS', doc: 'How often the live stream looks for new ledger rows while someone follows it', example: '500', min: 50, max: 10_000, default: 500 }),
  promotionTickMs: field.integer({
    env: 'DRIFTLESS_AUDIT_PROMOTION_TICK_MS',
    doc: 'How often open promotions are looked at (also at once after an approval)',
    example: '1000',
    min: 100,
    max: 60_000,
    default: 1000,
  }),
  promoteTimeoutMs: field.integer({
    env: 'DRIFTLESS_AUDIT_PROMOTE_TIMEOUT_MS',
    doc: "How long to wait for the repo-watcher's answer to a promotion plan or commit before asking again",
    example: '30000',
    min: 1000,
    max: 300_000,
    default: 30_000,
  }),
  logLevel: field.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'silent'], { env: 'DRIFTLESS_LOG_LEVEL', doc: 'Log level', example: 'info', default: 'info' }),
};

export type AuditConfig = ConfigOf<typeof auditConfigSpec>;

/** Loads and checks the configuration; throws a ConfigError listing every problem. */
export function loadAuditConfig(env: Readonly<Record<string, string | undefined>>): AuditConfig {
  const config = loadConfig(auditConfigSpec, env);
  operatorFilesOf(config);
  return config;
}

export interface OperatorFiles {
  accountSeedFile: string;
  operatorSigningSeedFile: string;
  accountJwtFile: string;
  systemCredsFile: string;
}

const OPERATOR_FIELDS = {
  accountSeedFile: 'natsAccountSeedFile',
  operatorSigningSeedFile: 'natsOperatorSigningSeedFile',
  accountJwtFile: 'natsAccountJwtFile',
  systemCredsFile: 'natsSystemCredsFile',
} as const satisfies Record<keyof OperatorFiles, keyof typeof auditConfigSpec>;

/** The operator-mode files, or undefined in no-auth mode; some but not all of them is a ConfigError. */
export function operatorFilesOf(config: AuditConfig): OperatorFiles | undefined {
  const entries = Object.entries(OPERATOR_FIELDS) as [keyof OperatorFiles, (typeof OPERATOR_FIELDS)[keyof OperatorFiles]][];
  const missing = entries.filter(([, key]) => config[key] === undefined);
  if (missing.length === entries.length) return undefined;
  if (missing.length > 0) {
    throw new ConfigError(
      missing.map(([, key]) => `${auditConfigSpec[key].env} is required in operator mode, since other DRIFTLESS_NATS_*_FILE variables are set: ${auditConfigSpec[key].doc}`),
    );
  }
  return Object.fromEntries(entries.map(([name, key]) => [name, config[key]])) as unknown as OperatorFiles;
}
