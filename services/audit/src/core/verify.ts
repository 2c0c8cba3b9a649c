/**
 * Walks the ledger chain row by row, remembering only the previous row's position and hash, so
 * ten million rows verify in constant memory. Stops at the first break.
 */
import { verifyNext, type ChainBreak, type ChainTip } from './chain.js';
import type { LedgerRow } from './ledger.js';

export class ChainVerifier {
  checkedRows = 0;
  firstSeq: number | null = null;
  firstBreak: ChainBreak | null = null;
  private previous: ChainTip;

  constructor(start: ChainTip) {
    this.previous = start;
  }

  /** The last row that checked out (or the start). */
  get tip(): ChainTip {
    return this.previous;
  }

  /** Checks the next row; returns false once the chain is broken (stop feeding rows). */
  push(row: LedgerRow): boolean {
    if (this.firstBreak) return false;
    this.checkedRows += 1;
    this.firstSeq ??= row.seq;
    const problem = verifyNext(this.previous, row);
    if (problem) {
      this.firstBreak = problem;
      return false;
    }
    this.previous = { seq: row.seq, hash: row.hash };
    return true;
  }
}
