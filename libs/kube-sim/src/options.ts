/**
 * Options of a simulated cluster, with the defaults a test wants: fast controllers, no latency,
 * the real server's body limit.
 */

export interface KubeSimOptions {
  /** Cluster and context name in the kubeconfig. */
  name?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Delay added before answering every request (and before a watch starts streaming). */
  latencyMs?: number;
  /** Bearer tokens; random ones are generated when left out. */
  tokens?: { admin?: string; readOnly?: string };
  /** Whether workload statuses are simulated (Deployments become available, Jobs complete). */
  isControllerEnabled?: boolean;
  /** How long the simulated controllers wait before writing a workload's status. */
  controllerDelayMs?: number;
  /** An image whose name contains this never becomes available. */
  brokenImageMarker?: string;
  /** Nodes a DaemonSet is scheduled on. */
  nodeCount?: number;
  /** Larger request bodies are refused with 413. */
  maxBodyBytes?: number;
  /** Events kept per resource for watches to resume from; older resourceVersions get 410 Gone. */
  eventLogSize?: number;
  /** How often a watch that asked for bookmarks gets one. */
  bookmarkIntervalMs?: number;
  /** What `/version` reports, e.g. "v1.35.0". */
  serverVersion?: string;
  /** Also write the kubeconfig to this file. */
  kubeconfigPath?: string;
  /** Extra DNS names or IPs the serving certificate is valid for (besides localhost and loopback). */
  certHosts?: readonly string[];
}

export interface ResolvedOptions {
  name: string;
  host: string;
  port: number;
  latencyMs: number;
  isControllerEnabled: boolean;
  controllerDelayMs: number;
  brokenImageMarker: string;
  nodeCount: number;
  maxBodyBytes: number;
  eventLogSize: number;
  bookmarkIntervalMs: number;
  serverVersion: string;
}

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

export class InvalidOptionError extends Error {
  override readonly name: string = 'InvalidOptionError';
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0) throw new InvalidOptionError(`kube-sim option ${name} must be a number >= 0, got ${String(value)}`);
  return v;
}

export function resolveOptions(opts: KubeSimOptions): ResolvedOptions {
  const name = opts.name ?? 'kube-sim';
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) throw new InvalidOptionError(`kube-sim option name must be a DNS name (e.g. "prod-eu"), got ${JSON.stringify(name)}`);
  const serverVersion = opts.serverVersion ?? 'v1.35.0';
  if (!/^v\d+\.\d+\.\d+/.test(serverVersion)) throw new InvalidOptionError(`kube-sim option serverVersion must look like "v1.35.0", got ${JSON.stringify(serverVersion)}`);
  return {
    name,
    host: opts.host ?? '127.0.0.1',
    port: nonNegative('port', opts.port, 0),
    latencyMs: nonNegative('latencyMs', opts.latencyMs, 0),
    isControllerEnabled: opts.isControllerEnabled ?? true,
    controllerDelayMs: nonNegative('controllerDelayMs', opts.controllerDelayMs, 200),
    brokenImageMarker: opts.brokenImageMarker ?? ':broken',
    nodeCount: nonNegative('nodeCount', opts.nodeCount, 1),
    maxBodyBytes: nonNegative('maxBodyBytes', opts.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    eventLogSize: Math.max(1, nonNegative('eventLogSize', opts.eventLogSize, 1000)),
    bookmarkIntervalMs: Math.max(10, nonNegative('bookmarkIntervalMs', opts.bookmarkIntervalMs, 60_000)),
    serverVersion,
  };
}
