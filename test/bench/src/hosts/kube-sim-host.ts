/**
 * Host process: `BENCH_CLUSTERS` kube-sim clusters with `BENCH_LATENCY_MS` injected latency, in
 * one process so their CPU and memory can be measured apart from everything else. Answers
 * request statistics and object counts.
 */
import { field, loadConfig } from '@driftless/config';
import { startKubeSims } from '@driftless/kube-sim';
import type { ApiTotals, KubeSimReady } from '../core/host-types.js';
import { notify, serve } from './ipc.js';

const config = loadConfig(
  {
    clusters: field.integer({ env: 'BENCH_CLUSTERS', doc: 'Clusters to simulate', example: '100', min: 1 }),
    latencyMs: field.integer({ env: 'BENCH_LATENCY_MS', doc: 'Latency added to every API request', example: '5', min: 0 }),
    kubeconfigPath: field.string({ env: 'BENCH_KUBECONFIG', doc: 'Where the fleet kubeconfig is written', example: 'kubeconfig.yaml' }),
    namePrefix: field.string({ env: 'BENCH_CLUSTER_PREFIX', doc: 'Cluster name prefix', example: 'cluster' }),
  },
  process.env,
);

const fleet = await startKubeSims(config.clusters, { latencyMs: config.latencyMs, namePrefix: config.namePrefix, kubeconfigPath: config.kubeconfigPath });
const byName = new Map(fleet.clusters.map((sim) => [sim.name, sim]));

function totals(): ApiTotals {
  const out: ApiTotals = { requests: 0, writes: 0, byMethod: {}, openWatches: 0 };
  for (const sim of fleet.clusters) {
    const stats = sim.cluster.stats();
    out.requests += stats.requests;
    out.writes += stats.writes;
    out.openWatches += stats.openWatches;
    for (const [method, n] of Object.entries(stats.byMethod)) out.byMethod[method] = (out.byMethod[method] ?? 0) + n;
  }
  return out;
}

interface CountQuery {
  namespace: string;
  /** Only objects carrying this label are counted. */
  labelKey: string;
}

interface DataQuery {
  namespace: string;
  name: string;
  key: string;
}

serve(
  {
    stats: () => totals(),
    countConfigMaps: (payload) => {
      const q = payload as CountQuery;
      const out: Record<string, number> = {};
      for (const [name, sim] of byName) {
        out[name] = sim.cluster.list('v1', 'ConfigMap', q.namespace).filter((o) => (o.metadata as { labels?: Record<string, string> } | undefined)?.labels?.[q.labelKey] !== undefined).length;
      }
      return out;
    },
    readData: (payload) => {
      const q = payload as DataQuery;
      const out: Record<string, string | null> = {};
      for (const [name, sim] of byName) {
        const data = (sim.cluster.get('v1', 'ConfigMap', q.namespace, q.name) as { data?: Record<string, string> } | undefined)?.data;
        out[name] = data?.[q.key] ?? null;
      }
      return out;
    },
  },
  () => fleet.stop(),
);
const ready: KubeSimReady = { clusters: fleet.clusters.map((c) => c.name), kubeconfigPath: config.kubeconfigPath };
await notify('ready', ready);
