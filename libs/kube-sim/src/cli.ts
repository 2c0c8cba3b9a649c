/**
 * The `kube-sim` command: starts one or more simulated clusters, prints their URLs, writes a
 * kubeconfig and serves until interrupted.
 */
import { parseArgs } from 'node:util';
import { writeFile } from 'node:fs/promises';
import type { KubeSimOptions } from './options.js';
import { startKubeSim, startKubeSims } from './start.js';

export const USAGE = `Usage: kube-sim [options]

Runs an in-memory Kubernetes API server (HTTPS) that kubectl, helm and client libraries can use.

Options:
  --port N                   port to listen on (default 0: any free port)
  --host HOST                address to listen on (default 127.0.0.1)
  --kubeconfig FILE          write an admin kubeconfig (CA, server URL, token) to FILE
  --read-only-kubeconfig FILE
                             also write a kubeconfig whose token may only read
  --name NAME                cluster and context name (default kube-sim)
  --clusters N               run N independent clusters named NAME-1..NAME-N (each on its own port;
                             the kubeconfig gets one context per cluster)
  --latency-ms N             delay every response by N milliseconds (default 0)
  --controller-delay-ms N    delay before simulated workload controllers act (default 200)
  --no-controllers           do not simulate workload statuses
  --broken-image-marker S    images containing S never become available (default ":broken")
  --admin-token T            bearer token with full rights (default: random)
  --read-only-token T        bearer token that may only read (default: random)
  --max-body-bytes N         refuse larger request bodies with 413 (default 3145728)
  -h, --help                 print this help
`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the process should stop (a signal arrived). */
  untilStopped(): Promise<void>;
}

function count(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number >= 0, got "${raw}"`);
  return Number(raw);
}

/** Runs the command; resolves with the exit code once the servers are stopped. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        kubeconfig: { type: 'string' },
        'read-only-kubeconfig': { type: 'string' },
        name: { type: 'string' },
        clusters: { type: 'string' },
        'latency-ms': { type: 'string' },
        'controller-delay-ms': { type: 'string' },
        'no-controllers': { type: 'boolean' },
        'broken-image-marker': { type: 'string' },
        'admin-token': { type: 'string' },
        'read-only-token': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    io.err(`kube-sim: ${err instanceof Error ? err.message : String(err)}`);
    io.err(USAGE);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  let opts: KubeSimOptions;
  let clusters: number;
  try {
    clusters = count('clusters', v.clusters) ?? 1;
    if (clusters < 1) throw new Error('--clusters must be at least 1');
    opts = {};
    const port = count('port', v.port);
    if (port !== undefined) opts.port = port;
    if (clusters > 1 && port !== undefined && port !== 0) throw new Error('--port cannot be combined with --clusters > 1 (each cluster gets a free port)');
    if (v.host !== undefined) opts.host = v.host;
    if (v.name !== undefined) opts.name = v.name;
    const latency = count('latency-ms', v['latency-ms']);
    if (latency !== undefined) opts.latencyMs = latency;
    const delay = count('controller-delay-ms', v['controller-delay-ms']);
    if (delay !== undefined) opts.controllerDelayMs = delay;
    if (v['no-controllers']) opts.isControllerEnabled = false;
    if (v['broken-image-marker'] !== undefined) opts.brokenImageMarker = v['broken-image-marker'];
    const maxBody = count('max-body-bytes', v['max-body-bytes']);
    if (maxBody !== undefined) opts.maxBodyBytes = maxBody;
    const tokens: { admin?: string; readOnly?: string } = {};
    if (v['admin-token'] !== undefined) tokens.admin = v['admin-token'];
    if (v['read-only-token'] !== undefined) tokens.readOnly = v['read-only-token'];
    if (tokens.admin !== undefined || tokens.readOnly !== undefined) opts.tokens = tokens;
  } catch (err) {
    io.err(`kube-sim: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
  let stop: () => Promise<void>;
  try {
    if (clusters === 1) {
      const sim = await startKubeSim({ ...opts, ...(v.kubeconfig ? { kubeconfigPath: v.kubeconfig } : {}) });
      io.out(`kube-sim ${sim.name} listening on ${sim.url}`);
      if (v['read-only-kubeconfig']) await writeFile(v['read-only-kubeconfig'], sim.readOnlyKubeconfig, { mode: 0o600 });
      stop = () => sim.stop();
    } else {
      const fleet = await startKubeSims(clusters, { ...opts, namePrefix: opts.name ?? 'kube-sim', ...(v.kubeconfig ? { kubeconfigPath: v.kubeconfig } : {}) });
      for (const c of fleet.clusters) io.out(`kube-sim ${c.name} listening on ${c.url}`);
      if (v['read-only-kubeconfig']) io.err('kube-sim: --read-only-kubeconfig is only written for a single cluster');
      stop = () => fleet.stop();
    }
  } catch (err) {
    io.err(`kube-sim: cannot start: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  if (v.kubeconfig) io.out(`kubeconfig written to ${v.kubeconfig}`);
  await io.untilStopped();
  await stop();
  return 0;
}
