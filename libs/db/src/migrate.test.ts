import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { POSTGRES_URL } from '@driftless/testkit';
import { createDb, migrate, MigrationError, type Migration } from './index.js';
import { createScratchDatabase, type ScratchDatabase } from './testing.js';

// Not idempotent on purpose: running either twice would fail (duplicate table, second row).
const migrations: Migration[] = [
  { id: '0001_widgets', sql: 'create table widgets (id int primary key, name text not null);\ninsert into widgets values (1, $$first$$);' },
  { id: '0002_colour', sql: 'alter table widgets add column colour text;' },
];

describe('migrate', () => {
  let db: ScratchDatabase;
  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'db_migrate_test');
  });
  after(async () => {
    await db.drop();
  });

  it('applies in order, once, and records each with a checksum', async () => {
    const first = await migrate(db.sql, { migrations });
    assert.deepEqual(first, { applied: ['0001_widgets', '0002_colour'], skipped: [], unknown: [] });
    const again = await migrate(db.sql, { migrations });
    assert.deepEqual(again, { applied: [], skipped: ['0001_widgets', '0002_colour'], unknown: [] });
    const rows = await db.sql<{ id: string; checksum: string }[]>`select id, checksum from schema_migrations order by applied_at, id`;
    assert.deepEqual(rows.map((r) => r.id), ['0001_widgets', '0002_colour']);
    assert.match(rows[0]!.checksum, /^[0-9a-f]{64}$/);
    const [count] = await db.sql<{ n: number }[]>`select count(*)::int as n from widgets`;
    assert.equal(count?.n, 1);
  });

  it('refuses to run when an applied migration changed, before applying anything new', async () => {
    const edited = [{ ...migrations[0]!, sql: `${migrations[0]!.sql} -- edited` }, migrations[1]!, { id: '0003_new', sql: 'create table later (x int);' }];
    await assert.rejects(migrate(db.sql, { migrations: edited }), (err: Error) => err instanceof MigrationError && /"0001_widgets" was changed after it was applied/.test(err.message));
    const [row] = await db.sql`select to_regclass('later') as t`;
    assert.equal(row?.['t'], null);
  });

  it('rolls back a failing migration and does not record it', async () => {
    const broken = [...migrations, { id: '0003_broken', sql: 'create table half (x int); select * from no_such_table;' }];
    await assert.rejects(migrate(db.sql, { migrations: broken }), /"0003_broken" failed and was rolled back: .*no_such_table/);
    const [row] = await db.sql`select to_regclass('half') as t`;
    assert.equal(row?.['t'], null);
    const recorded = await db.sql`select 1 from schema_migrations where id = '0003_broken'`;
    assert.equal(recorded.length, 0);
  });

  it('reports ids it does not know, and refuses duplicate ids and bad table names', async () => {
    const result = await migrate(db.sql, { migrations: migrations.slice(0, 1) });
    assert.deepEqual(result.unknown, ['0002_colour']);
    await assert.rejects(migrate(db.sql, { migrations: [migrations[0]!, migrations[0]!] }), /appears twice/);
    await assert.rejects(migrate(db.sql, { migrations, table: 'x; drop table widgets' }), /not a plain lowercase SQL identifier/);
  });

  it('reads a folder in file-name order into its own table', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await writeFile(join(dir, '002_b.sql'), 'insert into gadgets values (2);');
      await writeFile(join(dir, '001_a.sql'), 'create table gadgets (x int);');
      await writeFile(join(dir, 'README.md'), 'not a migration');
      const result = await migrate(db.sql, { migrations: dir, table: 'gadget_migrations' });
      assert.deepEqual(result.applied, ['001_a', '002_b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is safe when two starters run at once on separate connections', async () => {
    const other = await createScratchDatabase(POSTGRES_URL, 'db_migrate_race');
    const second = createDb(other.url, { max: 2 });
    try {
      const slow: Migration[] = [
        // The sleep widens the window in which the second starter would otherwise apply it too.
        { id: '0001_slow', sql: 'select pg_sleep(0.3); create table racers (id int primary key); insert into racers values (1);' },
        { id: '0002_more', sql: 'insert into racers values (2);' },
      ];
      const [a, b] = await Promise.all([migrate(other.sql, { migrations: slow }), migrate(second, { migrations: slow })]);
      assert.deepEqual([...a.applied, ...b.applied].sort(), ['0001_slow', '0002_more']);
      assert.deepEqual([...a.skipped, ...b.skipped].sort(), ['0001_slow', '0002_more']);
      const rows = await other.sql<{ id: number }[]>`select id from racers order by id`;
      assert.deepEqual(rows.map((r) => r.id), [1, 2]);
    } finally {
      await second.end();
      await other.drop();
    }
  });
});
