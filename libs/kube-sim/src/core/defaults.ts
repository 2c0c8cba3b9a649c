/**
 * Defaulting for the built-in kinds, the subset of the real server's defaults that a client
 * can observe on the workloads and services we run: replicas, strategies, pod template and
 * container defaults, port protocols, a Service's cluster IP, a Secret's stringData folded into
 * data. Defaulted fields belong to no applier, exactly as on a real cluster.
 */
import type { Json, JsonObject, KubeObject } from './json.js';
import { child, getIn, isObject, str } from './json.js';

function setDefault(obj: JsonObject, key: string, value: Json): void {
  if (obj[key] === undefined || obj[key] === null) obj[key] = value;
}

function imageTag(image: string): string | undefined {
  const lastSlash = image.lastIndexOf('/');
  const name = image.slice(lastSlash + 1);
  if (name.includes('@')) return '@digest';
  const colon = name.lastIndexOf(':');
  return colon >= 0 ? name.slice(colon + 1) : undefined;
}

function defaultContainer(c: Json): void {
  if (!isObject(c)) return;
  const image = str(c['image']) ?? '';
  const tag = imageTag(image);
  setDefault(c, 'imagePullPolicy', tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent');
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'resources', {});
  const ports = c['ports'];
  if (Array.isArray(ports)) for (const p of ports) if (isObject(p)) setDefault(p, 'protocol', 'TCP');
}

function defaultPodSpec(spec: Json | undefined): void {
  if (!isObject(spec)) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const list of ['containers', 'initContainers']) {
    const cs = spec[list];
    if (Array.isArray(cs)) cs.forEach(defaultContainer);
  }
}

function defaultTemplate(spec: JsonObject): void {
  const template = spec['template'];
  if (isObject(template)) defaultPodSpec(template['spec']);
}

/** A deterministic address in 10.96.0.0/12 for a Service, derived from its namespace and name. */
function clusterIpFor(namespace: string, name: string): string {
  let h = 2166136261;
  for (const ch of `${namespace}/${name}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `10.${96 + ((h >>> 16) & 15)}.${(h >>> 8) & 255}.${Math.max(1, h & 255)}`;
}

export function applyDefaults(kind: string, group: string, obj: KubeObject): void {
  const spec = obj['spec'];
  switch (`${group}/${kind}`) {
    case 'apps/Deployment': {
      const s = child(obj, 'spec');
      setDefault(s, 'replicas', 1);
      setDefault(s, 'revisionHistoryLimit', 10);
      setDefault(s, 'progressDeadlineSeconds', 600);
      const strategy = child(s, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') {
        const ru = child(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', '25%');
        setDefault(ru, 'maxSurge', '25%');
      }
      defaultTemplate(s);
      break;
    }
    case 'apps/StatefulSet': {
      const s = child(obj, 'spec');
      setDefault(s, 'replicas', 1);
      setDefault(s, 'revisionHistoryLimit', 10);
      setDefault(s, 'podManagementPolicy', 'OrderedReady');
      const strategy = child(s, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
      const retention = child(s, 'persistentVolumeClaimRetentionPolicy');
      setDefault(retention, 'whenDeleted', 'Retain');
      setDefault(retention, 'whenScaled', 'Retain');
      defaultTemplate(s);
      break;
    }
    case 'apps/DaemonSet': {
      const s = child(obj, 'spec');
      setDefault(s, 'revisionHistoryLimit', 10);
      const strategy = child(s, 'updateStrategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy['type'] === 'RollingUpdate') {
        const ru = child(strategy, 'rollingUpdate');
        setDefault(ru, 'maxUnavailable', 1);
        setDefault(ru, 'maxSurge', 0);
      }
      defaultTemplate(s);
      break;
    }
    case 'apps/ReplicaSet': {
      const s = child(obj, 'spec');
      setDefault(s, 'replicas', 1);
      defaultTemplate(s);
      break;
    }
    case 'batch/Job': {
      const s = child(obj, 'spec');
      setDefault(s, 'parallelism', 1);
      setDefault(s, 'completions', 1);
      setDefault(s, 'backoffLimit', 6);
      setDefault(s, 'completionMode', 'NonIndexed');
      setDefault(s, 'suspend', false);
      setDefault(s, 'manualSelector', false);
      const template = s['template'];
      if (isObject(template)) {
        const ps = template['spec'];
        if (isObject(ps)) setDefault(ps, 'restartPolicy', 'Never');
        defaultPodSpec(ps);
      }
      break;
    }
    case 'batch/CronJob': {
      const s = child(obj, 'spec');
      setDefault(s, 'concurrencyPolicy', 'Allow');
      setDefault(s, 'suspend', false);
      setDefault(s, 'successfulJobsHistoryLimit', 3);
      setDefault(s, 'failedJobsHistoryLimit', 1);
      break;
    }
    case '/Pod':
      defaultPodSpec(spec);
      break;
    case '/Service': {
      const s = child(obj, 'spec');
      setDefault(s, 'type', 'ClusterIP');
      setDefault(s, 'sessionAffinity', 'None');
      if (s['type'] !== 'ExternalName') {
        const ip = str(s['clusterIP']) ?? clusterIpFor(str(getIn(obj, ['metadata', 'namespace'])) ?? '', str(getIn(obj, ['metadata', 'name'])) ?? '');
        setDefault(s, 'clusterIP', ip);
        setDefault(s, 'clusterIPs', ip === 'None' ? ['None'] : [ip]);
        setDefault(s, 'ipFamilies', ['IPv4']);
        setDefault(s, 'ipFamilyPolicy', 'SingleStack');
        setDefault(s, 'internalTrafficPolicy', 'Cluster');
      }
      const ports = s['ports'];
      if (Array.isArray(ports)) {
        for (const p of ports) {
          if (!isObject(p)) continue;
          setDefault(p, 'protocol', 'TCP');
          if (p['port'] !== undefined) setDefault(p, 'targetPort', p['port']);
        }
      }
      break;
    }
    case '/Namespace': {
      const labels = child(child(obj, 'metadata'), 'labels');
      const name = str(getIn(obj, ['metadata', 'name']));
      if (name) labels['kubernetes.io/metadata.name'] = name;
      setDefault(child(obj, 'spec'), 'finalizers', ['kubernetes']);
      break;
    }
    case '/Secret': {
      setDefault(obj, 'type', 'Opaque');
      // The server folds stringData into data (base64) and never stores stringData.
      const stringData = obj['stringData'];
      if (isObject(stringData)) {
        const data = child(obj, 'data');
        for (const [k, v] of Object.entries(stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      }
      delete obj['stringData'];
      break;
    }
    default:
      break;
  }
}
