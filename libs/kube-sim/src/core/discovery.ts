/**
 * Discovery documents (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>[/<version>]`)
 * derived from the resource registry, in the legacy (non-aggregated) format every client
 * falls back to.
 */
import type { Json, JsonObject } from './json.js';
import type { ResourceRegistry, ResourceType } from './resources.js';
import { Subresource } from './resources.js';

export interface ServerVersion {
  major: string;
  minor: string;
  gitVersion: string;
}

export function versionInfo(v: ServerVersion): JsonObject {
  return {
    major: v.major,
    minor: v.minor,
    emulationMajor: v.major,
    emulationMinor: v.minor,
    minCompatibilityMajor: v.major,
    minCompatibilityMinor: String(Math.max(0, Number(v.minor) - 1)),
    gitVersion: v.gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.25.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiResource(rt: ResourceType): JsonObject[] {
  const main: JsonObject = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.isNamespaced,
    kind: rt.kind,
    verbs: [...rt.verbs],
  };
  if (rt.shortNames.length > 0) main['shortNames'] = [...rt.shortNames];
  if (rt.categories.length > 0) main['categories'] = [...rt.categories];
  const out: JsonObject[] = [main];
  for (const sub of rt.subresources) {
    const entry: JsonObject = { name: `${rt.plural}/${sub}`, singularName: '', namespaced: rt.isNamespaced, kind: rt.kind, verbs: ['get', 'patch', 'update'] };
    if (sub === Subresource.Scale) {
      entry['group'] = 'autoscaling';
      entry['version'] = 'v1';
      entry['kind'] = 'Scale';
    }
    out.push(entry);
  }
  return out;
}

export function apiResourceList(registry: ResourceRegistry, gv: string): JsonObject | undefined {
  const types = registry.inGroupVersion(gv);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources: types.flatMap(apiResource) };
}

/** Kubernetes version priority: GA before beta before alpha, higher numbers first, others last by name. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return pb[0] - pa[0] || pb[1] - pa[1] || pb[2] - pa[2];
}

function groupsOf(registry: ResourceRegistry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const gv of registry.groupVersions()) {
    if (!gv.includes('/')) continue;
    const [group, version] = gv.split('/') as [string, string];
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  for (const versions of groups.values()) versions.sort(compareKubeVersions);
  return groups;
}

function apiGroup(name: string, versions: readonly string[]): JsonObject {
  const vs: Json[] = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] ?? null };
}

export function apiGroupList(registry: ResourceRegistry): JsonObject {
  const groups: Json[] = [];
  for (const [name, versions] of groupsOf(registry)) groups.push(apiGroup(name, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiGroupDoc(registry: ResourceRegistry, group: string): JsonObject | undefined {
  const versions = groupsOf(registry).get(group);
  if (!versions) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, versions) };
}

