/**
 * Label selectors for choosing clusters of a stage: `region=eu,tier!=canary`, `gpu` (has the
 * label), `!legacy` (has not). A subset of Kubernetes' equality-based selectors; every malformed
 * part is named in the error.
 */
import { InvalidInputError } from '@driftless/contracts';

export const SelectorOp = { equals: 'equals', notEquals: 'notEquals', exists: 'exists', notExists: 'notExists' } as const;
export type SelectorOp = (typeof SelectorOp)[keyof typeof SelectorOp];

export interface Requirement {
  key: string;
  op: SelectorOp;
  value: string;
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function requirementOf(part: string): Requirement | string {
  const neq = part.indexOf('!=');
  const eq = part.indexOf('=');
  let key: string;
  let op: SelectorOp;
  let value = '';
  if (neq > 0) {
    [key, op, value] = [part.slice(0, neq), SelectorOp.notEquals, part.slice(neq + 2)];
  } else if (eq > 0) {
    [key, op, value] = [part.slice(0, eq), SelectorOp.equals, part.slice(part.startsWith('==', eq) ? eq + 2 : eq + 1)];
  } else if (part.startsWith('!')) {
    [key, op] = [part.slice(1), SelectorOp.notExists];
  } else {
    [key, op] = [part, SelectorOp.exists];
  }
  key = key.trim();
  value = value.trim();
  if (!KEY.test(key)) return `"${part}" has no valid label key`;
  if (!VALUE.test(value) || value.length > 63) return `"${part}" has an invalid label value "${value}"`;
  return { key, op, value };
}

/** Parses `a=b,c!=d,e,!f`; InvalidInputError naming every bad part. */
export function parseSelector(text: string): Requirement[] {
  const parts = text.split(',').map((p) => p.trim());
  const problems: string[] = [];
  const requirements: Requirement[] = [];
  for (const part of parts) {
    if (part === '') {
      problems.push('an empty requirement (two commas, or a comma at an end)');
      continue;
    }
    const r = requirementOf(part);
    if (typeof r === 'string') problems.push(r);
    else requirements.push(r);
  }
  if (problems.length > 0) {
    throw new InvalidInputError(`invalid label selector "${text}": ${problems.join('; ')} (write e.g. region=eu,tier!=canary)`);
  }
  return requirements;
}

export function matchesSelector(requirements: readonly Requirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const has = Object.hasOwn(labels, r.key);
    switch (r.op) {
      case SelectorOp.equals:
        return has && labels[r.key] === r.value;
      case SelectorOp.notEquals:
        return !has || labels[r.key] !== r.value;
      case SelectorOp.exists:
        return has;
      case SelectorOp.notExists:
        return !has;
    }
  });
}
