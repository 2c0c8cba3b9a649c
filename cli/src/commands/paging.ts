/** Following `nextCursor` through a keyset-paginated listing. */
import type { ApiClient, Query } from '../api.js';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every item of a listing, or the first `max` of them. */
export async function fetchAll<T>(api: ApiClient, path: string, query: Query, max = Number.POSITIVE_INFINITY): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<Page<T>>(path, { ...query, ...(cursor === undefined ? {} : { cursor }) });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && items.length < max);
  return items.slice(0, max);
}
