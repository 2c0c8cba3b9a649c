/**
 * Runs async work over many items with a bounded number in flight: publishing 10,000 keys one
 * await at a time would take 10,000 round trips, all at once would flood the server.
 */

/** Calls `work` for every item, at most `concurrency` at a time; rejects with the first error once in-flight work settles. */
export async function forEachBounded<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
}
