/**
 * Parsing repository YAML safely: size, UTF-8, document count, alias expansion and nesting are
 * bounded; only JSON-compatible values come out; every problem becomes a RenderError with file and line.
 */
import { LineCounter, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import { RenderError } from './errors.js';
import type { Limits } from './limits.js';

export type YamlPath = readonly (string | number)[];

export interface ParsedDocument {
  /** The document's content as plain JSON-compatible data (null for an empty document). */
  readonly value: unknown;
  /** 1-based line where the document's content starts. */
  readonly line: number;
}

export interface ParsedYaml {
  readonly file: string;
  readonly documents: readonly ParsedDocument[];
  /** 1-based line of the node at `path` in document `index` (or of its nearest ancestor found). */
  lineOf(index: number, path: YamlPath): number | undefined;
  /** The yaml node at `path` in document `index`, if the path leads to one (it does not through an alias). */
  nodeAt(index: number, path: YamlPath): unknown;
}

export interface ParseOptions {
  /** `failsafe` reads every scalar as a string (version files: `1.10` stays "1.10"). */
  readonly schema?: 'core' | 'failsafe';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Formats a path the way problems name it: `clusters.prod-eu.stage`, `spec.ports[0]`. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

function decode(bytes: Uint8Array, file: string, limits: Limits): string {
  if (bytes.byteLength > limits.maxFileBytes) {
    throw new RenderError({ file, reason: `file is ${bytes.byteLength} bytes, more than the limit of ${limits.maxFileBytes}` });
  }
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new RenderError({ file, reason: 'file is not valid UTF-8 text' }, { cause: err });
  }
}

function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return 'binary data (!!binary)';
  if (value instanceof Map || value instanceof Set) return 'a YAML 1.1 map/set type';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/**
 * Checks that a parsed value is plain JSON data no deeper than `maxDepth`; returns the path and
 * reason of the first violation. Recursion stops at the limit, so hostile depth cannot overflow the stack.
 */
function findNonPlain(value: unknown, maxDepth: number, path: (string | number)[] = []): { path: YamlPath; reason: string } | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : { path: [...path], reason: `${String(value)} is not a number JSON can carry` };
  }
  if (path.length >= maxDepth && typeof value === 'object') {
    return { path: [...path], reason: `maps and lists are nested more than ${maxDepth} deep` };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const found = findNonPlain(value[i], maxDepth, path);
      path.pop();
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key of Object.keys(value)) {
      path.push(key);
      const found = findNonPlain((value as Record<string, unknown>)[key], maxDepth, path);
      path.pop();
      if (found) return found;
    }
    return undefined;
  }
  return { path: [...path], reason: `unsupported value (${describeValue(value)}); only strings, numbers, booleans, null, maps and lists are allowed` };
}

/**
 * The line of the node at `path`: for a map entry the line of its key (where an editor's eye goes),
 * for a list item the item's own line. A path through an alias, or past a scalar, stops at the last node reached.
 */
function lineIn(doc: Document, counter: LineCounter, path: YamlPath): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => String(isScalar(item.key) ? item.key.value : item.key) === String(part));
      if (!pair) break;
      offset = isNode(pair.key) ? (pair.key.range?.[0] ?? offset) : offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item: unknown = node.items[part];
      if (!isNode(item)) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

/** Parses all YAML documents of a file within `limits`; throws a RenderError on the first problem. */
export function parseYaml(bytes: Uint8Array, file: string, limits: Limits, options: ParseOptions = {}): ParsedYaml {
  const text = decode(bytes, file, limits);
  const counter = new LineCounter();
  let docs: Document[];
  try {
    const parsed = parseAllDocuments(text, { lineCounter: counter, schema: options.schema ?? 'core', uniqueKeys: true, prettyErrors: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    throw new RenderError({ file, reason: `YAML cannot be parsed: ${(err as Error).message}` }, { cause: err });
  }
  if (docs.length > limits.maxDocumentsPerFile) {
    throw new RenderError({ file, reason: `file has ${docs.length} YAML documents, more than the limit of ${limits.maxDocumentsPerFile}` });
  }
  const documents: ParsedDocument[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line ?? counter.linePos(error.pos[0]).line;
      throw new RenderError({ file, line, reason: `invalid YAML: ${error.message.split('\n')[0] ?? error.code}` });
    }
    const line = lineIn(doc, counter, []) ?? 1;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: limits.maxAliasCount });
    } catch (err) {
      const reason =
        err instanceof ReferenceError && /excessive alias count/i.test(err.message)
          ? `YAML aliases expand to too many nodes (limit ${limits.maxAliasCount}); this looks like an alias bomb`
          : `YAML cannot be read: ${(err as Error).message}`;
      throw new RenderError({ file, line, reason }, { cause: err });
    }
    const bad = findNonPlain(value, limits.maxDepth);
    if (bad) {
      throw new RenderError({
        file,
        line: lineIn(doc, counter, bad.path) ?? line,
        ...(bad.path.length > 0 ? { path: formatPath(bad.path) } : {}),
        reason: bad.reason,
      });
    }
    documents.push({ value, line });
  }
  return {
    file,
    documents,
    lineOf: (index, path) => {
      const doc = docs[index];
      return doc ? lineIn(doc, counter, path) : undefined;
    },
    nodeAt: (index, path) => (path.length === 0 ? docs[index]?.contents : docs[index]?.getIn(path, true)),
  };
}
