/**
 * Forward-only SQL migrations: applied in order, each once, each in its own transaction, and
 * recorded with a checksum so an edited migration that already ran is caught instead of silently
 * diverging. A transaction-scoped advisory lock makes two services starting at once take turns.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql, TransactionSql } from 'postgres';
import { InvalidInputError, TerminalError } from '@driftless/contracts';

export interface Migration {
  /** Stable, unique name, e.g. "0001_init". Order is the order given (or file-name order for a folder). */
  id: string;
  sql: string;
}

export interface MigrateOptions {
  /** The migrations, or a folder of `*.sql` files applied in file-name order (id = name without `.sql`). */
  migrations: readonly Migration[] | string;
  /** Table recording what ran (default `schema_migrations`); may be schema-qualified. */
  table?: string;
}

export interface MigrateResult {
  /** Ids applied by this call, in order. */
  applied: string[];
  /** Ids that were applied before this call. */
  skipped: string[];
  /** Ids recorded in the table that this code does not know (a newer version ran); left alone. */
  unknown: string[];
}

/** An already-applied migration whose text changed, or a broken migration list. */
export class MigrationError extends TerminalError {
  override readonly name: string = 'MigrationError';
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/;

/** sha256 of the text with line endings normalised, so a checkout on another OS does not look edited. */
export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads `*.sql` files of a folder in file-name order. */
export async function loadMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ id: name.slice(0, -'.sql'.length), sql: await readFile(join(dir, name), 'utf8') })));
}

function validate(migrations: readonly Migration[]): void {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (m.id.trim() === '') throw new InvalidInputError('a migration has an empty id');
    if (seen.has(m.id)) throw new InvalidInputError(`migration id "${m.id}" appears twice`);
    seen.add(m.id);
  }
}

async function lock(tx: TransactionSql, table: string): Promise<void> {
  // Held until this transaction ends: a concurrent starter waits here, then sees our record.
  await tx`select pg_advisory_xact_lock(hashtextextended(${`driftless.migrate:${table}`}, 0))`;
}

/** Applies every migration not yet recorded in `table`; refuses to run if an applied one changed. */
export async function migrate(sql: Sql, options: MigrateOptions): Promise<MigrateResult> {
  const table = options.table ?? 'schema_migrations';
  if (!IDENTIFIER.test(table)) throw new InvalidInputError(`migrations table "${table}" is not a plain lowercase SQL identifier`);
  const migrations = typeof options.migrations === 'string' ? await loadMigrations(options.migrations) : options.migrations;
  validate(migrations);
  // postgres.js quotes each dot-separated part, so a schema-qualified name stays qualified.
  const ident = sql(table);

  // Create the table and compare checksums before anything runs, so a drifted history stops us early.
  const recorded = await sql.begin(async (tx) => {
    await lock(tx, table);
    await tx`create table if not exists ${ident} (
      id text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`;
    return tx<{ id: string; checksum: string }[]>`select id, checksum from ${ident}`;
  });
  const recordedById = new Map(recorded.map((r) => [r.id, r.checksum]));
  for (const m of migrations) {
    const checksum = recordedById.get(m.id);
    if (checksum !== undefined && checksum !== checksumOf(m.sql)) {
      throw new MigrationError(
        `migration "${m.id}" was changed after it was applied (checksum ${checksum.slice(0, 12)}… recorded in ${table}, ${checksumOf(m.sql).slice(0, 12)}… now): add a new migration instead of editing it`,
      );
    }
  }
  const known = new Set(migrations.map((m) => m.id));
  const result: MigrateResult = { applied: [], skipped: [], unknown: [...recordedById.keys()].filter((id) => !known.has(id)) };

  for (const m of migrations) {
    const checksum = checksumOf(m.sql);
    const didApply = await sql.begin(async (tx) => {
      await lock(tx, table);
      // Re-read under the lock: another starter may have applied it since we looked.
      const [row] = await tx<{ checksum: string }[]>`select checksum from ${ident} where id = ${m.id}`;
      if (row) {
        if (row.checksum !== checksum) throw new MigrationError(`migration "${m.id}" was applied concurrently with different text`);
        return false;
      }
      try {
        await tx.unsafe(m.sql);
      } catch (err) {
        throw new MigrationError(`migration "${m.id}" failed and was rolled back: ${(err as Error).message}`, { cause: err });
      }
      await tx`insert into ${ident} (id, checksum) values (${m.id}, ${checksum})`;
      return true;
    });
    (didApply ? result.applied : result.skipped).push(m.id);
  }
  return result;
}
