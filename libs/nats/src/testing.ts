/**
 * Test helper: a private nats-server with JetStream on a free loopback port, which a test can
 * stop and start again (same port, same store) to simulate an outage. Agent and audit tests
 * use it for their NATS-outage cases; the shared server on 4222 must never be stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_NAMES, resolveNames, type ResourceNames } from './names.js';
import { JsErrorCode, jsErrorCode } from './errors.js';

export const NATS_SERVER_BINARY = process.env['DRIFTLESS_NATS_SERVER'] ?? '/usr/sbin/nats-server';

export interface NatsServerOptions {
  /** Port to listen on; a free one by default. */
  port?: number;
  /** JetStream store directory; a fresh temporary one by default (removed by `destroy`). */
  storeDir?: string;
  /** Extra command-line arguments, e.g. `['--user', 'a', '--pass', 'b']` or `['-c', configFile]`. */
  args?: readonly string[];
  /** How long to wait for "Server is ready". */
  readyTimeoutMs?: number;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Whether the server process is running. */
  readonly isRunning: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); the store is kept for `start`. */
  stop(): Promise<void>;
  /** Kills the server without a graceful shutdown, as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store. */
  start(): Promise<void>;
  /** Stops the server and removes the store directory if this helper created it. */
  destroy(): Promise<void>;
}

export class NatsServerStartError extends Error {
  override readonly name: string = 'NatsServerStartError';
}

/** A TCP port nothing listens on right now (the OS picks it; a tiny race remains). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a private nats-server with JetStream; call `destroy()` in `after`. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const port = options.port ?? (await freePort());
  const isOwnStore = options.storeDir === undefined;
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'driftless-nats-'));
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...(options.args ?? [])];
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(NATS_SERVER_BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new NatsServerStartError(`nats-server on port ${port} was not ready after ${readyTimeoutMs} ms: ${output.slice(-2000)}`));
      }, readyTimeoutMs);
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new NatsServerStartError(`cannot run ${NATS_SERVER_BINARY}: ${err.message}`, { cause: err }));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new NatsServerStartError(`nats-server on port ${port} exited (${signal ?? code}) before it was ready: ${output.slice(-2000)}`));
      });
    });
    // Keep draining stderr so a chatty server never blocks on a full pipe.
    proc.stderr?.resume();
  };

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get isRunning() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    start: async () => {
      if (child && child.exitCode === null && child.signalCode === null) throw new NatsServerStartError(`nats-server on port ${port} is already running`);
      await launch();
    },
    destroy: async () => {
      await halt('SIGTERM');
      if (isOwnStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * Resource names private to one test file: unique stream, buckets, object store and subject
 * prefix (streams on one server may not share subjects). Pass them to `provision({ names })`.
 */
export function isolatedNames(label = 't'): ResourceNames {
  const id = `${label}-${randomBytes(4).toString('hex')}`;
  return resolveNames({
    eventsStream: `EVENTS_${id}`,
    subjectPrefix: id,
    desired: `desired_${id}`,
    leases: `leases_${id}`,
    watcherState: `watcher-state_${id}`,
    manifests: `manifests_${id}`,
  });
}

/**
 * Deletes the streams behind `names` (call it in `after`). Refuses the production names, so a
 * test can never wipe a real installation's data.
 */
export async function removeResources(nc: NatsConnection, names: ResourceNames): Promise<void> {
  const shared = (Object.keys(DEFAULT_NAMES) as (keyof ResourceNames)[]).filter((k) => k !== 'subjectPrefix' && names[k] === DEFAULT_NAMES[k]);
  if (shared.length > 0) throw new Error(`removeResources refuses to delete default-named resources (${shared.join(', ')})`);
  const jsm = await jetstreamManager(nc);
  const streams = [names.eventsStream, `KV_${names.desired}`, `KV_${names.leases}`, `KV_${names.watcherState}`, `OBJ_${names.manifests}`];
  for (const stream of streams) {
    await jsm.streams.delete(stream).catch((err: unknown) => {
      if (jsErrorCode(err) !== JsErrorCode.StreamNotFound) throw err;
    });
  }
}
