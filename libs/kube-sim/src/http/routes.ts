/**
 * URL → route: which discovery document, OpenAPI document or resource endpoint a request path
 * names, following the API server's path layout (`/api/v1/namespaces/{ns}/{resource}/{name}/{sub}`,
 * `/apis/{group}/{version}/...`, and the legacy `/watch/` prefix).
 */
import type { ResourceRegistry } from '../core/resources.js';

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'apiVersions' }
  | { kind: 'apiGroupList' }
  | { kind: 'apiGroup'; group: string }
  | { kind: 'resourceList'; gv: string }
  | { kind: 'openapiIndex' }
  | { kind: 'openapiGroupVersion'; gv: string }
  | { kind: 'openapiV2' }
  | {
      kind: 'resource';
      group: string;
      version: string;
      plural: string;
      /** undefined: every namespace (or a cluster-scoped resource). */
      namespace: string | undefined;
      name: string | undefined;
      subresource: string | undefined;
      isLegacyWatch: boolean;
    }
  | { kind: 'unknown' };

function splitPath(pathname: string): string[] {
  return pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

export function parseRoute(pathname: string, registry: ResourceRegistry): Route {
  const segs = splitPath(pathname);
  const [first, second] = segs;
  if (segs.length === 0) return { kind: 'unknown' };
  if (first === 'version' && segs.length === 1) return { kind: 'version' };
  if (first === 'healthz' || first === 'livez' || first === 'readyz') return { kind: 'health' };
  if (first === 'openapi') {
    if (second === 'v2' && segs.length === 2) return { kind: 'openapiV2' };
    if (second !== 'v3') return { kind: 'unknown' };
    if (segs.length === 2) return { kind: 'openapiIndex' };
    const rest = segs.slice(2);
    if (rest[0] === 'api' && rest.length === 2) return { kind: 'openapiGroupVersion', gv: rest[1] ?? '' };
    if (rest[0] === 'apis' && rest.length === 3) return { kind: 'openapiGroupVersion', gv: `${rest[1] ?? ''}/${rest[2] ?? ''}` };
    return { kind: 'unknown' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (first === 'api') {
    if (segs.length === 1) return { kind: 'apiVersions' };
    version = second ?? '';
    group = '';
    if (segs.length === 2) return { kind: 'resourceList', gv: version };
    rest = segs.slice(2);
  } else if (first === 'apis') {
    if (segs.length === 1) return { kind: 'apiGroupList' };
    group = second ?? '';
    if (segs.length === 2) return { kind: 'apiGroup', group };
    version = segs[2] ?? '';
    if (segs.length === 3) return { kind: 'resourceList', gv: `${group}/${version}` };
    rest = segs.slice(3);
  } else {
    return { kind: 'unknown' };
  }
  let isLegacyWatch = false;
  if (rest[0] === 'watch') {
    isLegacyWatch = true;
    rest = rest.slice(1);
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const plural = rest[2] ?? '';
    const rt = registry.lookup(group, version, plural);
    if (rt?.isNamespaced) {
      if (rest.length > 5) return { kind: 'unknown' };
      return { kind: 'resource', group, version, plural, namespace: rest[1], name: rest[3], subresource: rest[4], isLegacyWatch };
    }
  }
  if (rest.length === 0 || rest.length > 3) return { kind: 'unknown' };
  return { kind: 'resource', group, version, plural: rest[0] ?? '', namespace: undefined, name: rest[1], subresource: rest[2], isLegacyWatch };
}
