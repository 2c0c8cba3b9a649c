/**
 * Connecting to NATS: retries the first connection with capped exponential backoff and jitter,
 * refuses to retry bad credentials, and once connected reconnects forever. Every failure ends
 * in one domain error naming the servers and the cause.
 */
import { readFile } from 'node:fs/promises';
import { ForbiddenError, InvalidInputError, UnavailableError } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import {
  AuthorizationError,
  InvalidArgumentError,
  UserAuthenticationExpiredError,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { backoffDelayMs, sleep } from './backoff.js';

export interface ConnectOptions {
  /** One or more server URLs, e.g. `nats://nats-0:4222`. */
  servers: string | readonly string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  token?: string;
  user?: string;
  pass?: string;
  /** A NATS `.creds` file (user JWT + seed), as minted for agents. */
  credsFile?: string;
  /** Reply-subject prefix; scoped agents get their own so they cannot read others' replies. */
  inboxPrefix?: string;
  /** Attempts before giving up on the first connection (default 10). */
  maxAttempts?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt connect timeout (default 5 s). */
  connectTimeoutMs?: number;
  /** Stops the retrying; the returned promise rejects with an UnavailableError. */
  signal?: AbortSignal;
  log?: Logger;
}

const DEFAULTS = { maxAttempts: 10, initialDelayMs: 250, maxDelayMs: 10_000, connectTimeoutMs: 5_000 } as const;

/** Connects to NATS, retrying while the servers are unreachable. */
export async function connectNats(options: ConnectOptions): Promise<NatsConnection> {
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const where = servers.join(', ');
  if (servers.length === 0) throw new InvalidInputError('cannot connect to NATS: no server URL given (e.g. nats://127.0.0.1:4222)');
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts);
  const natsOptions = await connectionOptions(options, servers);
  const log = options.log?.child({ servers: where, connection: options.name });

  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (options.signal?.aborted) break;
    try {
      const nc = await connect(natsOptions);
      if (attempt > 1) log?.info({ attempt }, 'connected to NATS after retrying');
      if (log) watchStatus(nc, log);
      return nc;
    } catch (err) {
      lastError = err;
      if (err instanceof AuthorizationError || err instanceof UserAuthenticationExpiredError) {
        throw new ForbiddenError(`NATS at ${where} refused the credentials of "${options.name}": ${err.message}`, { cause: err });
      }
      if (err instanceof Error && options.credsFile !== undefined && /parse credentials/i.test(err.message)) {
        throw new InvalidInputError(`the NATS credentials file ${options.credsFile} is not a valid .creds file: ${err.message}`, { cause: err });
      }
      if (err instanceof InvalidArgumentError) {
        throw new InvalidInputError(`cannot connect to NATS at ${where}: ${err.message}`, { cause: err });
      }
      if (attempt === maxAttempts) break;
      const delayMs = backoffDelayMs(attempt, {
        initialDelayMs: options.initialDelayMs ?? DEFAULTS.initialDelayMs,
        maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
      });
      log?.warn({ attempt, maxAttempts, delayMs, reason: describe(err) }, 'NATS not reachable, retrying');
      await sleep(delayMs, options.signal);
    }
  }
  if (options.signal?.aborted) {
    throw new UnavailableError(`connecting to NATS at ${where} was stopped before it succeeded`, { cause: lastError ?? options.signal.reason });
  }
  throw new UnavailableError(`cannot connect to NATS at ${where} after ${maxAttempts} attempt${maxAttempts === 1 ? '' : 's'}: ${describe(lastError)}`, {
    cause: lastError,
  });
}

async function connectionOptions(options: ConnectOptions, servers: string[]): Promise<NodeConnectionOptions> {
  const natsOptions: NodeConnectionOptions = {
    servers,
    name: options.name,
    timeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    // Once connected, never give up: a service outlives any NATS outage.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1_000,
    reconnectJitter: 500,
  };
  if (options.token !== undefined) natsOptions.token = options.token;
  if (options.user !== undefined) natsOptions.user = options.user;
  if (options.pass !== undefined) natsOptions.pass = options.pass;
  if (options.inboxPrefix !== undefined) natsOptions.inboxPrefix = options.inboxPrefix;
  if (options.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await readFile(options.credsFile);
    } catch (err) {
      throw new InvalidInputError(`cannot read the NATS credentials file ${options.credsFile}: ${(err as Error).message}`, { cause: err });
    }
    natsOptions.authenticator = credsAuthenticator(creds);
  }
  return natsOptions;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}

/** Logs disconnects and reconnects so an outage is visible without a stack trace per message. */
function watchStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
          log.warn({ server: status.server }, 'disconnected from NATS');
          break;
        case 'reconnect':
          log.info({ server: status.server }, 'reconnected to NATS');
          break;
        case 'error':
          log.error({ reason: status.error.message }, 'NATS connection error');
          break;
        case 'slowConsumer':
          log.warn({ subject: status.sub.getSubject(), pending: status.pending }, 'NATS slow consumer');
          break;
        case 'ldm':
          log.warn({ server: status.server }, 'NATS server entering lame duck mode');
          break;
        default:
          break;
      }
    }
  })();
}
