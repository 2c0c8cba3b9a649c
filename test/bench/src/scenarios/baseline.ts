/**
 * The baseline: the same objects the agents applied, applied by the real `kubectl apply
 * --server-side`, one invocation per cluster, one cluster after another, against the same
 * kube-sim clusters (into a namespace of their own, so nothing the agents own is touched).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kvKeys, type DesiredState } from '@driftless/contracts';
import { toolPath } from '@driftless/testkit';
import { componentNames } from '../core/fleet-repo.js';
import { round, roundSummary, summarize, type Summary } from '../core/stats.js';
import type { Fleet } from '../fleet.js';

const run = promisify(execFile);
export const BASELINE_NAMESPACE = 'kubectl-baseline';

export interface BaselineFigures {
  clusters: number;
  objectsPerCluster: number;
  objects: number;
  kubectl: string;
  /** All clusters, one after another. */
  totalMs: number;
  perCluster: Summary;
  verifiedObjects: number;
  /** Driftless: first fetch → all applied (rendering and publishing included). */
  driftlessFanOutMs: number;
  /** How many times longer kubectl took. */
  ratio: number;
}

async function objectsOf(fleet: Fleet, cluster: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: BASELINE_NAMESPACE } }];
  for (const component of componentNames(fleet.spec.components)) {
    const entry = await fleet.provisioned.desired.get(kvKeys.desired(cluster, component));
    if (!entry) throw new Error(`no desired state for ${cluster}/${component}`);
    const state = entry.json<DesiredState>();
    if (!('inline' in state.manifests)) throw new Error(`${cluster}/${component} keeps its manifests in the object store; the baseline expects them inline`);
    for (const object of state.manifests.inline) {
      const metadata = { ...(object['metadata'] as Record<string, unknown>), namespace: BASELINE_NAMESPACE };
      out.push({ ...object, metadata });
    }
  }
  return out;
}

export async function runBaseline(fleet: Fleet, options: { driftlessFanOutMs: number; progress: (line: string) => void }): Promise<BaselineFigures> {
  const kubectl = toolPath('kubectl', 'v35');
  const { stdout: version } = await run(kubectl, ['version', '--client', '-o', 'json']);
  const kubectlVersion = (JSON.parse(version) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? 'unknown';

  // The files are written before the clock starts: only kubectl's work is timed.
  const files: { cluster: string; file: string; objects: number }[] = [];
  for (const cluster of fleet.clusters) {
    const objects = await objectsOf(fleet, cluster);
    const file = join(fleet.spec.workDir, `baseline-${cluster}.yaml`);
    writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
    files.push({ cluster, file, objects: objects.length - 1 });
  }

  const durations: number[] = [];
  const startedMs = performance.now();
  for (const [index, { cluster, file }] of files.entries()) {
    const t = performance.now();
    await run(kubectl, ['--kubeconfig', fleet.kubeconfigPath, '--context', cluster, 'apply', '--server-side', '-f', file], { maxBuffer: 64 * 1024 * 1024 });
    durations.push(performance.now() - t);
    if ((index + 1) % 10 === 0 && index + 1 < files.length) options.progress(`  kubectl: ${index + 1} of ${files.length} clusters applied (${((performance.now() - startedMs) / 1000).toFixed(0)} s)`);
  }
  const totalMs = performance.now() - startedMs;

  const counts = await fleet.sims.call<Record<string, number>>('countConfigMaps', { namespace: BASELINE_NAMESPACE, labelKey: 'app.kubernetes.io/managed-by' });
  const verifiedObjects = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const objects = files.reduce((n, f) => n + f.objects, 0);
  if (verifiedObjects !== objects) throw new Error(`kubectl left ${verifiedObjects} ConfigMaps in ${BASELINE_NAMESPACE}, expected ${objects}`);
  return {
    clusters: files.length,
    objectsPerCluster: fleet.spec.components,
    objects,
    kubectl: kubectlVersion,
    totalMs: round(totalMs, 0),
    perCluster: roundSummary(summarize(durations), 0),
    verifiedObjects,
    driftlessFanOutMs: options.driftlessFanOutMs,
    ratio: round(totalMs / options.driftlessFanOutMs, 1),
  };
}
