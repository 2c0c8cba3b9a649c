/**
 * Server-side `Table` rendering for `kubectl get`: the columns the real server prints for the
 * common kinds (READY, UP-TO-DATE, TYPE, CLUSTER-IP, ...), NAME and AGE for everything else,
 * and a CRD's additionalPrinterColumns for its custom resources.
 */
import type { Json, JsonObject, KubeObject } from '../core/json.js';
import { getIn, isObject, num, str, text } from '../core/json.js';
import type { ResourceType } from '../core/resources.js';
import { partialMetadata } from './negotiate.js';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean';
  format?: string;
  priority?: number;
  description: string;
  cell(obj: KubeObject, now: Date): Json;
}

/** kubectl's duration rendering (k8s.io/apimachinery HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

const age = (obj: KubeObject, now: Date): string => {
  const created = str(getIn(obj, ['metadata', 'creationTimestamp']));
  return created ? humanDuration(now.getTime() - Date.parse(created)) : '<unknown>';
};

const NAME: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => str(getIn(o, ['metadata', 'name'])) ?? '',
};
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: age };

const int = (path: string[]) => (o: KubeObject) => num(getIn(o, path)) ?? 0;
const count = (key: string) => (o: KubeObject) => {
  const v = o[key];
  return isObject(v) ? Object.keys(v).length : 0;
};

function containersOf(o: KubeObject): JsonObject[] {
  const cs = getIn(o, ['spec', 'template', 'spec', 'containers']);
  return Array.isArray(cs) ? cs.filter(isObject) : [];
}

const wide = (name: string, cell: (o: KubeObject) => Json): Column => ({ name, type: 'string', priority: 1, description: name, cell });

const WORKLOAD_WIDE: Column[] = [
  wide('Containers', (o) => containersOf(o).map((c) => str(c['name']) ?? '').join(',')),
  wide('Images', (o) => containersOf(o).map((c) => str(c['image']) ?? '').join(',')),
];

function servicePorts(o: KubeObject): string {
  const ports = getIn(o, ['spec', 'ports']);
  if (!Array.isArray(ports) || ports.length === 0) return '<none>';
  return ports
    .filter(isObject)
    .map((p) => `${text(p['port'])}${p['nodePort'] !== undefined ? `:${text(p['nodePort'])}` : ''}/${str(p['protocol']) ?? 'TCP'}`)
    .join(',');
}

function jobStatus(o: KubeObject): string {
  const conditions = getIn(o, ['status', 'conditions']);
  const has = (type: string) => Array.isArray(conditions) && conditions.some((c) => isObject(c) && c['type'] === type && c['status'] === 'True');
  if (has('Complete')) return 'Complete';
  if (has('Failed')) return 'Failed';
  if (getIn(o, ['spec', 'suspend']) === true) return 'Suspended';
  return 'Running';
}

const COLUMNS: Readonly<Record<string, Column[]>> = {
  'apps/Deployment': [
    NAME,
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', cell: (o) => `${int(['status', 'readyReplicas'])(o)}/${int(['spec', 'replicas'])(o)}` },
    { name: 'Up-to-date', type: 'integer', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', cell: int(['status', 'updatedReplicas']) },
    { name: 'Available', type: 'integer', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', cell: int(['status', 'availableReplicas']) },
    AGE,
    ...WORKLOAD_WIDE,
  ],
  'apps/StatefulSet': [
    NAME,
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state', cell: (o) => `${int(['status', 'readyReplicas'])(o)}/${int(['spec', 'replicas'])(o)}` },
    AGE,
    ...WORKLOAD_WIDE,
  ],
  'apps/ReplicaSet': [
    NAME,
    { name: 'Desired', type: 'integer', description: 'Number of desired pods.', cell: int(['spec', 'replicas']) },
    { name: 'Current', type: 'integer', description: 'Number of actual replicas.', cell: int(['status', 'replicas']) },
    { name: 'Ready', type: 'integer', description: 'The number of ready replicas for this replica set.', cell: int(['status', 'readyReplicas']) },
    AGE,
    ...WORKLOAD_WIDE,
  ],
  'apps/DaemonSet': [
    NAME,
    { name: 'Desired', type: 'integer', description: 'The total number of nodes that should be running the daemon pod.', cell: int(['status', 'desiredNumberScheduled']) },
    { name: 'Current', type: 'integer', description: 'The number of nodes that are running at least 1 daemon pod.', cell: int(['status', 'currentNumberScheduled']) },
    { name: 'Ready', type: 'integer', description: 'The number of nodes that should be running the daemon pod and are ready.', cell: int(['status', 'numberReady']) },
    { name: 'Up-to-date', type: 'integer', description: 'The total number of nodes that are running updated daemon pod', cell: int(['status', 'updatedNumberScheduled']) },
    { name: 'Available', type: 'integer', description: 'The number of nodes that should be running the daemon pod and have one or more running and available.', cell: int(['status', 'numberAvailable']) },
    { name: 'Node Selector', type: 'string', description: 'NodeSelector is a selector which must be true for the pod to fit on a node.', cell: (o) => {
      const sel = getIn(o, ['spec', 'template', 'spec', 'nodeSelector']);
      return isObject(sel) && Object.keys(sel).length > 0 ? Object.entries(sel).map(([k, v]) => `${k}=${text(v)}`).join(',') : '<none>';
    } },
    AGE,
  ],
  'batch/Job': [
    NAME,
    { name: 'Status', type: 'string', description: 'Status of the job.', cell: jobStatus },
    { name: 'Completions', type: 'string', description: 'The completion status of the job.', cell: (o) => `${int(['status', 'succeeded'])(o)}/${num(getIn(o, ['spec', 'completions'])) ?? 1}` },
    { name: 'Duration', type: 'string', description: 'Time required to complete the job.', cell: (o, now) => {
      const start = str(getIn(o, ['status', 'startTime']));
      const end = str(getIn(o, ['status', 'completionTime']));
      return start ? humanDuration((end ? Date.parse(end) : now.getTime()) - Date.parse(start)) : '';
    } },
    AGE,
  ],
  '/ConfigMap': [NAME, { name: 'Data', type: 'integer', description: 'Number of data keys.', cell: (o) => count('data')(o) + count('binaryData')(o) }, AGE],
  '/Secret': [
    NAME,
    { name: 'Type', type: 'string', description: 'The type of the secret', cell: (o) => str(o['type']) ?? 'Opaque' },
    { name: 'Data', type: 'integer', description: 'Number of data keys.', cell: count('data') },
    AGE,
  ],
  '/Service': [
    NAME,
    { name: 'Type', type: 'string', description: 'The type of the service.', cell: (o) => str(getIn(o, ['spec', 'type'])) ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', description: 'The cluster IP of the service.', cell: (o) => str(getIn(o, ['spec', 'clusterIP'])) ?? '<none>' },
    { name: 'External-IP', type: 'string', description: 'The external IP of the service.', cell: () => '<none>' },
    { name: 'Port(s)', type: 'string', description: 'The ports of the service.', cell: servicePorts },
    AGE,
  ],
  '/Namespace': [NAME, { name: 'Status', type: 'string', description: 'The status of the namespace', cell: (o) => str(getIn(o, ['status', 'phase'])) ?? '' }, AGE],
  '/Pod': [
    NAME,
    { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod.', cell: (o) => {
      const cs = getIn(o, ['spec', 'containers']);
      return `0/${Array.isArray(cs) ? cs.length : 0}`;
    } },
    { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.', cell: (o) => str(getIn(o, ['status', 'phase'])) ?? 'Pending' },
    { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted.', cell: () => '0' },
    AGE,
  ],
  'apiextensions.k8s.io/CustomResourceDefinition': [
    NAME,
    { name: 'Created At', type: 'date', description: 'The time the CRD was created.', cell: (o) => str(getIn(o, ['metadata', 'creationTimestamp'])) ?? '' },
  ],
};

function printerColumns(rt: ResourceType, crd: KubeObject | undefined): Column[] {
  if (!crd) return [NAME, AGE];
  const versions = getIn(crd, ['spec', 'versions']);
  const version = Array.isArray(versions) ? versions.find((v) => isObject(v) && v['name'] === rt.version) : undefined;
  const extra = isObject(version) ? version['additionalPrinterColumns'] : undefined;
  if (!Array.isArray(extra) || extra.length === 0) return [NAME, AGE];
  const cols: Column[] = [NAME];
  for (const c of extra) {
    if (!isObject(c)) continue;
    const path = (str(c['jsonPath']) ?? '').replace(/^\./, '').split('.');
    const type = str(c['type']);
    const column: Column = {
      name: str(c['name']) ?? '',
      type: type === 'integer' || type === 'number' || type === 'boolean' || type === 'date' ? type : 'string',
      description: str(c['description']) ?? '',
      cell: (o) => {
        const v = getIn(o, path);
        return v === undefined ? null : v;
      },
    };
    const priority = num(c['priority']);
    if (priority !== undefined) column.priority = priority;
    cols.push(column);
  }
  cols.push(AGE);
  return cols;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function tableOf(rt: ResourceType, objects: readonly KubeObject[], opts: { now: Date; includeObject: IncludeObject; isHeaderIncluded: boolean; resourceVersion: string; crd?: KubeObject }): JsonObject {
  const cols = rt.crdName !== undefined ? printerColumns(rt, opts.crd) : (COLUMNS[`${rt.group}/${rt.kind}`] ?? [NAME, AGE]);
  const columnDefinitions: Json = opts.isHeaderIncluded
    ? cols.map((c) => {
        const d: JsonObject = { name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority ?? 0 };
        return d;
      })
    : null;
  const rows = objects.map((o) => {
    const row: JsonObject = { cells: cols.map((c) => c.cell(o, opts.now)) };
    if (opts.includeObject === 'Object') row['object'] = o;
    else if (opts.includeObject === 'Metadata') row['object'] = partialMetadata(o);
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: opts.resourceVersion }, columnDefinitions, rows };
}
