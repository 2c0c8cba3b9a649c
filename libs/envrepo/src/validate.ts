/**
 * Validation of driftless.yaml: the schema (via TypeBox) with messages an operator can act on,
 * then the cross-references the schema cannot express (a cluster's stage exists, an app's components exist…).
 * Every problem is collected with its path, so one run reports them all.
 */
import { InvalidNameError } from '@driftless/contracts';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { DNS_LABEL_PATTERN, EnvironmentFileSchema, VERSION_PATTERN, type EnvironmentFile } from './schema.js';
import { isPlainObject } from './values.js';
import { alternatives } from './words.js';
import type { YamlPath } from './yaml-file.js';

export interface Problem {
  readonly path: YamlPath;
  readonly reason: string;
}

const fileCheck = TypeCompiler.Compile(EnvironmentFileSchema);

/** What a name in a given place names, for InvalidNameError's message. */
const NAMED_BY: Readonly<Record<string, string>> = {
  clusters: 'cluster',
  components: 'component',
  apps: 'app',
  componentValues: 'component',
  overrides: 'component',
  stages: 'stage',
  names: 'cluster',
  stage: 'stage',
  keys: 'key',
  signedBy: 'key',
};

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

function namedBy(path: YamlPath): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const part = path[i];
    if (typeof part === 'string' && i >= path.length - 2) {
      const what = NAMED_BY[part];
      if (what) return what;
    }
  }
  return 'name';
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function reasonFor(error: ValueError, path: YamlPath): string {
  const schema = error.schema as TSchema & Record<string, unknown>;
  const value = error.value;
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.ObjectAdditionalProperties: {
      const key = String(path[path.length - 1]);
      const parent = path[path.length - 2];
      if (schema['patternProperties'] !== undefined) {
        if (parent === 'labels') return `"${key}" is not a valid label key (e.g. "region" or "example.com/tier")`;
        return new InvalidNameError(namedBy(path.slice(0, -1)), key).message;
      }
      const fields = Object.keys((schema['properties'] as Record<string, unknown> | undefined) ?? {});
      return `unknown field "${key}"${alternatives('fields', key, fields)}`;
    }
    case ValueErrorType.StringPattern:
      if (schema.pattern === VERSION_PATTERN) {
        return `${JSON.stringify(value)} is not a valid version: use up to 128 letters, digits, '.', '_' or '-', not starting with '.' or '-' (like an image tag)`;
      }
      if (schema.pattern === DNS_LABEL_PATTERN) {
        return new InvalidNameError(namedBy(path), value).message;
      }
      if (path[path.length - 1] === 'path') return 'must be a folder path relative to the repository root (no leading "/")';
      return `${JSON.stringify(value)} does not match ${String(schema.pattern)}`;
    case ValueErrorType.String:
      return typeof value === 'number' || typeof value === 'boolean'
        ? `must be a string, not ${typeName(value)}: put it in quotes (YAML reads 1.10 as the number 1.1)`
        : `must be a string, not ${typeName(value)}`;
    case ValueErrorType.StringMaxLength:
      return `is longer than ${String(schema.maxLength)} characters`;
    case ValueErrorType.StringMinLength:
      return 'must not be empty';
    case ValueErrorType.Literal:
      return `must be ${JSON.stringify(schema.const)}, not ${JSON.stringify(value)}`;
    case ValueErrorType.Array:
      return `must be a list, not ${typeName(value)}`;
    case ValueErrorType.ArrayMinItems:
      return 'must list at least one entry';
    case ValueErrorType.ArrayUniqueItems:
      return 'lists an entry more than once';
    case ValueErrorType.Object:
      return `must be a map, not ${typeName(value)}`;
    case ValueErrorType.Boolean:
      return `must be true or false, not ${typeName(value)}`;
    case ValueErrorType.Number:
      return `must be a number, not ${typeName(value)}`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return `must be between ${String(schema.minimum)} and ${String(schema.maximum)}, not ${JSON.stringify(value)}`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

function isUnder(path: YamlPath, prefix: YamlPath): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/** Every schema violation of `root`, one per place, in words an operator can act on. */
export function schemaProblems(root: unknown, check: { Errors(value: unknown): Iterable<ValueError> } = fileCheck): Problem[] {
  const problems: Problem[] = [];
  for (const error of check.Errors(root)) {
    const path = pointerToPath(error.path);
    // One problem per place: a value that is the wrong type says nothing useful about what is inside it.
    if (problems.some((p) => isUnder(path, p.path))) continue;
    problems.push({ path, reason: reasonFor(error, path) });
  }
  return problems;
}

/** Folder path without trailing slash, or a reason it cannot be one. */
export function normaliseFolder(path: string): { ok: true; path: string } | { ok: false; reason: string } {
  const trimmed = path.replace(/\/+$/, '');
  const segments = trimmed.split('/');
  if (path.startsWith('/')) return { ok: false, reason: 'must be relative to the repository root (no leading "/")' };
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return { ok: false, reason: `${JSON.stringify(path)} must be a plain folder path: no empty, "." or ".." parts` };
  }
  if (trimmed.includes('\\')) return { ok: false, reason: `${JSON.stringify(path)} must use "/" between folders` };
  return { ok: true, path: trimmed };
}

function entries(value: unknown): [string, unknown][] {
  return isPlainObject(value) ? Object.entries(value) : [];
}
function field(value: unknown, key: string): unknown {
  return isPlainObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
}
function strings(value: unknown): [number, string][] {
  return Array.isArray(value) ? value.flatMap((item, i): [number, string][] => (typeof item === 'string' ? [[i, item]] : [])) : [];
}

/**
 * Cross-references. Each is checked wherever the fields it needs have the right type, even when
 * something else in the same entry is wrong, so they show up alongside shape problems.
 */
function referenceProblems(root: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const stages = Array.isArray(root['stages']) ? strings(root['stages']).map(([, s]) => s) : undefined;
  const stageSet = new Set(stages);
  const componentNames = new Set(entries(root['components']).map(([name]) => name));
  const clusterNames = new Set(entries(root['clusters']).map(([name]) => name));
  const unknown = (kind: string, plural: string, value: string, known: Iterable<string>) => `unknown ${kind} "${value}"${alternatives(plural, value, known)}`;

  for (const [name, cluster] of entries(root['clusters'])) {
    const stage = field(cluster, 'stage');
    if (stages && typeof stage === 'string' && !stageSet.has(stage)) {
      problems.push({ path: ['clusters', name, 'stage'], reason: unknown('stage', 'stages', stage, stages) });
    }
    for (const [component] of entries(field(cluster, 'componentValues'))) {
      if (!componentNames.has(component)) {
        problems.push({ path: ['clusters', name, 'componentValues', component], reason: unknown('component', 'components', component, componentNames) });
      }
    }
  }

  for (const [name, component] of entries(root['components'])) {
    const path = field(component, 'path');
    if (typeof path !== 'string' || path === '' || path.startsWith('/')) continue; // the schema reports these
    const folder = normaliseFolder(path);
    if (!folder.ok) problems.push({ path: ['components', name, 'path'], reason: folder.reason });
  }

  for (const [name, app] of entries(root['apps'])) {
    const appComponents = strings(field(app, 'components'));
    for (const [i, component] of appComponents) {
      if (!componentNames.has(component)) {
        problems.push({ path: ['apps', name, 'components', i], reason: unknown('component', 'components', component, componentNames) });
      }
    }
    const selector = field(app, 'clusters');
    if (isPlainObject(selector) && ['stages', 'labels', 'names'].every((key) => !Object.hasOwn(selector, key))) {
      problems.push({ path: ['apps', name, 'clusters'], reason: 'selects nothing: give stages, labels and/or names (every one given must match)' });
    }
    for (const [i, stage] of strings(field(selector, 'stages'))) {
      if (stages && !stageSet.has(stage)) problems.push({ path: ['apps', name, 'clusters', 'stages', i], reason: unknown('stage', 'stages', stage, stages) });
    }
    for (const [i, cluster] of strings(field(selector, 'names'))) {
      if (!clusterNames.has(cluster)) problems.push({ path: ['apps', name, 'clusters', 'names', i], reason: unknown('cluster', 'clusters', cluster, clusterNames) });
    }
    const listed = appComponents.map(([, c]) => c);
    for (const [component] of entries(field(app, 'overrides'))) {
      if (Array.isArray(field(app, 'components')) && !listed.includes(component)) {
        problems.push({
          path: ['apps', name, 'overrides', component],
          reason: `overrides component "${component}", which this app does not list in its components (${listed.join(', ')})`,
        });
      }
    }
  }
  return problems;
}

/** Every problem in a parsed driftless.yaml, or the typed file when there are none. */
export function validateEnvironmentFile(root: unknown): { ok: true; file: EnvironmentFile } | { ok: false; problems: Problem[] } {
  if (!isPlainObject(root)) {
    return { ok: false, problems: [{ path: [], reason: `must be a map with apiVersion, kind, stages, clusters, components and apps, not ${typeName(root)}` }] };
  }
  const problems = [...schemaProblems(root), ...referenceProblems(root)];
  if (problems.length > 0 || !fileCheck.Check(root)) return { ok: false, problems };
  return { ok: true, file: root };
}
