/**
 * `COPY … FROM STDIN` in Postgres' text format: the cheapest way to hand Postgres many rows
 * (about half the server time of `json_to_recordset` for a ledger batch, which has to parse
 * every row as JSON first). Only the encoding lives here; callers choose table and columns.
 */
import type { TransactionSql } from 'postgres';

/** A value Postgres reads from one text-format field; arrays become text-array literals. */
export type CopyValue = string | number | boolean | null | undefined | readonly string[];

const NEEDS_ESCAPE = /[\\\n\r\t]/;

/** One field: `\N` for null, and the four characters COPY treats specially escaped. */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : Array.isArray(value) ? arrayLiteral(value as readonly string[]) : String(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c] ?? c) : text;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `{"a","b"}`: every element quoted, so commas, braces and spaces inside need no care. */
function arrayLiteral(items: readonly string[]): string {
  let out = '{';
  for (let i = 0; i < items.length; i++) out += `${i === 0 ? '' : ','}"${(items[i] as string).replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return `${out}}`;
}

/** The records as COPY text: one line per record, its `columns` in order, separated by tabs. */
export function copyRecords(records: readonly Readonly<Record<string, unknown>>[], columns: readonly string[]): string {
  let out = '';
  for (const record of records) {
    let line = '';
    for (let i = 0; i < columns.length; i++) line += (i === 0 ? '' : '\t') + copyField(record[columns[i] as string] as CopyValue);
    out += `${line}\n`;
  }
  return out;
}

/**
 * Starts streaming `text` (from `copyRecords`, or lines built the same way) into `table (columns)`. Resolves once the rows are
 * handed to the connection, with a promise that settles when Postgres has stored them all: the
 * caller can do other work while Postgres parses and inserts. Nothing else may be sent on the
 * connection until that promise settles.
 */
export async function startCopy(tx: TransactionSql, table: string, columns: readonly string[], text: string): Promise<{ stored: Promise<void> }> {
  const stream = await tx.unsafe(`copy ${table} (${columns.join(', ')}) from stdin`).writable();
  const stored = new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', resolve);
  });
  stream.end(text);
  return { stored };
}
