/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!` not-exists, `>`, `<`) and field
 * selectors (`=`, `==`, `!=` on the fields each kind supports), parsed once per request and
 * matched against objects.
 */
import type { Json, KubeObject } from './json.js';
import { getIn, isObject, labelsOf, text } from './json.js';

export class SelectorError extends Error {
  override readonly name: string = 'SelectorError';
}

export const LabelOperator = {
  Equals: '=',
  NotEquals: '!=',
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  GreaterThan: 'gt',
  LessThan: 'lt',
} as const;
export type LabelOperator = (typeof LabelOperator)[keyof typeof LabelOperator];

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, raw: string): string {
  if (!KEY.test(key) || key.length > 316) throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
  return key;
}

function checkValue(value: string, raw: string): string {
  if (!VALUE.test(value) || value.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value "${value}" in "${raw}"`);
  return value;
}

/** Splits on commas that are not inside a `( ... )` value set. */
function splitTopLevel(raw: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of raw) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out;
}

export function parseLabelSelector(raw: string): LabelRequirement[] {
  if (raw.trim() === '') return [];
  return splitTopLevel(raw).map((part) => {
    const p = part.trim();
    if (p === '') throw new SelectorError(`unable to parse requirement: found '', expected: identifier in "${raw}"`);
    let m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(p);
    if (m) {
      const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim(), raw));
      return { key: checkKey(m[1] ?? '', raw), operator: m[2] === 'in' ? LabelOperator.In : LabelOperator.NotIn, values };
    }
    m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(p);
    if (m) {
      const op = m[2];
      const key = checkKey(m[1] ?? '', raw);
      const value = m[3] ?? '';
      if (op === '>' || op === '<') {
        if (!/^-?\d+$/.test(value)) throw new SelectorError(`unable to parse requirement: for 'gt', 'lt' operators, the value must be an integer in "${raw}"`);
        return { key, operator: op === '>' ? LabelOperator.GreaterThan : LabelOperator.LessThan, values: [value] };
      }
      return { key, operator: op === '!=' ? LabelOperator.NotEquals : LabelOperator.Equals, values: [checkValue(value, raw)] };
    }
    m = /^!\s*(\S+)$/.exec(p);
    if (m) return { key: checkKey(m[1] ?? '', raw), operator: LabelOperator.DoesNotExist, values: [] };
    if (/^\S+$/.test(p)) return { key: checkKey(p, raw), operator: LabelOperator.Exists, values: [] };
    throw new SelectorError(`unable to parse requirement: couldn't parse the selector string "${raw}"`);
  });
}

export function matchesLabels(reqs: readonly LabelRequirement[], labels: Readonly<Record<string, string>>): boolean {
  return reqs.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    const value = labels[r.key];
    switch (r.operator) {
      case LabelOperator.Equals:
        return has && value === r.values[0];
      case LabelOperator.NotEquals:
        return !has || value !== r.values[0];
      case LabelOperator.In:
        return has && r.values.includes(value ?? '');
      case LabelOperator.NotIn:
        return !has || !r.values.includes(value ?? '');
      case LabelOperator.Exists:
        return has;
      case LabelOperator.DoesNotExist:
        return !has;
      case LabelOperator.GreaterThan:
      case LabelOperator.LessThan: {
        if (!has || !/^-?\d+$/.test(value ?? '')) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        return r.operator === LabelOperator.GreaterThan ? n > bound : n < bound;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  isNegated: boolean;
  value: string;
}

/** Field paths each kind can be selected on, besides metadata.name and metadata.namespace. */
const EXTRA_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  Event: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid', 'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Job: ['status.successful'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
};

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(raw: string, kind: string): FieldRequirement[] {
  if (raw.trim() === '') return [];
  const parts = raw.split(/(?<!\\),/);
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(EXTRA_FIELDS[kind] ?? [])]);
  return parts.map((part) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${raw}'; can't understand '${part}'`);
    const field = m[1] ?? '';
    if (!allowed.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    return { field, isNegated: m[2] === '!=', value: unescapeFieldValue((m[3] ?? '').trim()) };
  });
}

function fieldValue(obj: KubeObject, field: string): string {
  if (field === 'source' && isObject(obj['source'])) return text(getIn(obj, ['source', 'component']));
  const v: Json | undefined = getIn(obj, field.split('.'));
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function matchesFields(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) !== r.isNegated);
}

export interface Selector {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function matchesSelector(sel: Selector, obj: KubeObject): boolean {
  return matchesLabels(sel.labels, labelsOf(obj)) && matchesFields(sel.fields, obj);
}

/** Renders a LabelSelector object (matchLabels/matchExpressions) as the selector string `Scale.status.selector` carries. */
export function labelSelectorString(selector: Json | undefined): string {
  if (!isObject(selector)) return '';
  const parts: string[] = [];
  const ml = selector['matchLabels'];
  const isLabelSelector = isObject(ml) || Array.isArray(selector['matchExpressions']);
  const plain = isLabelSelector ? ml : selector;
  if (isObject(plain)) {
    for (const k of Object.keys(plain).sort()) parts.push(`${k}=${text(plain[k])}`);
  }
  const exprs = selector['matchExpressions'];
  if (Array.isArray(exprs)) {
    for (const e of exprs) {
      if (!isObject(e)) continue;
      const key = text(e['key']);
      const values = Array.isArray(e['values']) ? e['values'].map(text) : [];
      switch (e['operator']) {
        case 'In':
          parts.push(`${key} in (${values.join(',')})`);
          break;
        case 'NotIn':
          parts.push(`${key} notin (${values.join(',')})`);
          break;
        case 'Exists':
          parts.push(key);
          break;
        case 'DoesNotExist':
          parts.push(`!${key}`);
          break;
        default:
          break;
      }
    }
  }
  return parts.join(',');
}
