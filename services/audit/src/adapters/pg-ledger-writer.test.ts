import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ForbiddenError } from '@driftless/contracts';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { POSTGRES_URL } from '@driftless/testkit';
import { TRANSITION_KINDS } from '../core/kinds.js';
import { clock, commit, events, oneOfEach } from '../testing/fixtures.js';
import { PgLedgerWriter, rebuildComponentState } from './pg-ledger-writer.js';
import { PgAuditQueries } from './pg-queries.js';
import { migrateAuditDb } from './pg-schema.js';

describe('PgLedgerWriter', () => {
  let db: ScratchDatabase;
  let writer: PgLedgerWriter;
  let queries: PgAuditQueries;
  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_writer');
    await migrateAuditDb(db.sql);
    writer = new PgLedgerWriter(db.sql);
    queries = new PgAuditQueries(db.sql);
  });
  after(async () => {
    await db.drop();
  });

  it('records one ledger row per event of every type (heartbeats refresh the cluster instead)', async () => {
    const all = oneOfEach('dev-1', 'cart');
    const result = await writer.write({ events: all, deadLetters: [] });
    assert.equal(result.recorded, all.length - 1);
    assert.equal(result.heartbeats, 1);
    const kinds = await db.sql<{ kind: string; n: number }[]>`select kind, count(*)::int as n from transitions group by kind order by kind`;
    assert.deepEqual(kinds.map((k) => k.kind), [...TRANSITION_KINDS].sort());
    assert.ok(kinds.every((k) => k.n === 1));
    const [cluster] = await db.sql`select stage, labels, last_heartbeat_at, agent_version, revoked_at from clusters where name = 'dev-1'`;
    assert.equal(cluster?.['stage'], 'dev');
    assert.deepEqual(cluster?.['labels'], { region: 'eu' });
    assert.equal(cluster?.['agent_version'], '0.1.0');
    assert.ok(cluster?.['revoked_at'] instanceof Date);
    const [c] = await db.sql`select author_email from commits where sha = ${commit(1).sha}`;
    assert.equal(c?.['author_email'], 'ada@example.com');
    // Agent reports carry no stage; the ledger row gets the cluster's.
    const [applied] = await db.sql`select stage, trace_id from transitions where kind = 'applied'`;
    assert.equal(applied?.['stage'], 'dev');
  });

  it('leaves exactly one row per event id when a batch is delivered again', async () => {
    const again = await writer.write({ events: oneOfEach('dev-1', 'cart'), deadLetters: [] });
    assert.equal(again.recorded, 0);
    assert.equal(again.duplicates, TRANSITION_KINDS.length);
    const [row] = await db.sql<{ n: number; d: number }[]>`select count(*)::int as n, count(distinct event_id)::int as d from transitions`;
    assert.equal(row?.n, TRANSITION_KINDS.length);
    assert.equal(row?.d, row?.n);
  });

  it('keeps a linear, gap-free chain that verifies', async () => {
    const tick = clock(Date.UTC(2026, 10, 28));
    await writer.write({
      events: Array.from({ length: 50 }, (_, i) => events.healthChanged({ cluster: 'dev-1', component: 'cart', version: '1.0.0', from: null, to: i % 2 ? 'Healthy' : 'Degraded', time: tick(), id: `health-${i}` })),
      deadLetters: [],
    });
    const result = await queries.verify({});
    assert.equal(result.isIntact, true);
    assert.equal(result.checkedRows, TRANSITION_KINDS.length + 50);
    const seqs = await db.sql<{ seq: string }[]>`select seq from transitions order by seq`;
    assert.deepEqual(seqs.map((s) => Number(s.seq)), Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('derives state that a rebuild from the ledger alone reproduces exactly', async () => {
    const tick = clock(Date.UTC(2026, 10, 29));
    // Out of order on purpose: the older "applied" arrives after the newer one.
    const newer = events.applied({ cluster: 'prod-eu', component: 'pay', version: '2.0.0', time: new Date(Date.UTC(2026, 10, 29, 1)) });
    const older = events.applied({ cluster: 'prod-eu', component: 'pay', version: '1.0.0', time: new Date(Date.UTC(2026, 10, 29, 0)) });
    await writer.write({
      events: [
        events.desiredChanged({ cluster: 'prod-eu', component: 'pay', stage: 'prod', version: '2.0.0', commit: commit(7), apps: ['shop', 'admin'], time: tick() }),
        newer,
      ],
      deadLetters: [],
    });
    await writer.write({ events: [older], deadLetters: [] });
    const snapshot = await db.sql`select * from component_state order by cluster, component`;
    const [pay] = snapshot.filter((r) => r['cluster'] === 'prod-eu');
    assert.equal(pay?.['applied_version'], '2.0.0', 'the late, older report does not win');
    assert.deepEqual(pay?.['apps'], ['shop', 'admin']);
    const rebuilt = await rebuildComponentState(db.sql, { chunkRows: 3 });
    assert.equal(rebuilt, snapshot.length);
    const again = await db.sql`select * from component_state order by cluster, component`;
    assert.deepEqual(again, snapshot);
    // The skew summary kept by triggers equals a fresh count over the states.
    const summary = await db.sql`select stage, component, kind, version, clusters from stage_versions where clusters > 0 order by 1, 2, 3, 4`;
    const counted = await db.sql`
      select stage, component, kind, version, count(*)::int as clusters from (
        select stage, component, 'desired' as kind, desired_version as version from component_state where stage is not null and desired_version is not null and not is_removed
        union all
        select stage, component, 'applied', applied_version from component_state where stage is not null and applied_version is not null and not is_removed
      ) d group by 1, 2, 3, 4 order by 1, 2, 3, 4`;
    assert.ok(counted.length >= 2);
    assert.deepEqual(summary, counted);
  });

  it('keeps one linear chain when two writers (two replicas) append at once', async () => {
    const second = new PgLedgerWriter(db.sql);
    const burst = (label: string) =>
      Array.from({ length: 20 }, (_, batch) =>
        Array.from({ length: 10 }, (_, i) => events.healthChanged({ cluster: 'race', component: label, version: '1', from: null, to: 'Healthy', id: `${label}-${batch}-${i}` })),
      );
    await Promise.all([
      (async () => {
        for (const batch of burst('a')) await writer.write({ events: batch, deadLetters: [] });
      })(),
      (async () => {
        for (const batch of burst('b')) await second.write({ events: batch, deadLetters: [] });
      })(),
    ]);
    const result = await queries.verify({});
    assert.equal(result.isIntact, true);
    const [row] = await db.sql<{ n: number; maxSeq: string }[]>`select count(*)::int as n, max(seq) as "maxSeq" from transitions`;
    assert.equal(Number(row?.maxSeq), row?.n, 'no gaps');
  });

  it('pipelines batches handed over before the previous one committed, and re-plans when another replica wrote in between', async () => {
    const pipelined = new PgLedgerWriter(db.sql);
    const other = new PgLedgerWriter(db.sql);
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 0, minute));
    const report = (id: string, minute: number, to: 'Healthy' | 'Degraded') =>
      events.healthChanged({ cluster: 'pipe', component: 'cart', version: '1', from: null, to, time: at(minute), id });
    // Warm the writer's tip and state cache.
    await pipelined.write({ events: [report('p-0', 0, 'Healthy')], deadLetters: [] });
    // Three batches in flight at once: the second and third are planned while the first commits.
    const inFlight = [1, 2, 3].map((b) =>
      pipelined.write({ events: Array.from({ length: 5 }, (_, i) => report(`p-${b}-${i}`, b * 10 + i, 'Healthy')), deadLetters: [] }),
    );
    const results = await Promise.all(inFlight);
    assert.deepEqual(results.map((r) => r.recorded), [5, 5, 5]);
    assert.ok(pipelined.speculation.reused >= 2, `prepared plans were used (${JSON.stringify(pipelined.speculation)})`);

    // A batch prepared while another commits, holding a redelivered event: planned again under the lock.
    const before = pipelined.speculation.replanned;
    const [, redelivered] = await Promise.all([
      pipelined.write({ events: [report('p-4', 40, 'Healthy')], deadLetters: [] }),
      pipelined.write({ events: [report('p-0', 0, 'Healthy'), report('p-5', 41, 'Healthy')], deadLetters: [] }),
    ]);
    assert.equal(pipelined.speculation.replanned, before + 1);
    assert.deepEqual([redelivered.recorded, redelivered.duplicates], [1, 1]);

    // Another replica records a newer report about the same pair: the first writer's cached state is now stale.
    await other.write({ events: [report('o-1', 100, 'Degraded')], deadLetters: [] });
    await Promise.all([
      pipelined.write({ events: [report('p-late', 50, 'Healthy')], deadLetters: [] }),
      pipelined.write({ events: [report('p-after', 60, 'Healthy')], deadLetters: [] }),
    ]);
    const [state] = await db.sql`select health, health_at from component_state where cluster = 'pipe' and component = 'cart'`;
    assert.equal(state?.['health'], 'Degraded', 'the other replica\'s newer report stays: the stale cache was not used');
    assert.deepEqual(state?.['health_at'], at(100));
    const result = await queries.verify({});
    assert.equal(result.isIntact, true);
    const [row] = await db.sql<{ n: number; maxSeq: string }[]>`select count(*)::int as n, max(seq) as "maxSeq" from transitions`;
    assert.equal(Number(row?.maxSeq), row?.n, 'no gaps');
  });

  it('stores text COPY treats specially (tabs, newlines, backslashes, quotes) exactly, and the chain still verifies', async () => {
    const reason = 'line one\nline two\twith a tab, a backslash \\ and "quotes"\r\n\\N is not null';
    const failed = events.applyFailed({ cluster: 'copy-1', component: 'cart', version: '1', reason });
    const result = await writer.write({ events: [failed], deadLetters: [] });
    assert.equal(result.recorded, 1);
    const [row] = await db.sql`select detail, to_version from transitions where event_id = ${failed.id}`;
    assert.equal((row?.['detail'] as { reason: string }).reason, reason);
    const [state] = await db.sql`select problem_reason from component_state where cluster = 'copy-1' and component = 'cart'`;
    assert.equal(state?.['problem_reason'], reason);
    assert.equal((await queries.verify({})).isIntact, true);
  });

  it('refuses UPDATE and DELETE on the ledger', async () => {
    await assert.rejects(
      db.sql`update transitions set actor = 'mallory' where seq = 1`.catch((err: unknown) => Promise.reject(mapped(err))),
      (err: Error) => err instanceof ForbiddenError && /append-only/.test(err.message),
    );
    await assert.rejects(db.sql`delete from transitions where seq = 1`, /append-only/);
  });

  it('reports the first row a superuser changed behind the service\'s back', async () => {
    await db.sql.begin(async (tx) => {
      // Replica mode skips triggers: what an attacker with superuser rights would do.
      await tx`set local session_replication_role = replica`;
      await tx`update transitions set to_version = '6.6.6' where seq = 9`;
    });
    const result = await queries.verify({});
    assert.equal(result.isIntact, false);
    assert.equal(result.firstBreak?.seq, 9);
    assert.equal(result.firstBreak?.reason, 'content_mismatch');
    assert.equal(result.checkedRows, 9);
    const from10 = await queries.verify({ fromSeq: 10 });
    assert.equal(from10.isIntact, true, 'rows after the tampered one still chain to its stored hash');
  });
});

function mapped(err: unknown): Error {
  // Kept local: the adapter maps errors for its own calls; this test talks SQL directly.
  return err instanceof Error && (err as { code?: string }).code === '42501' ? new ForbiddenError(err.message, { cause: err }) : (err as Error);
}
