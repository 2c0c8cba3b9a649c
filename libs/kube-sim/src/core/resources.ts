/**
 * The resource registry: which kinds the simulated server knows (built-in ones plus those
 * defined by CustomResourceDefinitions), their URL names, scope, verbs and subresources.
 * Discovery, OpenAPI and routing are all derived from it.
 */
import type { JsonObject } from './json.js';
import { getIn, isObject, str } from './json.js';

export const Subresource = { Status: 'status', Scale: 'scale' } as const;
export type Subresource = (typeof Subresource)[keyof typeof Subresource];

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  isNamespaced: boolean;
  shortNames: readonly string[];
  categories: readonly string[];
  subresources: readonly Subresource[];
  /** API verbs served (review kinds only accept create). */
  verbs: readonly string[];
  /** Whether metadata.generation is kept (bumped on every non-metadata, non-status change). */
  hasGeneration: boolean;
  /** For custom resources with a scale subresource: where replicas and selector live. */
  scale?: ScalePaths;
  /** For custom resources: the version's openAPIV3Schema, used for list and map semantics. */
  schema?: JsonObject;
  /** For custom resources: the name of the CRD that defines it. */
  crdName?: string;
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** `group/plural`: the storage identity of a resource, the same for all of its versions. */
export function resourceKey(rt: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${rt.group}/${rt.plural}`;
}

export function groupVersion(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group === '' ? rt.version : `${rt.group}/${rt.version}`;
}

interface BuiltinSpec {
  gv: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  isClusterScoped?: boolean;
  subresources?: Subresource[];
  hasGeneration?: boolean;
  categories?: string[];
  /** A review kind: answered on create, never stored. */
  isReview?: boolean;
}

const S = Subresource.Status;
const SC = Subresource.Scale;

const BUILTINS: readonly BuiltinSpec[] = [
  { gv: 'v1', kind: 'Namespace', plural: 'namespaces', shortNames: ['ns'], isClusterScoped: true, subresources: [S] },
  { gv: 'v1', kind: 'ConfigMap', plural: 'configmaps', shortNames: ['cm'] },
  { gv: 'v1', kind: 'Secret', plural: 'secrets' },
  { gv: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'], subresources: [S], categories: ['all'] },
  { gv: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', shortNames: ['sa'] },
  { gv: 'v1', kind: 'Pod', plural: 'pods', shortNames: ['po'], subresources: [S], categories: ['all'] },
  { gv: 'v1', kind: 'Event', plural: 'events', shortNames: ['ev'] },
  { gv: 'v1', kind: 'Endpoints', plural: 'endpoints', shortNames: ['ep'] },
  { gv: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', shortNames: ['pvc'], subresources: [S] },
  { gv: 'v1', kind: 'LimitRange', plural: 'limitranges', shortNames: ['limits'] },
  { gv: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', shortNames: ['quota'], subresources: [S] },
  { gv: 'v1', kind: 'Node', plural: 'nodes', shortNames: ['no'], isClusterScoped: true, subresources: [S] },
  { gv: 'apps/v1', kind: 'Deployment', plural: 'deployments', shortNames: ['deploy'], subresources: [S, SC], hasGeneration: true, categories: ['all'] },
  { gv: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', shortNames: ['sts'], subresources: [S, SC], hasGeneration: true, categories: ['all'] },
  { gv: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', shortNames: ['ds'], subresources: [S], hasGeneration: true, categories: ['all'] },
  { gv: 'apps/v1', kind: 'ReplicaSet', plural: 'replicasets', shortNames: ['rs'], subresources: [S, SC], hasGeneration: true, categories: ['all'] },
  { gv: 'apps/v1', kind: 'ControllerRevision', plural: 'controllerrevisions' },
  { gv: 'batch/v1', kind: 'Job', plural: 'jobs', subresources: [S], hasGeneration: true, categories: ['all'] },
  { gv: 'batch/v1', kind: 'CronJob', plural: 'cronjobs', shortNames: ['cj'], subresources: [S], hasGeneration: true, categories: ['all'] },
  { gv: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', shortNames: ['hpa'], subresources: [S], categories: ['all'] },
  { gv: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'], subresources: [S], hasGeneration: true },
  { gv: 'networking.k8s.io/v1', kind: 'IngressClass', plural: 'ingressclasses', isClusterScoped: true },
  { gv: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', shortNames: ['netpol'], hasGeneration: true },
  { gv: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', shortNames: ['pdb'], subresources: [S], hasGeneration: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles' },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings' },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', isClusterScoped: true },
  { gv: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', isClusterScoped: true },
  { gv: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases' },
  { gv: 'storage.k8s.io/v1', kind: 'StorageClass', plural: 'storageclasses', shortNames: ['sc'], isClusterScoped: true },
  { gv: 'events.k8s.io/v1', kind: 'Event', plural: 'events', shortNames: ['ev'] },
  { gv: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', isClusterScoped: true, isReview: true },
  { gv: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', isClusterScoped: true, isReview: true },
  {
    gv: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    shortNames: ['crd', 'crds'],
    isClusterScoped: true,
    subresources: [S],
    hasGeneration: true,
    categories: ['api-extensions'],
  },
];

function builtin(spec: BuiltinSpec): ResourceType {
  const [group, version] = spec.gv.includes('/') ? (spec.gv.split('/') as [string, string]) : ['', spec.gv];
  return {
    group,
    version,
    kind: spec.kind,
    listKind: `${spec.kind}List`,
    plural: spec.plural,
    singular: spec.kind.toLowerCase(),
    isNamespaced: !spec.isClusterScoped,
    shortNames: spec.shortNames ?? [],
    categories: spec.categories ?? [],
    subresources: spec.subresources ?? [],
    verbs: spec.isReview ? ['create'] : ALL_VERBS,
    hasGeneration: spec.hasGeneration ?? false,
  };
}

export class InvalidCrdError extends Error {
  override readonly name: string = 'InvalidCrdError';
}

/** Reads the served versions of a CustomResourceDefinition into resource types. */
export function resourceTypesFromCrd(crd: JsonObject): ResourceType[] {
  const spec = crd['spec'];
  if (!isObject(spec)) throw new InvalidCrdError('spec: Required value');
  const group = str(spec['group']);
  const names = spec['names'];
  if (!group) throw new InvalidCrdError('spec.group: Required value');
  if (!isObject(names)) throw new InvalidCrdError('spec.names: Required value');
  const plural = str(names['plural']);
  const kind = str(names['kind']);
  if (!plural) throw new InvalidCrdError('spec.names.plural: Required value');
  if (!kind) throw new InvalidCrdError('spec.names.kind: Required value');
  const crdName = str(getIn(crd, ['metadata', 'name']));
  if (crdName !== `${plural}.${group}`) {
    throw new InvalidCrdError(`metadata.name: Invalid value: "${crdName ?? ''}": must be spec.names.plural+"."+spec.group`);
  }
  const scope = str(spec['scope']);
  if (scope !== 'Namespaced' && scope !== 'Cluster') throw new InvalidCrdError('spec.scope: Unsupported value: must be "Cluster" or "Namespaced"');
  const versions = spec['versions'];
  if (!Array.isArray(versions) || versions.length === 0) throw new InvalidCrdError('spec.versions: Invalid value: must have exactly one version marked as storage version');
  const out: ResourceType[] = [];
  for (const v of versions) {
    if (!isObject(v)) continue;
    const version = str(v['name']);
    if (!version || v['served'] === false) continue;
    const sub = v['subresources'];
    const subresources: Subresource[] = [];
    let scale: ScalePaths | undefined;
    if (isObject(sub)) {
      if (isObject(sub['status'])) subresources.push(Subresource.Status);
      const sc = sub['scale'];
      if (isObject(sc)) {
        subresources.push(Subresource.Scale);
        scale = {
          specReplicasPath: str(sc['specReplicasPath']) ?? '.spec.replicas',
          statusReplicasPath: str(sc['statusReplicasPath']) ?? '.status.replicas',
        };
        const selectorPath = str(sc['labelSelectorPath']);
        if (selectorPath) scale.labelSelectorPath = selectorPath;
      }
    }
    const schema = getIn(v, ['schema', 'openAPIV3Schema']);
    const rt: ResourceType = {
      group,
      version,
      kind,
      listKind: str(names['listKind']) ?? `${kind}List`,
      plural,
      singular: str(names['singular']) ?? kind.toLowerCase(),
      isNamespaced: scope === 'Namespaced',
      shortNames: Array.isArray(names['shortNames']) ? names['shortNames'].filter((s): s is string => typeof s === 'string') : [],
      categories: Array.isArray(names['categories']) ? names['categories'].filter((s): s is string => typeof s === 'string') : [],
      subresources,
      verbs: ALL_VERBS,
      hasGeneration: true,
      crdName,
    };
    if (scale) rt.scale = scale;
    if (isObject(schema)) rt.schema = schema;
    out.push(rt);
  }
  return out;
}

/** All kinds the server serves, indexed for routing (group/version/plural) and for kind lookups. */
export class ResourceRegistry {
  private readonly byGvr = new Map<string, ResourceType>();
  private readonly byGroupVersion = new Map<string, ResourceType[]>();
  private readonly byCrd = new Map<string, ResourceType[]>();
  /** Bumped on every change, so discovery and OpenAPI documents can be cached per generation. */
  private generation = 0;

  constructor() {
    for (const spec of BUILTINS) this.add(builtin(spec));
  }

  get version(): number {
    return this.generation;
  }

  private add(rt: ResourceType): void {
    this.byGvr.set(`${groupVersion(rt)}/${rt.plural}`, rt);
    const gv = groupVersion(rt);
    const list = this.byGroupVersion.get(gv) ?? [];
    list.push(rt);
    this.byGroupVersion.set(gv, list);
    this.generation++;
  }

  private removeType(rt: ResourceType): void {
    const gv = groupVersion(rt);
    this.byGvr.delete(`${gv}/${rt.plural}`);
    const list = (this.byGroupVersion.get(gv) ?? []).filter((x) => x !== rt);
    if (list.length === 0) this.byGroupVersion.delete(gv);
    else this.byGroupVersion.set(gv, list);
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(`${group === '' ? version : `${group}/${version}`}/${plural}`);
  }

  /** The resource serving `kind` at `apiVersion` (e.g. "apps/v1", "Deployment"). */
  lookupKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byGroupVersion.get(apiVersion)?.find((rt) => rt.kind === kind);
  }

  /** The types in one group/version, in registration order. */
  inGroupVersion(gv: string): readonly ResourceType[] {
    return this.byGroupVersion.get(gv) ?? [];
  }

  groupVersions(): string[] {
    return [...this.byGroupVersion.keys()];
  }

  /** Every version of the resource stored under `key` (group/plural). */
  versionsOf(key: string): ResourceType[] {
    return [...this.byGvr.values()].filter((rt) => resourceKey(rt) === key);
  }

  /** Registers (or re-registers) the kinds a CRD defines; returns them. */
  setCrd(crdName: string, types: ResourceType[]): void {
    for (const old of this.byCrd.get(crdName) ?? []) this.removeType(old);
    for (const rt of types) {
      const clash = this.lookup(rt.group, rt.version, rt.plural);
      if (clash && clash.crdName === undefined) continue;
      this.add(rt);
    }
    this.byCrd.set(crdName, types);
  }

  removeCrd(crdName: string): ResourceType[] {
    const types = this.byCrd.get(crdName) ?? [];
    for (const rt of types) this.removeType(rt);
    this.byCrd.delete(crdName);
    return types;
  }
}
