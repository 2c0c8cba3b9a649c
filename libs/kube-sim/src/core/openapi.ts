/**
 * OpenAPI v3 documents for the kinds the server knows: an index at `/openapi/v3` and one
 * document per group/version. They declare every operation with its
 * `x-kubernetes-group-version-kind` and the `fieldValidation`, `dryRun`, `fieldManager` and
 * `force` parameters, which is what kubectl and helm look for before leaving validation to
 * the server. Schemas are permissive except for custom resources, which carry their CRD's.
 */
import { createHash } from 'node:crypto';
import type { Json, JsonObject } from './json.js';
import { clone } from './json.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { Subresource, groupVersion } from './resources.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function gvPath(gv: string): string {
  return gv.includes('/') ? `apis/${gv}` : `api/${gv}`;
}

/** The definition name the real server uses: io.k8s.api.apps.v1.Deployment, or the reversed group for CRs. */
export function schemaName(rt: ResourceType): string {
  if (rt.crdName !== undefined) return `${rt.group.split('.').reverse().join('.')}.${rt.version}.${rt.kind}`;
  if (rt.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${rt.version}.${rt.kind}`;
  const g = rt.group === '' ? 'core' : rt.group.replace(/\.k8s\.io$/, '').replace(/\./g, '');
  return `io.k8s.api.${g}.${rt.version}.${rt.kind}`;
}

const queryParam = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string'): JsonObject => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  dryRun: queryParam('dryRun', 'When present, indicates that modifications should not be persisted. Valid values: All.'),
  fieldManager: queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: queryParam('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.'),
  force: queryParam('force', 'Force is going to "force" Apply requests: conflicting fields are taken from their other owners.', 'boolean'),
  pretty: queryParam('pretty', "If 'true', then the output is pretty printed."),
  labelSelector: queryParam('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: queryParam('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  limit: queryParam('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: queryParam('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: queryParam('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  watch: queryParam('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
  allowWatchBookmarks: queryParam('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK".', 'boolean'),
  timeoutSeconds: queryParam('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  propagationPolicy: queryParam('propagationPolicy', 'Whether and how garbage collection will be performed.'),
  gracePeriodSeconds: queryParam('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
};

const pathParam = (name: string, description: string): JsonObject => ({ name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } });

function ref(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function op(rt: ResourceType, action: string, operationId: string, params: JsonObject[], responseSchema: string, kind: { group: string; version: string; kind: string }, hasBody: boolean, bodyTypes: readonly string[] = ['application/json', 'application/yaml']): JsonObject {
  const content: JsonObject = {};
  for (const t of ['application/json', 'application/yaml']) content[t] = { schema: ref(responseSchema) };
  const o: JsonObject = {
    tags: [rt.group === '' ? 'core_v1' : `${rt.group.replace(/\./g, '')}_${rt.version}`],
    operationId,
    parameters: params,
    responses: { '200': { description: 'OK', content }, '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
  };
  if (hasBody) {
    const body: JsonObject = {};
    for (const t of bodyTypes) body[t] = { schema: t.includes('patch') ? ref(`${META}.Patch`) : ref(responseSchema) };
    o['requestBody'] = { content: body, required: true };
  }
  return o;
}

const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'] as const;

function pathsFor(rt: ResourceType): Record<string, JsonObject> {
  const gv = groupVersion(rt);
  const base = `/${gvPath(gv)}${rt.isNamespaced ? '/namespaces/{namespace}' : ''}/${rt.plural}`;
  const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
  const schema = schemaName(rt);
  const idBase = `${rt.group === '' ? 'Core' : rt.group.split('.')[0] ?? ''}${rt.version}${rt.isNamespaced ? 'Namespaced' : ''}${rt.kind}`;
  const nsParam = rt.isNamespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : [];
  const nameParam = pathParam('name', `name of the ${rt.kind}`);
  // Strategic merge patch is served but not advertised: kubectl would then compute client-side
  // apply patches from these (field-less) schemas and fail; unadvertised, it uses its built-in types.
  const patchTypes = PATCH_TYPES.filter((t) => !t.includes('strategic'));
  const paths: Record<string, JsonObject> = {};
  paths[base] = {
    get: op(rt, 'list', `list${idBase}`, [P.allowWatchBookmarks, P.continue, P.fieldSelector, P.labelSelector, P.limit, P.resourceVersion, P.timeoutSeconds, P.watch], `${schema}List`, gvk, false),
    post: op(rt, 'post', `create${idBase}`, [P.dryRun, P.fieldManager, P.fieldValidation], schema, gvk, true),
    delete: op(rt, 'deletecollection', `deletecollection${idBase}`, [P.dryRun, P.labelSelector, P.fieldSelector, P.propagationPolicy], `${META}.Status`, gvk, false),
    parameters: [...nsParam, P.pretty],
  };
  paths[`${base}/{name}`] = {
    get: op(rt, 'get', `read${idBase}`, [], schema, gvk, false),
    put: op(rt, 'put', `replace${idBase}`, [P.dryRun, P.fieldManager, P.fieldValidation], schema, gvk, true),
    patch: op(rt, 'patch', `patch${idBase}`, [P.dryRun, P.fieldManager, P.fieldValidation, P.force], schema, gvk, true, patchTypes),
    delete: op(rt, 'delete', `delete${idBase}`, [P.dryRun, P.gracePeriodSeconds, P.propagationPolicy], schema, gvk, false),
    parameters: [nameParam, ...nsParam, P.pretty],
  };
  for (const sub of rt.subresources) {
    const isScale = sub === Subresource.Scale;
    const subKind = isScale ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : gvk;
    const subSchema = isScale ? 'io.k8s.api.autoscaling.v1.Scale' : schema;
    const cap = sub.charAt(0).toUpperCase() + sub.slice(1);
    paths[`${base}/{name}/${sub}`] = {
      get: op(rt, 'get', `read${idBase}${cap}`, [], subSchema, subKind, false),
      put: op(rt, 'put', `replace${idBase}${cap}`, [P.dryRun, P.fieldManager, P.fieldValidation], subSchema, subKind, true),
      patch: op(rt, 'patch', `patch${idBase}${cap}`, [P.dryRun, P.fieldManager, P.fieldValidation, P.force], subSchema, subKind, true, patchTypes),
      parameters: [nameParam, ...nsParam, P.pretty],
    };
  }
  return paths;
}

const OPEN_OBJECT: JsonObject = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function kindSchema(rt: ResourceType): JsonObject {
  const gvk: Json = [{ group: rt.group, version: rt.version, kind: rt.kind }];
  if (rt.schema) {
    const s = clone(rt.schema);
    const props = (s['properties'] ?? {}) as JsonObject;
    props['metadata'] = ref(`${META}.ObjectMeta`);
    props['apiVersion'] ??= { type: 'string' };
    props['kind'] ??= { type: 'string' };
    s['properties'] = props;
    s['x-kubernetes-group-version-kind'] = gvk;
    return s;
  }
  return {
    description: `${rt.kind} (schema served by kube-sim: fields are not described)`,
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: ref(`${META}.ObjectMeta`), spec: OPEN_OBJECT, status: OPEN_OBJECT },
    'x-kubernetes-group-version-kind': gvk,
  };
}

function listSchema(rt: ResourceType): JsonObject {
  return {
    type: 'object',
    required: ['items'],
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: ref(`${META}.ListMeta`), items: { type: 'array', items: ref(schemaName(rt)) } },
    'x-kubernetes-group-version-kind': [{ group: rt.group, version: rt.version, kind: rt.listKind }],
  };
}

export function openApiGroupVersion(registry: ResourceRegistry, gv: string): JsonObject | undefined {
  const types = registry.inGroupVersion(gv);
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {
    [`${META}.ObjectMeta`]: OPEN_OBJECT,
    [`${META}.ListMeta`]: OPEN_OBJECT,
    [`${META}.Status`]: OPEN_OBJECT,
    [`${META}.Patch`]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
  };
  for (const rt of types) {
    Object.assign(paths, pathsFor(rt));
    schemas[schemaName(rt)] = kindSchema(rt);
    schemas[`${schemaName(rt)}List`] = listSchema(rt);
    if (rt.subresources.includes(Subresource.Scale)) {
      schemas['io.k8s.api.autoscaling.v1.Scale'] = {
        type: 'object',
        properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: ref(`${META}.ObjectMeta`), spec: OPEN_OBJECT, status: OPEN_OBJECT },
        'x-kubernetes-group-version-kind': [{ group: 'autoscaling', version: 'v1', kind: 'Scale' }],
      };
    }
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.35.0' }, paths, components: { schemas } };
}

export function openApiHash(doc: JsonObject): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

/** The `/openapi/v3` index: one entry per group/version, each pointing at its document by content hash. */
export function openApiIndex(registry: ResourceRegistry, hashOf: (gv: string) => string): JsonObject {
  const paths: JsonObject = {};
  for (const gv of registry.groupVersions()) paths[gvPath(gv)] = { serverRelativeURL: `/openapi/v3/${gvPath(gv)}?hash=${hashOf(gv)}` };
  return { paths };
}
