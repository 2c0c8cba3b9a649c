/**
 * Request bodies: JSON or YAML by content type, bounded in size, alias expansion and depth,
 * with the API server's 400/413/415 answers for what cannot be read.
 */
import { parseDocument } from 'yaml';
import type { Json } from '../core/json.js';
import { ApiError, StatusReason, errors } from '../core/status.js';
import { PatchType } from '../core/api.js';
import { decodeProtobufObject } from './protobuf.js';

const MediaType = {
  Json: 'application/json',
  Yaml: 'application/yaml',
  Protobuf: 'application/vnd.kubernetes.protobuf',
} as const;

function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(413, StatusReason.RequestEntityTooLarge, `Request entity too large: limit is ${limitBytes}`);
}

function parseJson(text: string, what: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new ApiError(400, StatusReason.BadRequest, `${what}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

function parseYaml(text: string, what: string): Json {
  // Clients (client-node, the agent) send apply bodies as JSON, which is YAML too: JSON.parse is
  // many times faster, and anything it refuses still goes through the YAML parser below.
  if (text.trimStart().startsWith('{')) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      // Flow-style YAML that is not JSON.
    }
  }
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ApiError(400, StatusReason.BadRequest, `${what}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) as Json;
  } catch (err) {
    throw new ApiError(400, StatusReason.BadRequest, `${what}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

/** Whether a body of this media type may be sent with `method` (and which patch type it is). */
export function parseBody(method: string, contentType: string | undefined, raw: Buffer): { body: Json | undefined; patchType?: PatchType } {
  const type = mediaTypeOf(contentType);
  if (type === MediaType.Protobuf && method !== 'PATCH') return { body: decodeProtobufObject(raw) };
  const text = raw.toString('utf8');
  if (method === 'PATCH') {
    const patchTypes: readonly string[] = Object.values(PatchType);
    if (!patchTypes.includes(type)) throw errors.unsupportedMediaType(type, Object.values(PatchType));
    const patchType = type as PatchType;
    if (text.trim() === '') throw errors.badRequest('the patch body is empty');
    const body = patchType === PatchType.Apply ? parseYaml(text, 'error decoding YAML') : parseJson(text, 'error decoding patch');
    return { body, patchType };
  }
  if (text.trim() === '') return { body: undefined };
  if (type === MediaType.Yaml || type === 'application/x-yaml' || type === 'text/yaml') return { body: parseYaml(text, 'error decoding YAML') };
  if (type === '' || type === MediaType.Json || type === '*/*') return { body: parseJson(text, "couldn't get version/kind; json parse error") };
  throw errors.unsupportedMediaType(type, [MediaType.Json, MediaType.Yaml]);
}
