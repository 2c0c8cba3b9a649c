/**
 * Loads the fleet for the matrix cluster by cluster, in the order the matrix shows them, a few
 * requests at a time, so the first screen is drawn as soon as its clusters arrive instead of
 * after one response holding all of a large fleet (100 × 200 is ~15 MB of JSON).
 */
import { useCallback, useEffect, useState } from 'react';
import { getAll, type ApiClient } from './api/client.js';
import type { Cluster, InventoryItem } from './api/types.js';
import { compareStages, NO_STAGE } from './core/stages.js';

export interface FleetData {
  clusters: Cluster[];
  items: InventoryItem[];
  /** Clusters whose components have arrived. */
  loadedClusters: number;
  isComplete: boolean;
}

export interface LoadedFleet {
  data: FleetData | undefined;
  error: Error | undefined;
  reload: () => void;
  update: (change: (items: InventoryItem[]) => InventoryItem[]) => void;
}

const PARALLEL_REQUESTS = 6;
/** About as many columns as a laptop screen shows. */
const FIRST_SCREEN_CLUSTERS = 16;
/** At most this often the matrix is rebuilt while further clusters keep arriving. */
const FLUSH_MS = 120;

export function useFleet(api: ApiClient): LoadedFleet {
  const [data, setData] = useState<FleetData | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const arrived: InventoryItem[] = [];
    let loaded = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (isComplete: boolean) => {
      timer = undefined;
      if (signal.aborted) return;
      const batch = arrived.splice(0);
      const count = loaded;
      setData((d) => d && { ...d, items: batch.length === 0 ? d.items : [...d.items, ...batch], loadedClusters: count, isComplete });
    };

    const run = async () => {
      const clusters = await getAll<Cluster>(api, '/v1/clusters', { limit: 1000 }, signal);
      const ordered = [...clusters].sort((a, b) => compareStages(a.stage ?? NO_STAGE, b.stage ?? NO_STAGE) || a.name.localeCompare(b.name));
      setData({ clusters, items: [], loadedClusters: 0, isComplete: ordered.length === 0 });
      let next = 0;
      const worker = async () => {
        while (next < ordered.length && !signal.aborted) {
          const cluster = ordered[next++];
          if (!cluster) break;
          arrived.push(...(await getAll<InventoryItem>(api, '/v1/inventory', { cluster: cluster.name, limit: 50_000 }, signal)));
          loaded++;
          // The clusters of the first screen are drawn as they come; after that, a few times a second.
          if (loaded <= FIRST_SCREEN_CLUSTERS) flush(false);
          else timer ??= setTimeout(() => flush(false), FLUSH_MS);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_REQUESTS }, worker));
      clearTimeout(timer);
      flush(true);
    };
    setError(undefined);
    run().catch((err: unknown) => {
      if (!signal.aborted) setError(err instanceof Error ? err : new Error(String(err)));
    });
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((change: (items: InventoryItem[]) => InventoryItem[]) => setData((d) => d && { ...d, items: change(d.items) }), []);
  return { data, error, reload, update };
}
