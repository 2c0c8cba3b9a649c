/**
 * Turns desired manifests into what is applied: a copy without server-owned fields, labelled as
 * managed by Driftless and by component, with the namespace defaulted for namespaced kinds, and a
 * content hash of exactly what is sent.
 */
import type { ObjectRef } from '@driftless/contracts';
import { objectHash } from './hash.js';
import { COMPONENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, objectKey, refOf, type KubeObject } from './objects.js';

export interface PreparedObject {
  object: KubeObject;
  ref: ObjectRef;
  key: string;
  hash: string;
}

export interface PrepareOptions {
  component: string;
  /** Whether a kind is namespaced; undefined when not known (the manifest's namespace is then kept as is). */
  isNamespaced: (apiVersion: string, kind: string) => boolean | undefined;
  defaultNamespace?: string;
}

const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'managedFields', 'selfLink'] as const;

export function prepareObject(manifest: KubeObject, { component, isNamespaced, defaultNamespace = 'default' }: PrepareOptions): PreparedObject {
  const { status: _status, ...rest } = structuredClone(manifest);
  const metadata = { ...rest.metadata };
  for (const field of SERVER_METADATA) delete metadata[field];
  metadata.labels = { ...(metadata.labels ?? {}), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [COMPONENT_LABEL]: component };
  const namespaced = isNamespaced(rest.apiVersion, rest.kind);
  if (namespaced === true && (metadata.namespace === undefined || metadata.namespace === '')) metadata.namespace = defaultNamespace;
  // A cluster-scoped object with a namespace would be refused by the server; drop it as kubectl does.
  if (namespaced === false) delete metadata.namespace;
  const object: KubeObject = { ...rest, metadata };
  return { object, ref: refOf(object), key: objectKey(object), hash: objectHash(object) };
}

export function prepareObjects(manifests: readonly KubeObject[], options: PrepareOptions): PreparedObject[] {
  return manifests.map((m) => prepareObject(m, options));
}
