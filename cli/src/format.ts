/**
 * Output for people and for scripts: aligned tables and short key/value blocks with colour
 * only on a terminal (and never with NO_COLOR), or JSON exactly as the API returned it.
 */

export const OutputFormat = { table: 'table', json: 'json' } as const;
export type OutputFormat = (typeof OutputFormat)[keyof typeof OutputFormat];

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Style = keyof typeof CODES;

export interface Painter {
  paint(style: Style, text: string): string;
}

export function painter(isColour: boolean): Painter {
  return { paint: (style, text) => (isColour && text !== '' ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text) };
}

/** Colour only for a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function isColourWanted(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

// eslint-disable-next-line no-control-regex -- matching the escape sequences this module writes
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

export interface Column<T> {
  header: string;
  value(row: T): string;
  style?(row: T): Style | undefined;
}

/** An aligned table with a bold header; an empty list prints `empty` instead. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], p: Painter, empty = '(none)'): string {
  if (rows.length === 0) return `${p.paint('dim', empty)}\n`;
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const line = (values: readonly string[], styles: readonly (Style | undefined)[]) =>
    values
      .map((v, i) => {
        const padded = i === values.length - 1 ? v : v + ' '.repeat((widths[i] ?? 0) - visibleLength(v));
        const style = styles[i];
        return style ? p.paint(style, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((c) => c.header),
    columns.map(() => 'bold' as const),
  );
  const body = rows.map((row, r) => line(cells[r] ?? [], columns.map((c) => c.style?.(row))));
  return `${[header, ...body].join('\n')}\n`;
}

/** `key: value` lines with aligned values. */
export function keyValues(pairs: readonly (readonly [string, string])[], p: Painter): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${p.paint('bold', `${k}:`)}${' '.repeat(width - k.length + 1)}${v}`).join('\n') + '\n';
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `2026-11-27 12:00:05Z`: second precision is enough for people; JSON output keeps the rest. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function dash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}

export function labels(map: Readonly<Record<string, unknown>>): string {
  const entries = Object.entries(map);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(',');
}

/** The colour of a health or sync status: good green, in-between yellow, bad red. */
export function statusStyle(status: string | null | undefined): Style | undefined {
  switch (status) {
    case 'Healthy':
    case 'Synced':
    case 'applied':
      return 'green';
    case 'Progressing':
    case 'OutOfSync':
    case 'pending':
    case 'Drifted':
      return 'yellow';
    case 'Degraded':
    case 'Missing':
    case 'Failed':
    case 'failed':
      return 'red';
    default:
      return undefined;
  }
}
