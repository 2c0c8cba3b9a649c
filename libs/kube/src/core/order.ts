/**
 * Apply ordering: CRDs first (their kinds must be served before custom resources are applied),
 * then Namespaces, then other cluster-scoped objects, then namespaced ones in an order that lets
 * each find what it refers to (service accounts and config before workloads). Deletions run in
 * reverse. Objects of the same rank form one wave and can be applied concurrently.
 */
import { groupOf, objectKey, type KubeObject } from './objects.js';
import type { ObjectRef } from '@driftless/contracts';

/** Ranks of the built-in kinds; unknown kinds (custom resources) come after all of them. */
const KIND_RANK: Readonly<Record<string, number>> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  // Cluster-scoped.
  PriorityClass: 10,
  StorageClass: 10,
  PersistentVolume: 10,
  IngressClass: 10,
  RuntimeClass: 10,
  ClusterRole: 11,
  ClusterRoleBinding: 12,
  MutatingWebhookConfiguration: 13,
  ValidatingWebhookConfiguration: 13,
  APIService: 13,
  // Namespaced.
  ResourceQuota: 20,
  LimitRange: 20,
  NetworkPolicy: 21,
  PodDisruptionBudget: 21,
  ServiceAccount: 22,
  Secret: 23,
  ConfigMap: 23,
  PersistentVolumeClaim: 24,
  Role: 25,
  RoleBinding: 26,
  Service: 27,
  Pod: 30,
  ReplicaSet: 30,
  Deployment: 30,
  StatefulSet: 30,
  DaemonSet: 30,
  Job: 31,
  CronJob: 31,
  HorizontalPodAutoscaler: 32,
  Ingress: 33,
};
const CUSTOM_CLUSTER_RANK = 40;
const CUSTOM_NAMESPACED_RANK = 41;

/** Kinds of the built-in API that are cluster-scoped. */
const CLUSTER_SCOPED_KINDS = new Set([
  'CustomResourceDefinition',
  'Namespace',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'IngressClass',
  'RuntimeClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'Node',
]);

export function isBuiltInKind(kind: string): boolean {
  return Object.hasOwn(KIND_RANK, kind);
}

export function isClusterScopedKind(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind);
}

export function applyRank(ref: Pick<ObjectRef, 'kind' | 'namespace'>): number {
  return KIND_RANK[ref.kind] ?? (ref.namespace === undefined ? CUSTOM_CLUSTER_RANK : CUSTOM_NAMESPACED_RANK);
}

function compareForApply(a: KubeObject, b: KubeObject): number {
  const byRank = applyRank({ kind: a.kind, ...ns(a) }) - applyRank({ kind: b.kind, ...ns(b) });
  if (byRank !== 0) return byRank;
  const ka = objectKey(a);
  const kb = objectKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function ns(obj: KubeObject): { namespace?: string } {
  return obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace };
}

/** The objects in apply order (stable and deterministic: by rank, then by key). */
export function sortForApply<T extends KubeObject>(objects: readonly T[]): T[] {
  return [...objects].sort(compareForApply);
}

/** Objects grouped into waves of equal rank, in apply order; each wave may be applied concurrently. */
export function applyWaves<T extends KubeObject>(objects: readonly T[]): T[][] {
  const waves: T[][] = [];
  let lastRank: number | undefined;
  for (const obj of sortForApply(objects)) {
    const rank = applyRank({ kind: obj.kind, ...ns(obj) });
    if (rank !== lastRank) waves.push([]);
    waves[waves.length - 1]?.push(obj);
    lastRank = rank;
  }
  return waves;
}

/** References in deletion order: the reverse of apply order, so workloads go before their namespace and CRD. */
export function sortForDelete(refs: readonly ObjectRef[]): ObjectRef[] {
  return [...refs].sort((a, b) => {
    const byRank = applyRank(b) - applyRank(a);
    if (byRank !== 0) return byRank;
    const ka = `${groupOf(a.apiVersion)}/${a.kind}/${a.namespace ?? ''}/${a.name}`;
    const kb = `${groupOf(b.apiVersion)}/${b.kind}/${b.namespace ?? ''}/${b.name}`;
    return ka < kb ? 1 : ka > kb ? -1 : 0;
  });
}

/** The group/kind pairs that a set of CustomResourceDefinition manifests will make servable. */
export function kindsDefinedBy(objects: readonly KubeObject[]): { group: string; kind: string; versions: string[]; isNamespaced: boolean }[] {
  const out: { group: string; kind: string; versions: string[]; isNamespaced: boolean }[] = [];
  for (const obj of objects) {
    if (obj.kind !== 'CustomResourceDefinition') continue;
    const spec = obj['spec'] as { group?: unknown; names?: { kind?: unknown }; scope?: unknown; versions?: unknown } | undefined;
    if (typeof spec?.group !== 'string' || typeof spec.names?.kind !== 'string') continue;
    const versions = Array.isArray(spec.versions)
      ? spec.versions.flatMap((v: unknown) => (typeof (v as { name?: unknown }).name === 'string' ? [(v as { name: string }).name] : []))
      : [];
    out.push({ group: spec.group, kind: spec.names.kind, versions, isNamespaced: spec.scope !== 'Cluster' });
  }
  return out;
}
