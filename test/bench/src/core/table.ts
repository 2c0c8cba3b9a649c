/** Markdown tables and number formatting for the printed results. */

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => escape(c).padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), `| ${widths.map((w) => '-'.repeat(Math.max(3, w))).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** `1234.5` → `1,235`; NaN and undefined → `n/a`. */
export function fmtInt(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? 'n/a' : Math.round(n).toLocaleString('en-US');
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (Math.abs(ms) >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (Math.abs(ms) >= 1_000) return `${(ms / 1000).toFixed(2)} s`;
  if (Math.abs(ms) >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtMb(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? 'n/a' : `${Math.round(bytes / 2 ** 20)} MiB`;
}

export function fmtRatio(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? 'n/a' : `${ratio.toFixed(1)}×`;
}
