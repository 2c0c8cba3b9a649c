/**
 * Response formats a client can ask for in `Accept`: plain JSON (always), the metadata-only
 * `PartialObjectMetadata[List]` views and server-side `Table`s for `kubectl get`.
 * Protobuf-only clients get 406, as they would from a server without protobuf.
 */
import type { JsonObject, KubeObject } from '../core/json.js';
import { isObject } from '../core/json.js';
import { ApiError, StatusReason } from '../core/status.js';

export const ResponseFormat = { Json: 'json', Table: 'table', PartialMetadata: 'partial' } as const;
export type ResponseFormat = (typeof ResponseFormat)[keyof typeof ResponseFormat];

interface Offer {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string | undefined): Offer[] {
  if (!accept) return [{ type: '*/*', params: {} }];
  return accept.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

/** The first offer in the client's order that this server can produce. */
export function negotiate(accept: string | undefined, isTableSupported: boolean): ResponseFormat {
  for (const offer of parseAccept(accept)) {
    if (offer.type !== 'application/json' && offer.type !== '*/*' && offer.type !== 'application/*' && offer.type !== 'application/yaml') continue;
    const as = offer.params['as'];
    if (as === undefined) return ResponseFormat.Json;
    if (offer.params['g'] !== 'meta.k8s.io') continue;
    if (as === 'Table' && isTableSupported) return ResponseFormat.Table;
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return ResponseFormat.PartialMetadata;
  }
  throw new ApiError(406, StatusReason.NotAcceptable, `only the following media types are accepted: application/json, application/yaml`);
}

export function partialMetadata(obj: KubeObject): JsonObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: isObject(obj['metadata']) ? obj['metadata'] : {} };
}

export function partialMetadataList(list: KubeObject): JsonObject {
  const items = Array.isArray(list['items']) ? list['items'].filter(isObject).map(partialMetadata) : [];
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: isObject(list['metadata']) ? list['metadata'] : {}, items };
}
