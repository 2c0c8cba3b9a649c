/**
 * A real audit service for the UI's browser tests, screenshots and benchmark: a scratch
 * Postgres database, the ledger seeded through the real ingest path (JetStream-shaped
 * messages → decode, validate → Postgres), the live stream, and the built UI from ui/dist,
 * listening on a free port.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp, IngestWorker, migrateAuditDb, PgAuditQueries, PgLedgerWriter, PgTokenStore } from '@driftless/audit';
import { TransitionHub } from '@driftless/audit/stream';
import { PgTransitionFeed } from '@driftless/audit/transition-feed';
import type { DriftlessEvent } from '@driftless/contracts';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { createLogger } from '@driftless/telemetry';
import { POSTGRES_URL } from '@driftless/testkit';

export const UI_DIST = join(dirname(dirname(fileURLToPath(import.meta.url))), 'dist');

export interface AuditUnderTest {
  url: string;
  tokens: { viewer: string; operator: string; admin: string };
  db: ScratchDatabase;
  /** Ingests events through the real ingest path, as if they came from JetStream. */
  ingest(events: readonly DriftlessEvent[]): Promise<void>;
  stop(): Promise<void>;
}

export async function startAudit(options: { label: string; seed?: readonly DriftlessEvent[]; streamPollMs?: number }): Promise<AuditUnderTest> {
  if (!existsSync(join(UI_DIST, 'index.html'))) throw new Error('ui/dist is not built: run `npm run build -w @driftless/ui` first');
  const log = createLogger({ name: options.label, level: 'silent' });
  const db = await createScratchDatabase(POSTGRES_URL, options.label, { max: 6 });
  await migrateAuditDb(db.sql);
  const store = new PgTokenStore(db.sql);
  const tokens = {
    viewer: (await store.create('vera-viewer', 'viewer')).secret,
    operator: (await store.create('otto-operator', 'operator')).secret,
    admin: (await store.create('ada-admin', 'admin')).secret,
  };
  const worker = new IngestWorker({ writer: new PgLedgerWriter(db.sql), log });
  let streamSeq = 0;
  const ingest = async (events: readonly DriftlessEvent[]) => {
    for (let i = 0; i < events.length; i += 1000) {
      const batch = events.slice(i, i + 1000).map((e) => ({ subject: e.subject, data: new TextEncoder().encode(JSON.stringify(e)), seq: ++streamSeq }));
      const outcomes = await worker.handleBatch(batch);
      const refused = outcomes.filter((o) => o.kind !== 'ack');
      if (refused.length > 0) throw new Error(`ingest refused ${refused.length} seeded events: ${JSON.stringify(refused[0])}`);
    }
  };
  if (options.seed) await ingest(options.seed);

  const hub = new TransitionHub({ feed: new PgTransitionFeed(db.sql), log, pollIntervalMs: options.streamPollMs ?? 100 });
  const app = await buildApp({ queries: new PgAuditQueries(db.sql), tokens: store, stream: hub, uiDir: UI_DIST });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    tokens,
    db,
    ingest,
    stop: async () => {
      await hub.close();
      await app.close();
      await db.drop();
    },
  };
}
