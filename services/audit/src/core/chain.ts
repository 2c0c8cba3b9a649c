/**
 * The tamper-evident chain: each ledger row's `hash` is sha256 over the previous row's hash and
 * the row's canonical content, so changing, removing or reordering any row changes every hash
 * after it. `verifyNext` is the single check the verifier applies row by row.
 */
import * as crypto from 'node:crypto';
import { canonicalJson } from './canonical.js';
import type { LedgerEntry, LedgerRow } from './ledger.js';

/** The `prev_hash` of the first row. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainTip {
  seq: number;
  hash: string;
}

export const EMPTY_TIP: ChainTip = { seq: 0, hash: GENESIS_HASH };

/** JSON text of a nullable string column, as canonicalJson writes it. */
const text = (value: string | null): string => (value === null ? 'null' : JSON.stringify(value));

/** ISO form of the last instant seen: a batch's rows share their `recordedAt`. */
let lastInstant: { ms: number; iso: string } = { ms: Number.NaN, iso: '' };
function iso(date: Date): string {
  const ms = date.getTime();
  if (ms !== lastInstant.ms) lastInstant = { ms, iso: date.toISOString() };
  return lastInstant.iso;
}

/**
 * The exact text hashed for a row: a fixed field order, so adding a column never reorders old
 * content. It is `canonicalJson` of the array of those fields, written out field by field
 * because ingest computes it for every event (chain.test.ts pins the bytes).
 */
export function canonicalContent(row: Omit<LedgerRow, 'prevHash' | 'hash'>): string {
  return (
    '[' + canonicalJson(row.seq) + ',' + text(row.eventId) + ',' + text(row.kind) + ',' + text(row.occurredAt.toISOString()) + ',' + text(iso(row.recordedAt)) +
    ',' + text(row.cluster) + ',' + text(row.component) + ',' + text(row.stage) + ',' + text(row.repo) + ',' + canonicalJson(row.apps) +
    ',' + text(row.fromVersion) + ',' + text(row.toVersion) + ',' + text(row.fromHash) + ',' + text(row.toHash) + ',' + text(row.commitSha) +
    ',' + text(row.actor) + ',' + text(row.traceId) + ',' + text(row.source) + ',' + text(row.subject) + ',' + canonicalJson(row.detail) + ']'
  );
}

/** sha256 in hex; the one-shot `crypto.hash` (Node ≥ 20.12) skips a Hash object per row. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex: (data: string) => string =
  typeof oneShot === 'function' ? (data) => oneShot('sha256', data, 'hex') : (data) => crypto.createHash('sha256').update(data).digest('hex');

export function rowHash(prevHash: string, row: Omit<LedgerRow, 'prevHash' | 'hash'>): string {
  return sha256Hex(prevHash + '\n' + canonicalContent(row));
}

/** Places entries after `tip`, in order, with consecutive `seq` and chained hashes. */
export function chainEntries(tip: ChainTip, entries: readonly LedgerEntry[], recordedAt: Date): LedgerRow[] {
  let { seq, hash } = tip;
  const rows: LedgerRow[] = new Array<LedgerRow>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as LedgerEntry;
    seq += 1;
    // Written out rather than spread: ingest chains thousands of rows per batch, and a literal of
    // known shape is several times cheaper to build.
    const row: LedgerRow = {
      seq,
      eventId: e.eventId,
      kind: e.kind,
      occurredAt: e.occurredAt,
      recordedAt,
      cluster: e.cluster,
      component: e.component,
      stage: e.stage,
      repo: e.repo,
      apps: e.apps,
      fromVersion: e.fromVersion,
      toVersion: e.toVersion,
      fromHash: e.fromHash,
      toHash: e.toHash,
      commitSha: e.commitSha,
      actor: e.actor,
      traceId: e.traceId,
      source: e.source,
      subject: e.subject,
      detail: e.detail,
      prevHash: hash,
      hash: '',
    };
    row.hash = hash = rowHash(row.prevHash, row);
    rows[i] = row;
  }
  return rows;
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
