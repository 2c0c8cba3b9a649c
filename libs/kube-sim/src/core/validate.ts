/**
 * The validation a client can trip over on a real server: object names, label and annotation
 * syntax, a workload's selector matching its template. Returns every problem as a status cause.
 */
import type { KubeObject } from './json.js';
import { getIn, isObject, str } from './json.js';
import type { StatusCause } from './status.js';
import type { ResourceType } from './resources.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
/** Kinds whose names only need to be valid path segments. */
const PATH_SEGMENT_NAMED = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

const invalid = (field: string, value: string, why: string): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
  field,
});

export function validateName(rt: ResourceType, name: string): StatusCause[] {
  if (PATH_SEGMENT_NAMED.has(rt.kind)) {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
      return [invalid('metadata.name', name, 'may not be \'.\' or \'..\' and may not contain \'/\' or \'%\'')];
    }
    return [];
  }
  if (LABEL_NAMED.has(rt.kind)) {
    if (name.length > 63 || !DNS1123_LABEL.test(name)) {
      return [
        invalid(
          'metadata.name',
          name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      ];
    }
    return [];
  }
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    return [
      invalid(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    ];
  }
  return [];
}

function validateQualifiedKey(field: string, key: string): StatusCause[] {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if ((prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    return [
      invalid(
        field,
        key,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ),
    ];
  }
  return [];
}

function validateLabels(path: string, labels: unknown): StatusCause[] {
  if (labels === undefined || labels === null) return [];
  if (!isObject(labels)) return [{ reason: 'FieldValueInvalid', message: 'Invalid value: must be a map of strings', field: path }];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels)) {
    out.push(...validateQualifiedKey(path, k));
    if (typeof v !== 'string') out.push({ reason: 'FieldValueInvalid', message: 'Invalid value: label values must be strings', field: `${path}.${k}` });
    else if (v.length > 63 || !LABEL_VALUE.test(v)) {
      out.push(
        invalid(
          path,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return out;
}

function validateAnnotations(annotations: unknown): StatusCause[] {
  if (annotations === undefined || annotations === null) return [];
  if (!isObject(annotations)) return [{ reason: 'FieldValueInvalid', message: 'Invalid value: must be a map of strings', field: 'metadata.annotations' }];
  const out: StatusCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) {
    out.push(...validateQualifiedKey('metadata.annotations', k));
    if (typeof v !== 'string') out.push({ reason: 'FieldValueInvalid', message: 'Invalid value: annotation values must be strings', field: `metadata.annotations.${k}` });
    else size += k.length + v.length;
  }
  if (size > 262144) out.push({ reason: 'FieldValueTooLong', message: 'Too long: may not be more than 262144 bytes', field: 'metadata.annotations' });
  return out;
}

const WORKLOADS = new Set(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet']);

function validateWorkload(obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const selector = getIn(obj, ['spec', 'selector']);
  if (!isObject(selector)) {
    out.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' });
  } else {
    const matchLabels = selector['matchLabels'];
    const templateLabels = getIn(obj, ['spec', 'template', 'metadata', 'labels']);
    if (isObject(matchLabels)) {
      for (const [k, v] of Object.entries(matchLabels)) {
        if (!isObject(templateLabels) || templateLabels[k] !== v) {
          out.push({
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${JSON.stringify(isObject(templateLabels) ? templateLabels : {})}: \`selector\` does not match template \`labels\``,
            field: 'spec.template.metadata.labels',
          });
          break;
        }
      }
    }
  }
  const containers = getIn(obj, ['spec', 'template', 'spec', 'containers']);
  if (!Array.isArray(containers) || containers.length === 0) {
    out.push({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers' });
  } else {
    containers.forEach((c, i) => {
      if (!isObject(c) || !str(c['name'])) out.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.template.spec.containers[${i}].name` });
      if (!isObject(c) || !str(c['image'])) out.push({ reason: 'FieldValueRequired', message: 'Required value', field: `spec.template.spec.containers[${i}].image` });
    });
  }
  return out;
}

/** Every problem with `obj` as an object of type `rt`; empty when it is acceptable. */
export function validateObject(rt: ResourceType, obj: KubeObject): StatusCause[] {
  const out: StatusCause[] = [];
  const name = str(getIn(obj, ['metadata', 'name'])) ?? '';
  out.push(...validateName(rt, name));
  out.push(...validateLabels('metadata.labels', getIn(obj, ['metadata', 'labels'])));
  out.push(...validateAnnotations(getIn(obj, ['metadata', 'annotations'])));
  if (WORKLOADS.has(`${rt.group}/${rt.kind}`)) out.push(...validateWorkload(obj));
  if (rt.kind === 'ConfigMap' && rt.group === '') {
    const data = obj['data'];
    if (data !== undefined && (!isObject(data) || Object.values(data).some((v) => typeof v !== 'string'))) {
      out.push({ reason: 'FieldValueInvalid', message: 'Invalid value: data values must be strings', field: 'data' });
    }
  }
  return out;
}
