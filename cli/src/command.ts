/**
 * How a command is declared (name, arguments, options, an example) and what it gets to run
 * with. The declaration is the single source of parsing, checking and `--help`.
 */
import { assertDnsLabel, type InvalidInputError } from '@driftless/contracts';
import type { ApiClient } from './api.js';
import { UsageError, type ExitCode } from './errors.js';
import type { OutputFormat, Painter } from './format.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The placeholder in help, e.g. STAGE. */
  value?: string;
  /** Shown without brackets in the usage line; the command checks it (requiredOption). */
  isRequired?: boolean;
  description: string;
}

export interface ArgSpec {
  name: string;
  description: string;
}

export type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

export interface Context {
  api: ApiClient;
  format: OutputFormat;
  p: Painter;
  /** Writes to stdout. */
  print(text: string): void;
  /** Writes to stderr (notes for people that must not pollute JSON output). */
  note(text: string): void;
}

export interface Command {
  /** Words after `driftless`, e.g. ['cluster', 'add']. */
  path: readonly string[];
  summary: string;
  /** Longer description for --help. */
  description?: string;
  args: readonly ArgSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  examples: readonly string[];
  run(ctx: Context, positionals: readonly string[], values: Values): Promise<ExitCode>;
}

/** A string option's value (the last one when repeated). */
export function stringOption(values: Values, name: string): string | undefined {
  const v = values[name];
  if (Array.isArray(v)) return v.map(String).at(-1);
  return typeof v === 'string' ? v : undefined;
}

export function stringOptions(values: Values, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

export function requiredOption(values: Values, name: string, value: string): string {
  const v = stringOption(values, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} ${value} is required`);
  return v;
}

/** A DNS label or a usage error stating the rule. */
export function dnsLabel(what: string, value: string): string {
  try {
    return assertDnsLabel(what, value);
  } catch (err) {
    throw new UsageError((err as InvalidInputError).message);
  }
}

/** `KEY=VALUE` pairs; `parse` turns each value into what the API takes. */
export function keyValuePairs<T>(flag: string, items: readonly string[], parse: (raw: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${flag} takes KEY=VALUE, got ${JSON.stringify(item)}`);
    out[item.slice(0, at)] = parse(item.slice(at + 1));
  }
  return out;
}

/** Numbers and true/false become JSON numbers and booleans; "quoted" keeps a string as it is. */
export function scalarValue(raw: string): string | number | boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) return raw.slice(1, -1);
  return raw;
}

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/** `90s`, `30m`, `24h`, `7d`, `1w` (or plain seconds) as seconds. */
export function durationSeconds(flag: string, raw: string): number {
  const match = /^(\d+)([smhdw]?)$/.exec(raw.trim());
  if (!match) throw new UsageError(`--${flag} takes a duration such as 90s, 30m, 24h or 7d, got ${JSON.stringify(raw)}`);
  return Number(match[1]) * UNIT_S[(match[2] || 's') as keyof typeof UNIT_S];
}

/** A duration back from `now` (`24h`) or an RFC 3339 time, as an RFC 3339 time. */
export function sinceTime(flag: string, raw: string, now: Date): string {
  if (/^\d+[smhdw]?$/.test(raw.trim())) return new Date(now.getTime() - durationSeconds(flag, raw) * 1000).toISOString();
  const t = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(t)) {
    throw new UsageError(`--${flag} takes a duration such as 24h or 7d, or an RFC 3339 time such as 2026-11-27T12:00:00Z, got ${JSON.stringify(raw)}`);
  }
  return new Date(t).toISOString();
}
