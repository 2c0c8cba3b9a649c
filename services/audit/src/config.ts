/** The audit service's configuration: every environment variable it reads, with a doc and an example. */
import { field, loadConfig, type ConfigOf, type Field } from '@driftless/config';

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
  natsCredsFile: field.optionalString({ env: 'DRIFTLESS_NATS_CREDS', doc: 'NATS .creds file (JWT + seed)', example: '/etc/driftless/audit.creds' }),
  subjectPrefix: field.string({
    env: 'DRIFTLESS_SUBJECT_PREFIX',
    doc: 'Prefix of every event subject on the wire (only when several installations share one NATS)',
    example: 'staging',
    pattern: /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)?$/,
    minLength: 0,
    default: '',
  }),
  eventsStream: field.string({ env: 'DRIFTLESS_EVENTS_STREAM', doc: 'JetStream stream of Driftless events', example: 'DRIFTLESS_EVENTS', pattern: /^[A-Za-z0-9_-]{1,200}$/, default: 'DRIFTLESS_EVENTS' }),
  durable: field.string({ env: 'DRIFTLESS_AUDIT_CONSUMER', doc: 'Durable consumer name shared by every audit replica', example: 'audit', pattern: /^[A-Za-z0-9_-]{1,200}$/, default: 'audit' }),
  maxBatch: field.integer({ env: 'DRIFTLESS_AUDIT_MAX_BATCH', doc: 'Most events written in one transaction', example: '1000', min: 1, max: 5000, default: 1000 }),
  maxWaitMs: field.integer({ env: 'DRIFTLESS_AUDIT_MAX_WAIT_MS', doc: 'How long a batch may wait to fill', example: '1000', min: 1000, max: 60_000, default: 1000 }),
  retryMaxDelayMs: field.integer({ env: 'DRIFTLESS_AUDIT_RETRY_MAX_MS', doc: 'Longest pause between attempts while Postgres is down', example: '5000', min: 100, max: 25_000, default: 5000 }),
  httpHost: field.string({ env: 'DRIFTLESS_AUDIT_HTTP_HOST', doc: 'Address the API listens on', example: '0.0.0.0', default: '0.0.0.0' }),
  httpPort: field.integer({ env: 'DRIFTLESS_AUDIT_HTTP_PORT', doc: 'Port the API listens on', example: '8080', min: 1, max: 65535, default: 8080 }),
  adminToken: optionalSecret({
    env: 'DRIFTLESS_AUDIT_ADMIN_TOKEN',
    doc: 'Bootstrap admin token (at least 32 characters), stored hashed at start so a fresh install can be used',
    example: 'dla_<43 random base64url characters>',
    minLength: 32,
  }),
  logLevel: field.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'silent'], { env: 'DRIFTLESS_LOG_LEVEL', doc: 'Log level', example: 'info', default: 'info' }),
};

export type AuditConfig = ConfigOf<typeof auditConfigSpec>;

/** Loads and checks the configuration; throws a ConfigError listing every problem. */
export function loadAuditConfig(env: Readonly<Record<string, string | undefined>>): AuditConfig {
  return loadConfig(auditConfigSpec, env);
}
