/** The ledger in `seq` order from Postgres, for the live stream: a range scan of the primary key. */
import { mapPgError, type Sql } from '@driftless/db';
import type { LedgerRow } from '../core/ledger.js';
import type { TransitionFeed } from '../ports.js';
import { toLedgerRow, type DbRow } from './pg-rows.js';

export class PgTransitionFeed implements TransitionFeed {
  constructor(private readonly sql: Sql) {}

  async tipSeq(): Promise<number> {
    try {
      const [row] = await this.sql<{ seq: string | null }[]>`select max(seq) as seq from transitions`;
      return Number(row?.seq ?? 0);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async after(afterSeq: number, limit: number): Promise<LedgerRow[]> {
    try {
      const rows = await this.sql<DbRow[]>`select * from transitions where seq > ${afterSeq} order by seq limit ${limit}`;
      return rows.map(toLedgerRow);
    } catch (err) {
      throw mapPgError(err);
    }
  }
}
