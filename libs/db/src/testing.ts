/**
 * Test isolation: a fresh, uniquely named database per test file, dropped afterwards, so test
 * files can run in parallel against one shared Postgres without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createDb, type DbOptions, type Sql } from './client.js';

export interface ScratchDatabase {
  /** Connection URL of the new database (same server and credentials as the admin URL). */
  url: string;
  name: string;
  /** A pool on the new database. */
  sql: Sql;
  /** Closes the pool and drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the server of `adminUrl` (a role allowed to create databases). */
export async function createScratchDatabase(adminUrl: string, prefix: string, options: DbOptions = {}): Promise<ScratchDatabase> {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 40)}_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin`create database ${admin(name)}`;
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const sql = createDb(url, options);
  return {
    url,
    name,
    sql,
    async drop() {
      await sql.end({ timeout: 1 });
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => undefined });
      try {
        await dropper`drop database if exists ${dropper(name)} with (force)`;
      } finally {
        await dropper.end();
      }
    },
  };
}
