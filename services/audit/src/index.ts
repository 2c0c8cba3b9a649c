export { buildApp, type AppDeps } from './http/app.js';
export { IngestWorker, type IngestOptions } from './ingest.js';
export { PgLedgerWriter, rebuildComponentState } from './adapters/pg-ledger-writer.js';
export { PgAuditQueries } from './adapters/pg-queries.js';
export { PgTokenStore, hashToken, generateToken } from './adapters/pg-tokens.js';
export { migrateAuditDb } from './adapters/pg-schema.js';
export { runNatsIngest } from './adapters/nats-ingest.js';
export { auditConfigSpec, loadAuditConfig, type AuditConfig } from './config.js';
export * from './ports.js';
