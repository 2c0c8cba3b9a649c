/**
 * Editing version files as text (`versions/<stage>.yaml`, `versions/clusters/<cluster>.yaml`) so
 * that a promotion is a one-line diff: comments, blank lines, order, quoting and line endings are
 * kept, exactly the line of each edited component changes, a missing component gets a new line
 * appended after the last line of the file, and a removed one loses its line.
 *
 * Only files that keep to the format (one `component: version` line each, at the start of the
 * line) can be edited; anything else is refused with the file and line rather than rewritten.
 */
import { InvalidInputError } from '@driftless/contracts';
import { VERSION_PATTERN } from './schema.js';

/** Set `component` to `version`, or remove its line when `version` is null. */
export interface VersionEdit {
  readonly component: string;
  readonly version: string | null;
}

export interface EditedVersionFile {
  readonly text: string;
  /** Components whose line was changed, added or removed, in edit order. */
  readonly changed: readonly string[];
  /** How many `component: version` lines the file has after the edit (0: the file can go). */
  readonly entryCount: number;
}

/** A version file that does not keep to one `component: version` line per component. */
export class VersionFileEditError extends InvalidInputError {
  override readonly name: string = 'VersionFileEditError';
}

const versionPattern = new RegExp(VERSION_PATTERN);
const COMPONENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// key, separator, value (plain, '…' or "…"), then optional spaces and a comment.
const ENTRY_LINE = /^([a-z0-9][-a-z0-9]*)(\s*:\s*)('[^']*'|"[^"]*"|[^\s#'"][^\s#]*)(\s*(?:#.*)?)$/;
const IGNORABLE_LINE = /^\s*(#.*)?$|^---\s*$/;

interface ParsedLine {
  readonly text: string;
  readonly entry?: { component: string; separator: string; value: string; rest: string };
}

/** The versions in a version file's text, by component, as this module reads them. */
export function readVersionLines(text: string, file: string): Map<string, string> {
  const versions = new Map<string, string>();
  for (const line of parseLines(text, file).lines) if (line.entry) versions.set(line.entry.component, unquote(line.entry.value));
  return versions;
}

/** Applies the edits to a version file's text (undefined: the file does not exist yet). */
export function editVersionFile(text: string | undefined, edits: readonly VersionEdit[], file: string): EditedVersionFile {
  const { lines, eol, hasFinalEol } = parseLines(text ?? '', file);
  const changed: string[] = [];
  const seen = new Set<string>();
  for (const edit of edits) {
    if (!COMPONENT.test(edit.component)) throw new VersionFileEditError(`${file}: "${edit.component}" is not a component name (a DNS label)`);
    if (seen.has(edit.component)) throw new VersionFileEditError(`${file}: component ${edit.component} is edited twice in one change`);
    seen.add(edit.component);
    if (edit.version !== null && !versionPattern.test(edit.version)) {
      throw new VersionFileEditError(
        `${file}: version ${JSON.stringify(edit.version)} of ${edit.component} is not valid: use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
      );
    }
    const index = lines.findIndex((l) => l.entry?.component === edit.component);
    const entry = index < 0 ? undefined : lines[index]?.entry;
    if (edit.version === null) {
      if (index < 0) continue;
      lines.splice(index, 1);
      changed.push(edit.component);
      continue;
    }
    if (!entry) {
      // Appended after the last line: the file's own order is the author's, not ours to sort.
      lines.push({ text: `${edit.component}: ${edit.version}`, entry: { component: edit.component, separator: ': ', value: edit.version, rest: '' } });
      changed.push(edit.component);
      continue;
    }
    if (unquote(entry.value) === edit.version) continue;
    const value = requote(entry.value, edit.version);
    lines[index] = { text: `${entry.component}${entry.separator}${value}${entry.rest}`, entry: { ...entry, value } };
    changed.push(edit.component);
  }
  const body = lines.map((l) => l.text).join(eol);
  const isNewOrEnded = text === undefined || text === '' || hasFinalEol;
  return { text: body === '' ? '' : `${body}${isNewOrEnded ? eol : ''}`, changed, entryCount: lines.filter((l) => l.entry).length };
}

function parseLines(text: string, file: string): { lines: ParsedLine[]; eol: string; hasFinalEol: boolean } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const hasFinalEol = text.endsWith('\n');
  const raw = text === '' ? [] : (hasFinalEol ? text.slice(0, text.endsWith(eol) ? -eol.length : -1) : text).split(eol);
  const seen = new Set<string>();
  const lines = raw.map((line, index): ParsedLine => {
    if (IGNORABLE_LINE.test(line)) return { text: line };
    const match = ENTRY_LINE.exec(line);
    if (!match) {
      throw new VersionFileEditError(`${file}:${index + 1}: "${line.trim()}" is not a "component: version" line; fix the file by hand to one line per component`);
    }
    const [, component = '', separator = '', value = '', rest = ''] = match;
    if (seen.has(component)) throw new VersionFileEditError(`${file}:${index + 1}: component ${component} appears twice`);
    seen.add(component);
    return { text: line, entry: { component, separator, value, rest } };
  });
  return { lines, eol, hasFinalEol };
}

function unquote(value: string): string {
  return value.startsWith("'") || value.startsWith('"') ? value.slice(1, -1) : value;
}

/** The new version in the old value's quoting, so a quoted file stays quoted. */
function requote(old: string, version: string): string {
  if (old.startsWith("'")) return `'${version}'`;
  if (old.startsWith('"')) return `"${version}"`;
  return version;
}
