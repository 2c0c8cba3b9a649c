/** The audit database schema: its migrations folder, applied at start by `migrateAuditDb`. */
import { fileURLToPath } from 'node:url';
import { migrate, type MigrateResult, type Sql } from '@driftless/db';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

export function migrateAuditDb(sql: Sql): Promise<MigrateResult> {
  return migrate(sql, { migrations: MIGRATIONS_DIR, table: 'audit_schema_migrations' });
}
