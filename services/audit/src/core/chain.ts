/**
 * The tamper-evident chain: each ledger row's `hash` is sha256 over the previous row's hash and
 * the row's canonical content, so changing, removing or reordering any row changes every hash
 * after it. `verifyNext` is the single check the verifier applies row by row.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { LedgerEntry, LedgerRow } from './ledger.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainTip {
  seq: number;
  hash: string;
}

export const EMPTY_TIP: ChainTip = { seq: 0, hash: GENESIS_HASH };

/** The exact text hashed for a row: a fixed field order, so adding a column never reorders old content. */
export function canonicalContent(row: Omit<LedgerRow, 'prevHash' | 'hash'>): string {
  return canonicalJson([
    row.seq,
    row.eventId,
    row.kind,
    row.occurredAt.toISOString(),
    row.recordedAt.toISOString(),
    row.cluster,
    row.component,
    row.stage,
    row.repo,
    row.apps,
    row.fromVersion,
    row.toVersion,
    row.fromHash,
    row.toHash,
    row.commitSha,
    row.actor,
    row.traceId,
    row.source,
    row.subject,
    row.detail,
  ]);
}

export function rowHash(prevHash: string, row: Omit<LedgerRow, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalContent(row)).digest('hex');
}

/** Places entries after `tip`, in order, with consecutive `seq` and chained hashes. */
export function chainEntries(tip: ChainTip, entries: readonly LedgerEntry[], recordedAt: Date): LedgerRow[] {
  let { seq, hash } = tip;
  return entries.map((entry) => {
    seq += 1;
    // One object per row: ingest chains thousands of rows per batch, and copies are garbage to collect.
    const row: LedgerRow = { ...entry, seq, recordedAt, prevHash: hash, hash: '' };
    row.hash = hash = rowHash(row.prevHash, row);
    return row;
  });
}

export const BreakReason = {
  gap: 'gap',
  prevHashMismatch: 'prev_hash_mismatch',
  contentMismatch: 'content_mismatch',
} as const;
export type BreakReason = (typeof BreakReason)[keyof typeof BreakReason];

export interface ChainBreak {
  seq: number;
  eventId: string;
  reason: BreakReason;
  message: string;
  expectedHash: string;
  storedHash: string;
}

/** Checks that `row` follows `previous` in a sound chain; returns what is wrong, or null. */
export function verifyNext(previous: ChainTip, row: LedgerRow): ChainBreak | null {
  const at = { seq: row.seq, eventId: row.eventId };
  if (row.seq !== previous.seq + 1) {
    return {
      ...at,
      reason: BreakReason.gap,
      message: `row ${row.seq} follows row ${previous.seq}: rows ${previous.seq + 1}..${row.seq - 1} are missing`,
      expectedHash: previous.hash,
      storedHash: row.prevHash,
    };
  }
  if (row.prevHash !== previous.hash) {
    return {
      ...at,
      reason: BreakReason.prevHashMismatch,
      message: `row ${row.seq} does not link to row ${previous.seq}: its prev_hash differs from that row's hash`,
      expectedHash: previous.hash,
      storedHash: row.prevHash,
    };
  }
  const expected = rowHash(row.prevHash, row);
  if (expected !== row.hash) {
    return {
      ...at,
      reason: BreakReason.contentMismatch,
      message: `row ${row.seq} was changed after it was written: its content no longer matches its hash`,
      expectedHash: expected,
      storedHash: row.hash,
    };
  }
  return null;
}
