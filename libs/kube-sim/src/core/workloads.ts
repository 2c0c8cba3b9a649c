/**
 * What the controllers of a healthy cluster would write into a workload's status, computed
 * from its spec alone: a Deployment, StatefulSet, DaemonSet or ReplicaSet becomes fully
 * available and a Job completes, unless one of its images carries the broken-image marker —
 * then it stays unavailable (and a Deployment exceeds its progress deadline) so health
 * failures can be tested.
 */
import type { Json, JsonObject, KubeObject } from './json.js';
import { clone, getIn, isObject, nameOf, namespaceOf, num, rfc3339, str } from './json.js';
import type { ResourceType } from './resources.js';

export interface SimulationOptions {
  brokenImageMarker: string;
  nodeCount: number;
}

export interface Simulation {
  status: JsonObject;
  /** Look again after this many milliseconds (a broken rollout reaching its progress deadline). */
  recheckAfterMs?: number;
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A stable pod-template hash in the alphabet the real controllers use for generated names. */
export function templateHash(template: Json | undefined): string {
  let h = 2166136261;
  for (const ch of JSON.stringify(template ?? null)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  let out = '';
  let x = h;
  for (let i = 0; i < 10; i++) {
    out += HASH_ALPHABET[x % HASH_ALPHABET.length];
    x = Math.floor(x / HASH_ALPHABET.length) ^ Math.imul(h, i + 7) >>> 3;
  }
  return out;
}

function imagesOf(obj: KubeObject): string[] {
  const spec = getIn(obj, ['spec', 'template', 'spec']);
  if (!isObject(spec)) return [];
  const out: string[] = [];
  for (const list of ['initContainers', 'containers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) for (const c of cs) if (isObject(c) && typeof c['image'] === 'string') out.push(c['image']);
  }
  return out;
}

export function isBroken(obj: KubeObject, marker: string): boolean {
  return marker !== '' && imagesOf(obj).some((image) => image.includes(marker));
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** Conditions with transition times carried over while a condition's status and reason stay the same. */
function conditions(previous: Json | undefined, wanted: Condition[], now: string, withUpdateTime: boolean): Json[] {
  const prev = Array.isArray(previous) ? previous.filter(isObject) : [];
  return wanted.map((c) => {
    const old = prev.find((p) => p['type'] === c.type);
    const isSame = old !== undefined && old['status'] === c.status && old['reason'] === c.reason;
    const transition = old !== undefined && old['status'] === c.status ? (str(old['lastTransitionTime']) ?? now) : now;
    const out: JsonObject = { type: c.type, status: c.status };
    if (withUpdateTime) out['lastUpdateTime'] = isSame ? (str(old['lastUpdateTime']) ?? now) : now;
    out['lastTransitionTime'] = transition;
    out['reason'] = c.reason;
    out['message'] = c.message;
    return out;
  });
}

function withCounts(status: JsonObject, counts: Record<string, number>): JsonObject {
  // The real controllers omit zero counts (omitempty).
  for (const [k, v] of Object.entries(counts)) if (v !== 0) status[k] = v;
  return status;
}

function deployment(obj: KubeObject, now: Date, progressingSinceMs: number, opts: SimulationOptions): Simulation {
  const replicas = num(getIn(obj, ['spec', 'replicas'])) ?? 1;
  const generation = num(getIn(obj, ['metadata', 'generation'])) ?? 1;
  const rs = `${nameOf(obj)}-${templateHash(getIn(obj, ['spec', 'template']))}`;
  const nowText = rfc3339(now);
  const previous = getIn(obj, ['status', 'conditions']);
  const status: JsonObject = { observedGeneration: generation };
  if (!isBroken(obj, opts.brokenImageMarker) || replicas === 0) {
    withCounts(status, { replicas, updatedReplicas: replicas, readyReplicas: replicas, availableReplicas: replicas });
    status['conditions'] = conditions(
      previous,
      [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs}" has successfully progressed.` },
      ],
      nowText,
      true,
    );
    return { status };
  }
  const deadlineMs = (num(getIn(obj, ['spec', 'progressDeadlineSeconds'])) ?? 600) * 1000;
  const elapsedMs = now.getTime() - progressingSinceMs;
  const isPastDeadline = elapsedMs >= deadlineMs;
  withCounts(status, { replicas, updatedReplicas: replicas, unavailableReplicas: replicas });
  status['conditions'] = conditions(
    previous,
    [
      { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      isPastDeadline
        ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rs}" has timed out progressing.` }
        : { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rs}" is progressing.` },
    ],
    nowText,
    true,
  );
  const sim: Simulation = { status };
  if (!isPastDeadline) sim.recheckAfterMs = deadlineMs - elapsedMs;
  return sim;
}

function statefulSet(obj: KubeObject, opts: SimulationOptions): Simulation {
  const replicas = num(getIn(obj, ['spec', 'replicas'])) ?? 1;
  const revision = `${nameOf(obj)}-${templateHash(getIn(obj, ['spec', 'template']))}`;
  const isUp = !isBroken(obj, opts.brokenImageMarker);
  const status: JsonObject = { observedGeneration: num(getIn(obj, ['metadata', 'generation'])) ?? 1, replicas };
  withCounts(status, {
    readyReplicas: isUp ? replicas : 0,
    currentReplicas: replicas,
    updatedReplicas: replicas,
  });
  status['currentRevision'] = revision;
  status['updateRevision'] = revision;
  status['collisionCount'] = 0;
  status['availableReplicas'] = isUp ? replicas : 0;
  return { status };
}

function daemonSet(obj: KubeObject, opts: SimulationOptions): Simulation {
  const nodes = opts.nodeCount;
  const isUp = !isBroken(obj, opts.brokenImageMarker);
  const status: JsonObject = {
    currentNumberScheduled: nodes,
    desiredNumberScheduled: nodes,
    numberMisscheduled: 0,
    numberReady: isUp ? nodes : 0,
    observedGeneration: num(getIn(obj, ['metadata', 'generation'])) ?? 1,
  };
  withCounts(status, { updatedNumberScheduled: nodes, numberAvailable: isUp ? nodes : 0, numberUnavailable: isUp ? 0 : nodes });
  return { status };
}

function replicaSet(obj: KubeObject, opts: SimulationOptions): Simulation {
  const replicas = num(getIn(obj, ['spec', 'replicas'])) ?? 1;
  const isUp = !isBroken(obj, opts.brokenImageMarker);
  const status: JsonObject = { replicas };
  withCounts(status, { fullyLabeledReplicas: replicas, readyReplicas: isUp ? replicas : 0, availableReplicas: isUp ? replicas : 0 });
  status['observedGeneration'] = num(getIn(obj, ['metadata', 'generation'])) ?? 1;
  return { status };
}

function job(obj: KubeObject, now: Date, opts: SimulationOptions): Simulation | undefined {
  if (getIn(obj, ['spec', 'suspend']) === true) return undefined;
  const previous = obj['status'];
  const nowText = rfc3339(now);
  const startTime = (isObject(previous) ? str(previous['startTime']) : undefined) ?? nowText;
  if (isBroken(obj, opts.brokenImageMarker)) {
    return { status: { startTime, active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} } };
  }
  const completions = num(getIn(obj, ['spec', 'completions'])) ?? 1;
  const completionTime = (isObject(previous) ? str(previous['completionTime']) : undefined) ?? nowText;
  return {
    status: {
      conditions: conditions(
        isObject(previous) ? previous['conditions'] : undefined,
        [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
          { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
        ],
        nowText,
        false,
      ),
      startTime,
      completionTime,
      succeeded: completions,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    },
  };
}

/** Whether kube-sim simulates a controller for objects of this type. */
export function isSimulatedWorkload(rt: ResourceType): boolean {
  return (rt.group === 'apps' && ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(rt.kind)) || (rt.group === 'batch' && rt.kind === 'Job');
}

/** The status the workload's controller would settle on now; undefined when it would write nothing. */
export function simulateWorkload(rt: ResourceType, obj: KubeObject, now: Date, progressingSinceMs: number, opts: SimulationOptions): Simulation | undefined {
  if (getIn(obj, ['metadata', 'deletionTimestamp']) !== undefined) return undefined;
  switch (`${rt.group}/${rt.kind}`) {
    case 'apps/Deployment':
      return deployment(obj, now, progressingSinceMs, opts);
    case 'apps/StatefulSet':
      return statefulSet(obj, opts);
    case 'apps/DaemonSet':
      return daemonSet(obj, opts);
    case 'apps/ReplicaSet':
      return replicaSet(obj, opts);
    case 'batch/Job':
      return job(obj, now, opts);
    default:
      return undefined;
  }
}

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** The revision a Deployment controller wrote on a ReplicaSet (0 when none). */
export function revisionOf(obj: KubeObject): number {
  const raw = str(getIn(obj, ['metadata', 'annotations', REVISION_ANNOTATION]));
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) ? n : 0;
}

/** Whether `rs` is controlled by the object with this uid. */
export function isControlledBy(rs: KubeObject, uid: string): boolean {
  const refs = getIn(rs, ['metadata', 'ownerReferences']);
  return Array.isArray(refs) && refs.some((r) => isObject(r) && r['uid'] === uid && r['controller'] === true);
}

/** The ReplicaSet the Deployment controller keeps for a Deployment's current pod template. */
export function replicaSetFor(deploy: KubeObject, revision: number): KubeObject {
  const template = clone(getIn(deploy, ['spec', 'template']) ?? {});
  const hash = templateHash(template);
  const replicas = num(getIn(deploy, ['spec', 'replicas'])) ?? 1;
  const templateMeta = isObject(template) ? (isObject(template['metadata']) ? template['metadata'] : (template['metadata'] = {})) : {};
  const labels = isObject(templateMeta['labels']) ? templateMeta['labels'] : {};
  labels[POD_TEMPLATE_HASH_LABEL] = hash;
  templateMeta['labels'] = labels;
  const selector = clone(getIn(deploy, ['spec', 'selector']) ?? {});
  if (isObject(selector)) {
    const ml = isObject(selector['matchLabels']) ? selector['matchLabels'] : {};
    ml[POD_TEMPLATE_HASH_LABEL] = hash;
    selector['matchLabels'] = ml;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${nameOf(deploy)}-${hash}`,
      namespace: namespaceOf(deploy),
      labels: clone(labels),
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(replicas),
        'deployment.kubernetes.io/max-replicas': String(replicas + Math.ceil(replicas / 4)),
        [REVISION_ANNOTATION]: String(revision),
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: nameOf(deploy), uid: str(getIn(deploy, ['metadata', 'uid'])) ?? '', controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { replicas, selector, template },
  };
}
