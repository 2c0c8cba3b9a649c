/**
 * The services' own account of a failure: the last warnings and errors in their logs (pino JSON
 * lines, one file per service), short enough to quote under a timed-out wait in a CI log.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const TROUBLE_LEVELS = new Set(['warn', 'error', 'fatal']);
const MAX_LINE_CHARS = 400;

interface LogLine {
  service: string;
  time: string;
  text: string;
}

function troubleIn(file: string, service: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw.startsWith('{')) continue;
    let entry: { level?: unknown; time?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(raw) as typeof entry;
    } catch {
      continue;
    }
    if (typeof entry.level !== 'string' || !TROUBLE_LEVELS.has(entry.level)) continue;
    const { level, time, msg, pid: _pid, hostname: _hostname, name: _name, ...fields } = entry as Record<string, unknown>;
    const text = `${String(level)} ${String(msg)} ${JSON.stringify(fields)}`;
    lines.push({ service, time: typeof time === 'string' ? time : '', text: text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text });
  }
  return lines;
}

/** The newest `max` warnings and errors across every service log in `logsDir`, oldest first; '' when none. */
export function recentTrouble(logsDir: string, max = 12): string {
  let files: string[];
  try {
    files = readdirSync(logsDir).filter((f) => f.endsWith('.log'));
  } catch {
    return '';
  }
  const lines = files.flatMap((f) => troubleIn(join(logsDir, f), f.replace(/\.log$/, '')));
  lines.sort((a, b) => a.time.localeCompare(b.time));
  return lines
    .slice(-max)
    .map((l) => `  ${l.time} ${l.service}: ${l.text}`)
    .join('\n');
}
