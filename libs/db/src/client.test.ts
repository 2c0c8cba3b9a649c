import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { UnavailableError } from '@driftless/contracts';
import { POSTGRES_URL } from '@driftless/testkit';
import { connectDb, createDb, describeTarget } from './index.js';
import { createScratchDatabase, type ScratchDatabase } from './testing.js';

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('connectDb', () => {
  it('connects to a live server', async () => {
    const sql = await connectDb(POSTGRES_URL, { maxAttempts: 3 });
    try {
      const [row] = await sql<{ n: number }[]>`select 1::int as n`;
      assert.equal(row?.n, 1);
    } finally {
      await sql.end();
    }
  });

  it('gives up with one UnavailableError naming host, port, database and the cause', async () => {
    const port = await closedPort();
    const url = `postgres://postgres:hunter2@127.0.0.1:${port}/inventory`;
    const warnings: Record<string, unknown>[] = [];
    const log = { debug: () => undefined, warn: (obj: Record<string, unknown>) => void warnings.push(obj) };
    await assert.rejects(connectDb(url, { maxAttempts: 3, initialDelayMs: 1, log }), (err: Error) => {
      assert.ok(err instanceof UnavailableError, `got ${err.name}`);
      assert.match(err.message, new RegExp(`^cannot connect to Postgres at 127\\.0\\.0\\.1:${port}/inventory after 3 attempts: .*ECONNREFUSED`));
      assert.ok(!err.message.includes('hunter2'), 'the password never appears');
      assert.ok(err.cause, 'keeps the cause');
      return true;
    });
    assert.equal(warnings.length, 3);
  });

  it('stops retrying when its signal aborts', async () => {
    const port = await closedPort();
    const controller = new AbortController();
    const pending = connectDb(`postgres://postgres@127.0.0.1:${port}/x`, { maxAttempts: 1_000, initialDelayMs: 50, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (err: Error) => err instanceof UnavailableError && /after \d+ attempts/.test(err.message) && !/after 1000 /.test(err.message));
  });

  it('does not retry a database that does not exist', async () => {
    const u = new URL(POSTGRES_URL);
    u.pathname = '/no_such_database_here';
    await assert.rejects(connectDb(u.toString(), { maxAttempts: 50, initialDelayMs: 1_000 }), /after 1 attempt: .*does not exist/);
  });

  it('describes a target without credentials', () => {
    assert.equal(describeTarget('postgres://u:secret@db.example:6543/audit'), 'db.example:6543/audit');
    assert.equal(describeTarget('postgres://db.example/audit'), 'db.example:5432/audit');
  });
});

describe('createScratchDatabase', () => {
  let scratch: ScratchDatabase;
  before(async () => {
    scratch = await createScratchDatabase(POSTGRES_URL, 'db_client_test');
  });
  after(async () => {
    await scratch.drop();
  });

  it('gives an isolated database that drop() removes', async () => {
    const [row] = await scratch.sql<{ db: string }[]>`select current_database() as db`;
    assert.equal(row?.db, scratch.name);
    const other = await createScratchDatabase(POSTGRES_URL, 'db_client_test');
    assert.notEqual(other.name, scratch.name);
    await other.drop();
    const admin = createDb(POSTGRES_URL, { max: 1 });
    try {
      const rows = await admin`select 1 from pg_database where datname = ${other.name}`;
      assert.equal(rows.length, 0);
    } finally {
      await admin.end();
    }
  });
});
