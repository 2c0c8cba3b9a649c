/**
 * The Postgres client every service uses: `createDb` builds a pool with quiet, explicit
 * defaults; `connectDb` also proves the server answers, retrying with backoff, and otherwise
 * fails with one UnavailableError that names the server and the cause (never a bare stack).
 */
import net from 'node:net';
import postgres, { type Sql } from 'postgres';
import { UnavailableError } from '@driftless/contracts';

export type { Sql } from 'postgres';

/** The subset of a pino logger the client uses, so any structured logger fits. */
export interface DbLog {
  debug(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface DbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Receives server notices at debug level; without it notices are dropped (postgres.js prints them by default). */
  log?: DbLog;
  /** Seconds to wait for a TCP connection before failing (default 10). */
  connectTimeoutS?: number;
  /** Seconds an idle pooled connection is kept (default 30). */
  idleTimeoutS?: number;
}

/**
 * Opens the pool's sockets with TCP_NODELAY, as libpq does for every connection. postgres.js
 * leaves Nagle's algorithm on, so a small message written while earlier data is unacknowledged
 * (the end of a COPY, a query pipelined after a large one) waits for the server's delayed ACK:
 * 40 ms per occurrence on Linux, which turned a 1-row COPY transaction into 75 ms.
 */
function noDelaySocket(): (options: { host: string[]; port: number[]; path: string | undefined }) => net.Socket {
  let next = 0;
  return ({ host, port, path }) => {
    if (path) return net.connect(path);
    // Several hosts: take turns, as postgres.js does when it opens sockets itself.
    const i = next++ % Math.max(1, host.length);
    const socket = net.connect({ host: host[i] ?? 'localhost', port: port[i] ?? port[0] ?? 5432, noDelay: true });
    // postgres.js names the server in connection errors from these two fields.
    return Object.assign(socket, { host: host[i], port: port[i] ?? port[0] });
  };
}

/** Builds a pool; it connects lazily, on the first query. */
export function createDb(url: string, options: DbOptions = {}): Sql {
  const { log } = options;
  // `socket` is a documented postgres.js option its type declarations leave out.
  const socketOption: object = { socket: noDelaySocket() };
  return postgres(url, {
    ...socketOption,
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutS ?? 10,
    idle_timeout: options.idleTimeoutS ?? 30,
    onnotice: (notice) => log?.debug({ code: notice['code'], notice: notice['message'] }, 'postgres notice'),
  });
}

/** Where a URL points, for error messages: host, port and database, never the password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || '(default)';
    return `${u.hostname || 'localhost'}:${u.port || '5432'}/${database}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** A short human reason for a connection failure, e.g. "ECONNREFUSED" or a server message. */
export function causeText(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return causeText(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

export interface ConnectOptions extends DbOptions {
  /** How many times to try before giving up (default 10). */
  maxAttempts?: number;
  /** First delay between attempts; doubles up to maxDelayMs (defaults 200 and 5000). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Builds a pool and waits until Postgres answers `select 1`, retrying with exponential backoff.
 * Gives up after `maxAttempts` (or when `signal` aborts) with an UnavailableError naming
 * host, port, database and the last cause.
 */
export async function connectDb(url: string, options: ConnectOptions = {}): Promise<Sql> {
  const maxAttempts = options.maxAttempts ?? 10;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  let delayMs = options.initialDelayMs ?? 200;
  const sql = createDb(url, options);
  let lastError: unknown;
  let attempts = 0;
  while (attempts < maxAttempts && !options.signal?.aborted) {
    attempts += 1;
    try {
      await sql`select 1`;
      return sql;
    } catch (err) {
      lastError = err;
      options.log?.warn({ attempt: attempts, maxAttempts, target: describeTarget(url), reason: causeText(err) }, 'postgres not reachable yet');
      // Authentication or a missing database will not fix itself: stop at once.
      const code = (err as { code?: unknown }).code;
      if (code === '28P01' || code === '28000' || code === '3D000') break;
      if (attempts < maxAttempts) await sleep(delayMs, options.signal);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
  await sql.end({ timeout: 0 });
  const why = options.signal?.aborted && lastError === undefined ? 'aborted before connecting' : causeText(lastError ?? options.signal?.reason);
  throw new UnavailableError(
    `cannot connect to Postgres at ${describeTarget(url)} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${why}`,
    { cause: lastError },
  );
}
