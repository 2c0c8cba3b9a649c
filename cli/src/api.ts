/**
 * A small client for the audit API: one request at a time, bearer token, JSON in and out, and
 * every failure turned into one line that says what went wrong and where (the URL), never a
 * stack trace.
 */
import { CommandFailedError } from './errors.js';

export type Method = 'GET' | 'POST' | 'DELETE';

export type Query = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

export interface ApiClientOptions {
  baseUrl: string;
  token: string | undefined;
  timeoutMs?: number;
  /** Wraps each request (the progress line). */
  around?: <T>(label: string, work: () => Promise<T>) => Promise<T>;
}

interface Problem {
  title?: string;
  detail?: string;
  status?: number;
}

/** The API answered with an error status; `status` is the HTTP status. */
export class ApiError extends CommandFailedError {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function describeCause(err: unknown): string {
  // fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is its cause.
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause instanceof AggregateError && cause.errors[0] instanceof Error) return cause.errors[0].message;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

export class ApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.baseUrl;
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  delete<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('DELETE', path, { query });
  }

  async request<T>(method: Method, path: string, { query = {}, body }: { query?: Query; body?: unknown }): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
    }
    const work = () => this.send<T>(method, url, body);
    return this.options.around ? this.options.around(`${method} ${url.pathname}`, work) : work();
  }

  private async send<T>(method: Method, url: URL, body: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'TimeoutError') {
        throw new CommandFailedError(`the Driftless API at ${this.baseUrl} did not answer ${method} ${url.pathname} within ${timeoutMs / 1000} s`);
      }
      throw new CommandFailedError(`cannot reach the Driftless API at ${this.baseUrl} (${describeCause(err)}); check --api-url or DRIFTLESS_API_URL`);
    }
    const text = await res.text();
    if (res.ok) {
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CommandFailedError(`the API at ${this.baseUrl} answered ${method} ${url.pathname} with something that is not JSON; is ${this.baseUrl} the Driftless API?`);
      }
    }
    throw this.errorFor(res.status, method, url, text);
  }

  private errorFor(status: number, method: Method, url: URL, text: string): ApiError {
    let problem: Problem = {};
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // Not a problem document: something else answered (a proxy, another service).
    }
    const detail = problem.detail ?? (text.trim().slice(0, 200) || `HTTP ${status}`);
    switch (status) {
      case 401:
        return new ApiError(
          status,
          this.options.token === undefined
            ? `the API at ${this.baseUrl} needs a token: set DRIFTLESS_TOKEN or pass --token`
            : `the API at ${this.baseUrl} refused the token (${detail}); check DRIFTLESS_TOKEN or --token`,
        );
      case 403:
        return new ApiError(status, `not allowed: ${detail}`);
      case 404:
        return new ApiError(status, problem.detail === undefined ? `${url.pathname} is not an API route at ${this.baseUrl}; is it the Driftless API?` : detail);
      default:
        return new ApiError(status, status >= 500 ? `the API at ${this.baseUrl} failed (${status}): ${detail}` : detail);
    }
  }
}
