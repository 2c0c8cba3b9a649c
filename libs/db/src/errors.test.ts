import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, ForbiddenError, InvalidInputError, UnavailableError, isRetryable } from '@driftless/contracts';
import { POSTGRES_URL, eventually, uniqueName } from '@driftless/testkit';
import { createDb, mapPgError, TransientDbError } from './index.js';
import { createScratchDatabase, type ScratchDatabase } from './testing.js';

/** Runs a query expected to fail and returns the mapped error. */
async function mapped(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (err) {
    const result = mapPgError(err);
    assert.equal(result.cause ?? result, err, 'the original error is kept as cause');
    return result;
  }
  assert.fail('expected the query to fail');
}

describe('mapPgError against real Postgres errors', () => {
  let db: ScratchDatabase;
  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'db_errors_test');
    await db.sql.unsafe(`
      create table parent (id int primary key);
      create table child (id int primary key, parent int not null references parent(id), n int check (n > 0));
      insert into parent values (1);
      insert into child values (1, 1, 1);
    `);
  });
  after(async () => {
    await db.drop();
  });

  it('23505 unique violation → ConflictError', async () => {
    const err = await mapped(() => db.sql`insert into parent values (1)`);
    assert.ok(err instanceof ConflictError);
    assert.match(err.message, /parent_pkey/);
  });

  it('23503, 23502, 23514 and 22xxx → InvalidInputError', async () => {
    for (const run of [
      () => db.sql`insert into child values (2, 99, 1)`,
      () => db.sql`insert into child (id) values (3)`,
      () => db.sql`insert into child values (4, 1, -1)`,
      () => db.sql`select 'nope'::int`,
      () => db.sql`select 1 / 0`,
    ]) {
      const err = await mapped(run);
      assert.ok(err instanceof InvalidInputError, `${err.name}: ${err.message}`);
      assert.equal(isRetryable(err), false);
    }
  });

  it('40P01 deadlock and 40001 serialization failure → TransientDbError (retryable)', async () => {
    await db.sql`create table if not exists locks (id int primary key, v int)`;
    await db.sql`insert into locks values (1, 0), (2, 0) on conflict do nothing`;
    let release: () => void = () => undefined;
    const bothHoldOne = new Promise<void>((resolve) => (release = resolve));
    let holders = 0;
    const hold = () => {
      holders += 1;
      if (holders === 2) release();
      return bothHoldOne;
    };
    const results = await Promise.allSettled([
      db.sql.begin(async (tx) => {
        await tx`update locks set v = v + 1 where id = 1`;
        await hold();
        await tx`update locks set v = v + 1 where id = 2`;
      }),
      db.sql.begin(async (tx) => {
        await tx`update locks set v = v + 1 where id = 2`;
        await hold();
        await tx`update locks set v = v + 1 where id = 1`;
      }),
    ]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(failed.length, 1, 'Postgres breaks the deadlock by failing one side');
    const deadlock = mapPgError(failed[0]!.reason);
    assert.ok(deadlock instanceof TransientDbError, deadlock.message);
    assert.match(deadlock.message, /40P01/);
    assert.equal(isRetryable(deadlock), true);

    const serialization = await mapped(() => db.sql`do $$ begin raise exception 'could not serialize' using errcode = '40001'; end $$`);
    assert.ok(serialization instanceof TransientDbError);
  });

  it('42501 insufficient privilege → ForbiddenError', async () => {
    const role = uniqueName('reader').replace(/-/g, '_');
    await db.sql`create role ${db.sql(role)}`;
    try {
      const err = await mapped(() =>
        db.sql.begin(async (tx) => {
          await tx`set local role ${tx(role)}`;
          await tx`select * from parent`;
        }),
      );
      assert.ok(err instanceof ForbiddenError, err.message);
    } finally {
      await db.sql`drop role ${db.sql(role)}`;
    }
  });

  it('57P01 terminated backend and ECONNREFUSED → UnavailableError', async () => {
    const victim = createDb(db.url, { max: 1 });
    try {
      const [me] = await victim<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const running = mapped(() => victim`select pg_sleep(30)`);
      await eventually(async () => (await db.sql`select 1 from pg_stat_activity where pid = ${me!.pid} and state = 'active'`).length > 0, { what: 'the sleep to start' });
      await db.sql`select pg_terminate_backend(${me!.pid})`;
      const err = await running;
      assert.ok(err instanceof UnavailableError, `${err.name}: ${err.message}`);
    } finally {
      await victim.end({ timeout: 0 });
    }
    const refused = createDb('postgres://postgres@127.0.0.1:1/x', { max: 1 });
    try {
      const err = await mapped(() => refused`select 1`);
      assert.ok(err instanceof UnavailableError, `${err.name}: ${err.message}`);
    } finally {
      await refused.end({ timeout: 0 });
    }
  });

  it('passes unknown failures and domain errors through unchanged', () => {
    const odd = Object.assign(new Error('odd'), { code: 'XX000' });
    assert.equal(mapPgError(odd), odd);
    const conflict = new ConflictError('x');
    assert.equal(mapPgError(conflict), conflict);
    assert.ok(mapPgError('a string') instanceof Error);
  });
});
