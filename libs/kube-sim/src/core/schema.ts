/**
 * Structural knowledge the field tracking needs: which lists are associative (and by which
 * keys), which are sets, which lists and maps are atomic. Built-in kinds use the markers of
 * the Kubernetes API types (`+listType=map`, `+listMapKey`, `+structType=atomic`, ...);
 * custom resources use their CRD's `x-kubernetes-list-type` / `-list-map-keys` / `-map-type`.
 * Anything unknown is atomic for lists and granular for maps, as the real server treats
 * fields a schema does not describe.
 */
import type { Json, JsonObject } from './json.js';
import { isObject, str } from './json.js';

export type ListType =
  | { readonly type: 'atomic' }
  | { readonly type: 'set' }
  | { readonly type: 'map'; readonly keys: readonly string[]; readonly defaults?: Readonly<Record<string, Json>> };

/** Field names along the way from the object root; list levels are not represented. */
export type FieldNamePath = readonly string[];

export interface ObjectSchema {
  listType(path: FieldNamePath): ListType;
  isAtomicMap(path: FieldNamePath): boolean;
}

const ATOMIC: ListType = { type: 'atomic' };
const SET: ListType = { type: 'set' };
const byName: ListType = { type: 'map', keys: ['name'] };
const TCP = { protocol: 'TCP' } as const;

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** List semantics keyed by the list's own field name, valid wherever the name appears in built-in kinds. */
const LISTS_BY_NAME: Readonly<Record<string, ListType>> = {
  containers: byName,
  initContainers: byName,
  ephemeralContainers: byName,
  env: byName,
  volumes: byName,
  imagePullSecrets: byName,
  resourceClaims: byName,
  schedulingGates: byName,
  volumeMounts: { type: 'map', keys: ['mountPath'] },
  volumeDevices: { type: 'map', keys: ['devicePath'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  conditions: { type: 'map', keys: ['type'] },
  ownerReferences: { type: 'map', keys: ['uid'] },
  topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] },
  finalizers: SET,
};

/** Structs and maps marked atomic in the built-in types: replaced and owned as a whole. */
const ATOMIC_MAPS_BY_NAME = new Set([
  'selector',
  'podSelector',
  'namespaceSelector',
  'labelSelector',
  'nodeSelector',
  'roleRef',
  'configMapKeyRef',
  'secretKeyRef',
  'fieldRef',
  'resourceFieldRef',
  'configMapRef',
  'secretRef',
  'scaleTargetRef',
]);

function builtinListType(kind: string, path: FieldNamePath): ListType {
  const name = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  if (name === 'ports') {
    if (CONTAINER_LISTS.has(parent)) return { type: 'map', keys: ['containerPort', 'protocol'], defaults: TCP };
    if (kind === 'Service' && path.length === 2 && parent === 'spec') return { type: 'map', keys: ['port', 'protocol'], defaults: TCP };
    return ATOMIC;
  }
  if (name === 'finalizers' && !(path.length === 2 && parent === 'metadata') && !(kind === 'Namespace' && parent === 'spec')) return ATOMIC;
  return LISTS_BY_NAME[name] ?? ATOMIC;
}

function builtinAtomicMap(kind: string, path: FieldNamePath): boolean {
  const name = path[path.length - 1] ?? '';
  if (path.length === 2 && path[0] === 'metadata') return false;
  // A Service's selector is a plain string map marked atomic; a NetworkPolicy's podSelector is a LabelSelector.
  return ATOMIC_MAPS_BY_NAME.has(name) && kind !== 'CustomResourceDefinition';
}

export function builtinSchema(kind: string): ObjectSchema {
  return {
    listType: (path) => builtinListType(kind, path),
    isAtomicMap: (path) => builtinAtomicMap(kind, path),
  };
}

/** Walks a CRD's openAPIV3Schema along a field-name path (through `items` for lists). */
function schemaAt(root: JsonObject, path: FieldNamePath): JsonObject | undefined {
  let node: JsonObject | undefined = root;
  for (const name of path) {
    if (!node) return undefined;
    if (node['type'] === 'array' && isObject(node['items'])) node = node['items'];
    const props: Json | undefined = node['properties'];
    if (isObject(props) && isObject(props[name])) {
      node = props[name];
      continue;
    }
    const additional: Json | undefined = node['additionalProperties'];
    node = isObject(additional) ? additional : undefined;
  }
  return node;
}

export function crdSchema(kind: string, openApi: JsonObject | undefined): ObjectSchema {
  const forMetadata = builtinSchema(kind);
  const isMetadata = (path: FieldNamePath) => path[0] === 'metadata';
  return {
    listType(path) {
      if (isMetadata(path)) return forMetadata.listType(path);
      const node = openApi ? schemaAt(openApi, path) : undefined;
      if (!node) return ATOMIC;
      const type = str(node['x-kubernetes-list-type']);
      if (type === 'set') return SET;
      if (type !== 'map') return ATOMIC;
      const keys = node['x-kubernetes-list-map-keys'];
      const keyNames = Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [];
      if (keyNames.length === 0) return ATOMIC;
      const defaults: Record<string, Json> = {};
      const itemProps = isObject(node['items']) ? node['items']['properties'] : undefined;
      if (isObject(itemProps)) {
        for (const key of keyNames) {
          const keySchema = itemProps[key];
          if (isObject(keySchema) && keySchema['default'] !== undefined) defaults[key] = keySchema['default'];
        }
      }
      return { type: 'map', keys: keyNames, defaults };
    },
    isAtomicMap(path) {
      if (isMetadata(path) || !openApi) return false;
      const node = schemaAt(openApi, path);
      return node !== undefined && node['x-kubernetes-map-type'] === 'atomic';
    },
  };
}
