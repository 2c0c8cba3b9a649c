/**
 * Loads the fleet for the matrix: the clusters and the compact fleet matrix
 * (`GET /v1/inventory/matrix`, ~1.3 MB for 100 × 200, cached by the service per ledger tip) in
 * parallel, so the first screen draws after two requests. The apps of every pair, which only the
 * full inventory carries (~15 MB at that size), are read afterwards, in the background, for the
 * app filter.
 */
import { useCallback, useEffect, useState } from 'react';
import { getAll, UnauthenticatedError, type ApiClient } from './api/client.js';
import type { Cluster, InventoryItem, InventoryMatrix } from './api/types.js';
import { appsOf, cellsFromMatrix, withApps, type FleetCell } from './core/fleet-cell.js';

export interface FleetData {
  clusters: Cluster[];
  cells: FleetCell[];
  /** The apps of each pair have arrived (the app filter works). */
  hasApps: boolean;
  /** Why the apps could not be read; the matrix itself is fine. */
  appsError?: string;
}

export interface LoadedFleet {
  data: FleetData | undefined;
  error: Error | undefined;
  reload: () => void;
  update: (change: (cells: FleetCell[]) => FleetCell[]) => void;
}

/** The fleet matrix with the given filters, every page of it. */
export async function fetchMatrixCells(api: ApiClient, query: Record<string, string>, signal?: AbortSignal): Promise<FleetCell[]> {
  const cells: FleetCell[] = [];
  let cursor: string | undefined;
  do {
    const doc = await api.get<InventoryMatrix>('/v1/inventory/matrix', { ...query, cursor }, signal);
    cells.push(...cellsFromMatrix(doc));
    cursor = doc.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return cells;
}

export function useFleet(api: ApiClient): LoadedFleet {
  const [data, setData] = useState<FleetData | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const run = async () => {
      const [clusters, cells] = await Promise.all([getAll<Cluster>(api, '/v1/clusters', { limit: 1000 }, signal), fetchMatrixCells(api, {}, signal)]);
      if (signal.aborted) return;
      setData({ clusters, cells, hasApps: false });
      try {
        const apps = appsOf(await getAll<InventoryItem>(api, '/v1/inventory', { limit: 50_000 }, signal));
        if (!signal.aborted) setData((d) => d && { ...d, cells: withApps(d.cells, apps), hasApps: true });
      } catch (err) {
        // Only the app filter depends on it: keep the matrix, say what is missing.
        if (!signal.aborted && !(err instanceof UnauthenticatedError)) setData((d) => d && { ...d, appsError: (err as Error).message });
      }
    };
    setError(undefined);
    run().catch((err: unknown) => {
      if (!signal.aborted) setError(err instanceof Error ? err : new Error(String(err)));
    });
    return () => controller.abort();
  }, [api, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const update = useCallback((change: (cells: FleetCell[]) => FleetCell[]) => setData((d) => d && { ...d, cells: change(d.cells) }), []);
  return { data, error, reload, update };
}
