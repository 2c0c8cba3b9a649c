/**
 * Reads the Kubernetes protobuf encoding (`application/vnd.kubernetes.protobuf`) that kubectl's
 * typed clients send for `kubectl create namespace|configmap|secret|serviceaccount`: the `k8s\0`
 * envelope around a `runtime.Unknown`, and the messages of those kinds. Other kinds are answered
 * with 415 and a hint to send JSON or YAML.
 */
import type { Json, JsonObject } from '../core/json.js';
import { ApiError, StatusReason } from '../core/status.js';

type Scalar = 'string' | 'bytes' | 'bool' | 'int64';

interface FieldSpec {
  name: string;
  type: Scalar | Message;
  isRepeated?: boolean;
  /** map<string, value>: entries are messages {1: key, 2: value}. */
  mapValue?: Scalar | Message;
}

interface Message {
  fields: Record<number, FieldSpec>;
}

const msg = (fields: Record<number, FieldSpec>): Message => ({ fields });

const OWNER_REFERENCE = msg({
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
});

const OBJECT_META = msg({
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int64' },
  11: { name: 'labels', type: 'string', mapValue: 'string' },
  12: { name: 'annotations', type: 'string', mapValue: 'string' },
  13: { name: 'ownerReferences', type: OWNER_REFERENCE, isRepeated: true },
  14: { name: 'finalizers', type: 'string', isRepeated: true },
});

const LOCAL_REF = msg({ 1: { name: 'name', type: 'string' } });
const OBJECT_REF = msg({
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
});

const DELETE_OPTIONS = msg({
  1: { name: 'gracePeriodSeconds', type: 'int64' },
  2: { name: 'preconditions', type: msg({ 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } }) },
  3: { name: 'orphanDependents', type: 'bool' },
  4: { name: 'propagationPolicy', type: 'string' },
  5: { name: 'dryRun', type: 'string', isRepeated: true },
});

const RESOURCE_ATTRIBUTES = msg({
  1: { name: 'namespace', type: 'string' },
  2: { name: 'verb', type: 'string' },
  3: { name: 'group', type: 'string' },
  4: { name: 'version', type: 'string' },
  5: { name: 'resource', type: 'string' },
  6: { name: 'subresource', type: 'string' },
  7: { name: 'name', type: 'string' },
});

/** Supported kinds by "apiVersion/kind". */
const KINDS: Readonly<Record<string, Message>> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': msg({
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: msg({ 1: { name: 'resourceAttributes', type: RESOURCE_ATTRIBUTES }, 2: { name: 'nonResourceAttributes', type: msg({ 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } }) } }),
    },
  }),
  'authentication.k8s.io/v1/SelfSubjectReview': msg({ 1: { name: 'metadata', type: OBJECT_META } }),
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/Namespace': msg({
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: msg({ 1: { name: 'finalizers', type: 'string', isRepeated: true } }) },
  }),
  'v1/ConfigMap': msg({
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: 'string', mapValue: 'string' },
    3: { name: 'binaryData', type: 'string', mapValue: 'bytes' },
    4: { name: 'immutable', type: 'bool' },
  }),
  'v1/Secret': msg({
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: 'string', mapValue: 'bytes' },
    3: { name: 'type', type: 'string' },
    4: { name: 'stringData', type: 'string', mapValue: 'string' },
    5: { name: 'immutable', type: 'bool' },
  }),
  'v1/ServiceAccount': msg({
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'secrets', type: OBJECT_REF, isRepeated: true },
    3: { name: 'imagePullSecrets', type: LOCAL_REF, isRepeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  }),
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get isDone(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

function scalar(type: Scalar, r: Reader): Json {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0n;
    case 'int64':
      return Number(BigInt.asIntN(64, r.varint()));
  }
}

function decode(message: Message, buf: Buffer): JsonObject {
  const r = new Reader(buf);
  const out: JsonObject = {};
  while (!r.isDone) {
    const tag = Number(r.varint());
    const fieldNo = tag >>> 3;
    const wireType = tag & 7;
    const spec = message.fields[fieldNo];
    if (!spec) {
      r.skip(wireType);
      continue;
    }
    let value: Json;
    if (spec.mapValue !== undefined) {
      const entry = decode(msg({ 1: { name: 'key', type: 'string' }, 2: { name: 'value', type: spec.mapValue } }), r.bytes());
      const map = (out[spec.name] ?? {}) as JsonObject;
      map[typeof entry['key'] === 'string' ? entry['key'] : ''] = entry['value'] ?? (spec.mapValue === 'string' || spec.mapValue === 'bytes' ? '' : null);
      out[spec.name] = map;
      continue;
    }
    if (typeof spec.type === 'string') value = scalar(spec.type, r);
    else value = decode(spec.type, r.bytes());
    if (spec.isRepeated) out[spec.name] = [...((out[spec.name] as Json[] | undefined) ?? []), value];
    else out[spec.name] = value;
  }
  return out;
}

/** The JSON form of a protobuf-encoded object; 415 for kinds this server cannot read as protobuf. */
export function decodeProtobufObject(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ApiError(400, StatusReason.BadRequest, 'the protobuf body does not start with the Kubernetes magic number');
  }
  let unknown: JsonObject;
  try {
    unknown = decode(
      msg({
        1: { name: 'typeMeta', type: msg({ 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } }) },
        2: { name: 'raw', type: 'bytes' },
        3: { name: 'contentEncoding', type: 'string' },
      }),
      body.subarray(4),
    );
  } catch (err) {
    throw new ApiError(400, StatusReason.BadRequest, `cannot decode the protobuf body: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
  const typeMeta = (unknown['typeMeta'] ?? {}) as JsonObject;
  const apiVersion = typeof typeMeta['apiVersion'] === 'string' ? typeMeta['apiVersion'] : '';
  const kind = typeof typeMeta['kind'] === 'string' ? typeMeta['kind'] : '';
  const message = KINDS[`${apiVersion}/${kind}`];
  if (!message) {
    throw new ApiError(
      415,
      StatusReason.UnsupportedMediaType,
      `kube-sim reads protobuf only for ${[...new Set(Object.keys(KINDS).map((k) => k.split('/').pop()))].join(', ')}, not ${kind || 'this kind'}: send ${kind || 'it'} as application/json or application/yaml (e.g. kubectl create -f / kubectl apply)`,
    );
  }
  try {
    const raw = Buffer.from(typeof unknown['raw'] === 'string' ? unknown['raw'] : '', 'base64');
    return { apiVersion, kind, ...decode(message, raw) };
  } catch (err) {
    throw new ApiError(400, StatusReason.BadRequest, `cannot decode the protobuf ${kind}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}
