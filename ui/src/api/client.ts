/**
 * Calls the audit API with the signed-in token. A 401 anywhere ends the session (the caller
 * returns to sign-in with the server's reason); other problems become ApiError with the
 * problem document's detail, which pages show as they are.
 */
import type { Problem } from './types.js';

/** The token was refused (missing, unknown or revoked). */
export class UnauthenticatedError extends Error {
  override readonly name: string = 'UnauthenticatedError';
}

/** The API answered with a problem document (or something that is not JSON). */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export function toSearch(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) params.append(key, v);
    else params.set(key, String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

export interface ApiClient {
  readonly token: string;
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/** The problem document's detail, else the status line. */
export async function problemOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const problem = JSON.parse(text) as Partial<Problem>;
    if (typeof problem.detail === 'string') return problem.detail;
  } catch {
    // Not a problem document; fall through to the status line.
  }
  return `${res.status} ${res.statusText}`.trim();
}

export function createApiClient(token: string, onUnauthenticated: (reason: string) => void): ApiClient {
  const call = async <T>(method: string, path: string, init: { query?: Query; body?: unknown; signal?: AbortSignal | undefined } = {}): Promise<T> => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${path}${toSearch(init.query)}`, {
      method,
      headers,
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
    if (res.status === 401) {
      const reason = await problemOf(res);
      onUnauthenticated(reason);
      throw new UnauthenticatedError(reason);
    }
    if (!res.ok) throw new ApiError(res.status, await problemOf(res));
    return (await res.json()) as T;
  };
  return {
    token,
    get: (path, query, signal) => call('GET', path, { ...(query === undefined ? {} : { query }), signal }),
    send: (method, path, body) => call(method, path, { body }),
  };
}

/** Every page of a cursor-paginated listing. */
export async function getAll<T>(api: ApiClient, path: string, query: Query, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get<{ items: T[]; nextCursor: string | null }>(path, { ...query, cursor }, signal);
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}
