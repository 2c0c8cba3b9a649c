/**
 * The shape of a Kubernetes object as the core sees it (plain JSON), object references and the
 * keys that identify an object independently of its API version, and manifest validation.
 */
import { InvalidInputError, type ObjectRef } from '@driftless/contracts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** The label every object Driftless applies carries, so its watch can select exactly those. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'driftless';
/** The label naming the component an applied object belongs to. */
export const COMPONENT_LABEL = 'driftless.dev/component';
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

export class InvalidManifestError extends InvalidInputError {
  override readonly name: string = 'InvalidManifestError';
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid manifest(s): ${problems.join('; ')}`, options);
  }
}

/** The API group of an apiVersion: `apps/v1` → `apps`, `v1` → `` (the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export function refOf(obj: KubeObject): ObjectRef {
  const ref: ObjectRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== '') ref.namespace = obj.metadata.namespace;
  return ref;
}

/**
 * The identity of an object: group, kind, namespace and name. The version is left out on purpose,
 * so moving a manifest from `v1beta1` to `v1` updates the object instead of pruning and recreating it.
 */
export function refKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function objectKey(obj: KubeObject): string {
  return refKey(refOf(obj));
}

/** A short human form for messages and logs: `apps/Deployment default/web`. */
export function describeRef(ref: ObjectRef): string {
  const group = groupOf(ref.apiVersion);
  return `${group === '' ? '' : `${group}/`}${ref.kind} ${ref.namespace === undefined ? '' : `${ref.namespace}/`}${ref.name}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Problems of one manifest (empty when it is usable); `where` names it in messages, e.g. `object 3`. */
export function manifestProblems(value: unknown, where: string): string[] {
  if (!isPlainObject(value)) return [`${where} is not an object`];
  const problems: string[] = [];
  const { apiVersion, kind, metadata } = value;
  if (typeof apiVersion !== 'string' || apiVersion === '') problems.push(`${where} has no apiVersion`);
  if (typeof kind !== 'string' || kind === '') problems.push(`${where} has no kind`);
  if (!isPlainObject(metadata)) return [...problems, `${where} has no metadata`];
  const { name, namespace } = metadata;
  if (typeof name !== 'string' || name === '') problems.push(`${where} has no metadata.name`);
  else if (name.length > 253 || !NAME.test(name)) problems.push(`${where} has an invalid metadata.name ${JSON.stringify(name)}`);
  if (namespace !== undefined && (typeof namespace !== 'string' || namespace.length > 63 || !NAMESPACE.test(namespace))) {
    problems.push(`${where} has an invalid metadata.namespace ${JSON.stringify(namespace)}`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isPlainObject(map) || Object.values(map).some((v) => typeof v !== 'string')) {
      problems.push(`${where} has metadata.${field} that is not a map of strings`);
    }
  }
  return problems;
}

/**
 * Validates a list of untrusted manifests: every one must be an object with apiVersion, kind and
 * a valid name, and no two may name the same object. Throws InvalidManifestError listing every problem.
 */
export function validateManifests(values: readonly unknown[]): KubeObject[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const own = manifestProblems(value, `object ${index + 1}`);
    problems.push(...own);
    if (own.length > 0) return;
    const key = objectKey(value as KubeObject);
    const earlier = seen.get(key);
    if (earlier !== undefined) problems.push(`object ${index + 1} (${describeRef(refOf(value as KubeObject))}) duplicates object ${earlier + 1}`);
    else seen.set(key, index);
  });
  if (problems.length > 0) throw new InvalidManifestError(problems);
  return values as KubeObject[];
}
