/**
 * Templates: a parsed YAML document compiled once into a tree where only the strings holding
 * `${...}` are live; instantiating it for one cluster substitutes those and shares everything else.
 * Substitution works on parsed scalars, never on raw text, so a value cannot inject YAML structure.
 */
import { isScalar } from 'yaml';
import { RenderError } from './errors.js';
import { deepFreeze, isPlainObject, lookup, objectFrom } from './values.js';
import { formatPath, type ParsedYaml, type YamlPath } from './yaml-file.js';

/** What a template can read. */
export interface Variables {
  readonly cluster: { readonly name: string; readonly stage: string; readonly labels: Readonly<Record<string, string>> };
  readonly component: { readonly name: string };
  readonly version: string;
  readonly values: unknown;
}

export const VARIABLE_NAMES = ['cluster.name', 'cluster.stage', 'cluster.labels.<key>', 'values.<path>', 'version', 'component.name'] as const;

type Reference =
  | { readonly kind: 'clusterName' | 'clusterStage' | 'version' | 'componentName'; readonly text: string }
  | { readonly kind: 'label'; readonly text: string; readonly key: string }
  | { readonly kind: 'values'; readonly text: string; readonly segments: readonly string[] };

/** A string scalar with `${...}` in it. */
class Substitution {
  constructor(
    readonly parts: readonly (string | Reference)[],
    /** A plain (unquoted) scalar that is exactly one `${x}` takes x's own type. */
    readonly isTyped: boolean,
    readonly line: number | undefined,
    readonly path: YamlPath,
  ) {}
}
class ObjectTemplate {
  constructor(readonly entries: readonly (readonly [string | Substitution, Template])[]) {}
}
class ArrayTemplate {
  constructor(readonly items: readonly Template[]) {}
}
/** A compiled value: a Substitution, ObjectTemplate or ArrayTemplate where live, else the frozen parsed value itself. */
export type Template = unknown;

export interface CompiledDocument {
  readonly template: Template;
  /** 1-based line where the document starts. */
  readonly line: number;
}

export interface CompiledFile {
  readonly file: string;
  readonly bytes: number;
  readonly documents: readonly CompiledDocument[];
}

const VARIABLE_LIST = VARIABLE_NAMES.join(', ');

function parseReference(text: string): Reference | string {
  switch (text) {
    case 'cluster.name':
      return { kind: 'clusterName', text };
    case 'cluster.stage':
      return { kind: 'clusterStage', text };
    case 'version':
      return { kind: 'version', text };
    case 'component.name':
      return { kind: 'componentName', text };
    case 'values':
      return { kind: 'values', text, segments: [] };
  }
  if (text.startsWith('cluster.labels.') && text.length > 'cluster.labels.'.length) {
    return { kind: 'label', text, key: text.slice('cluster.labels.'.length) };
  }
  if (text.startsWith('values.')) {
    const segments = text.slice('values.'.length).split('.');
    if (segments.every((s) => s !== '')) return { kind: 'values', text, segments };
  }
  return text === '' ? 'empty ${}' : `unknown variable \${${text}}; variables are ${VARIABLE_LIST}`;
}

/** Splits a string into literal parts and references; `$${` is a literal `${`. Returns a reason on bad syntax. */
function parseString(value: string): (string | Reference)[] | string {
  const parts: (string | Reference)[] = [];
  let literal = '';
  let i = 0;
  while (i < value.length) {
    const at = value.indexOf('$', i);
    if (at < 0) break;
    if (value.startsWith('$${', at)) {
      literal += value.slice(i, at) + '${';
      i = at + 3;
      continue;
    }
    if (!value.startsWith('${', at)) {
      literal += value.slice(i, at + 1);
      i = at + 1;
      continue;
    }
    const end = value.indexOf('}', at + 2);
    if (end < 0) return `unterminated \${ in ${JSON.stringify(value)}; write $\${ for a literal \${`;
    const reference = parseReference(value.slice(at + 2, end).trim());
    if (typeof reference === 'string') return reference;
    literal += value.slice(i, at);
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(reference);
    i = end + 1;
  }
  literal += value.slice(i);
  if (literal !== '') parts.push(literal);
  return parts;
}

/** Compiles every document of a parsed file; throws a RenderError naming the file and line of bad syntax. */
export function compileFile(parsed: ParsedYaml, bytes: number): CompiledFile {
  const documents: CompiledDocument[] = [];
  parsed.documents.forEach((document, index) => {
    if (document.value === null) return; // An empty document (a stray `---`) holds no object.
    const compileValue = (value: unknown, path: (string | number)[]): Template => {
      if (typeof value === 'string') {
        if (!value.includes('${')) return value;
        const line = parsed.lineOf(index, path);
        const parts = parseString(value);
        if (typeof parts === 'string') throw new RenderError({ file: parsed.file, line, path: formatPath(path), reason: parts });
        if (parts.every((p) => typeof p === 'string')) return parts.join('');
        return new Substitution(parts, parts.length === 1 && !isQuoted(parsed, index, path), line, [...path]);
      }
      if (Array.isArray(value)) {
        const items = value.map((item, i) => compileValue(item, [...path, i]));
        return items.some(isLive) ? new ArrayTemplate(items) : deepFreeze(value);
      }
      if (isPlainObject(value)) {
        const entries = Object.entries(value).map(([key, item]): readonly [string | Substitution, Template] => {
          const compiledKey = key.includes('${') ? compileValue(key, [...path, key]) : key;
          if (compiledKey instanceof Substitution) return [new Substitution(compiledKey.parts, false, compiledKey.line, compiledKey.path), compileValue(item, [...path, key])];
          return [compiledKey as string, compileValue(item, [...path, key])];
        });
        return entries.some(([key, item]) => key instanceof Substitution || isLive(item)) ? new ObjectTemplate(entries) : deepFreeze(value);
      }
      return value;
    };
    documents.push({ template: compileValue(document.value, []), line: document.line });
  });
  return { file: parsed.file, bytes, documents };
}

function isLive(template: Template): boolean {
  return template instanceof Substitution || template instanceof ObjectTemplate || template instanceof ArrayTemplate;
}

/** Whether the scalar was written in quotes: quoting `"${x}"` asks for a string, as quoting does everywhere in YAML. */
function isQuoted(parsed: ParsedYaml, index: number, path: YamlPath): boolean {
  const node = parsed.nodeAt(index, path);
  return isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE');
}

export interface InstantiateContext {
  readonly file: string;
  readonly variables: Variables;
}

function resolve(reference: Reference, variables: Variables): { found: true; value: unknown } | { found: false; why: string } {
  switch (reference.kind) {
    case 'clusterName':
      return { found: true, value: variables.cluster.name };
    case 'clusterStage':
      return { found: true, value: variables.cluster.stage };
    case 'version':
      return { found: true, value: variables.version };
    case 'componentName':
      return { found: true, value: variables.component.name };
    case 'label':
      return Object.hasOwn(variables.cluster.labels, reference.key)
        ? { found: true, value: variables.cluster.labels[reference.key] }
        : { found: false, why: `cluster ${variables.cluster.name} has no label "${reference.key}"` };
    case 'values': {
      const result = lookup(variables.values, reference.segments);
      return result.found
        ? result
        : {
            found: false,
            why: `no such value for component ${variables.component.name} on cluster ${variables.cluster.name} (set it in the component's values, the app's overrides or the cluster's values)`,
          };
    }
  }
}

function substitute(template: Substitution, context: InstantiateContext): unknown {
  const fail = (reason: string) => new RenderError({ file: context.file, line: template.line, path: formatPath(template.path), reason });
  let text = '';
  for (const part of template.parts) {
    if (typeof part === 'string') {
      text += part;
      continue;
    }
    const result = resolve(part, context.variables);
    if (!result.found) throw fail(`unknown variable \${${part.text}}: ${result.why}`);
    if (template.isTyped) return result.value;
    const value = result.value;
    if (typeof value === 'string') text += value;
    else if (typeof value === 'number' || typeof value === 'boolean') text += String(value);
    else {
      throw fail(`\${${part.text}} is ${value === null ? 'null' : Array.isArray(value) ? 'a list' : 'a map'} and cannot be put inside a string; use it alone and unquoted as the whole value`);
    }
  }
  return text;
}

/** The template's value for one cluster. Static parts are shared (frozen), live parts are new. */
export function instantiate(template: Template, context: InstantiateContext): unknown {
  if (template instanceof Substitution) return substitute(template, context);
  if (template instanceof ArrayTemplate) return template.items.map((item) => instantiate(item, context));
  if (template instanceof ObjectTemplate) {
    return objectFrom(
      template.entries.map(([key, item]) => {
        const name = key instanceof Substitution ? substitute(key, context) : key;
        return [String(name), instantiate(item, context)] as const;
      }),
    );
  }
  return template;
}
