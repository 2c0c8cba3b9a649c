/**
 * One running Driftless per test file: a private NATS, a scratch database on the local
 * PostgreSQL, kube-sim clusters and every service as a child process (the same start-up as
 * `npm run demo`), plus small helpers to drive it as a user would.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '@driftless/db/testing';
import { startSystem, type RunningSystem, type SystemOptions } from '@driftless/infra/system';
import { git } from '@driftless/infra/tools';
import { POSTGRES_URL } from '@driftless/testkit';
import { recentTrouble } from './service-logs.js';
import { WaitTimeoutError, waitUntil, type Check } from './wait.js';

export interface E2eSystem extends RunningSystem {
  get<T>(path: string, token?: string): Promise<T>;
  /** Edits a file of the environment repository, commits as `author` and sends the push webhook; returns the sha. */
  commit(author: { name: string; email: string }, message: string, edits: Record<string, (text: string) => string>): Promise<string>;
  /**
   * Polls `check` (every 200 ms, 60 s by default) until it returns a value; a stopped service
   * fails the wait at once. The check notes what it saw, which a timeout error quotes.
   */
  waitFor<T>(what: string, check: Check<T>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startE2eSystem(options: Partial<SystemOptions> & { clusters: readonly string[] }): Promise<E2eSystem> {
  const db = await createScratchDatabase(POSTGRES_URL, 'e2e');
  const dataDir = mkdtempSync(join(tmpdir(), 'driftless-e2e-'));
  let system: RunningSystem;
  try {
    system = await startSystem({ dataDir, postgresUrl: db.url, ...options });
  } catch (err) {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const logsDir = join(dataDir, 'logs');
  let isLogKept = false;
  const get = async <T>(path: string, token = system.adminToken): Promise<T> => {
    const response = await fetch(`${system.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`GET ${path} → ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  return {
    ...system,
    get,
    commit: async (author, message, edits) => {
      for (const [file, edit] of Object.entries(edits)) {
        const path = join(system.repoDir, file);
        let text = '';
        try {
          text = readFileSync(path, 'utf8');
        } catch {
          // A new file.
        }
        writeFileSync(path, edit(text));
      }
      await git(system.repoDir, ['add', '-A']);
      await git(system.repoDir, ['commit', '-q', '-m', message], author);
      const sha = (await git(system.repoDir, ['rev-parse', 'HEAD'])).trim();
      await system.notifyPush(sha);
      return sha;
    },
    waitFor: async (what, check, timeoutMs = 60_000) => {
      try {
        return await waitUntil(what, check, { timeoutMs, intervalMs: 200, precondition: () => system.assertRunning() });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
        isLogKept = true;
        const trouble = recentTrouble(logsDir);
        throw new WaitTimeoutError(`${err.message}${trouble === '' ? '\nno service logged a warning' : `\nthe services' last warnings:\n${trouble}`}`, { cause: err.cause });
      }
    },
    close: async () => {
      await system.stop();
      await db.drop();
      // A timed-out wait keeps the services' logs for a closer look.
      if (isLogKept) {
        const kept = mkdtempSync(join(tmpdir(), 'driftless-e2e-logs-'));
        cpSync(logsDir, kept, { recursive: true });
        console.error(`the services' logs of the failed run are in ${kept}`);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Transition {
  seq: number;
  kind: string;
  cluster: string | null;
  component: string | null;
  fromVersion: string | null;
  toVersion: string | null;
  commitSha: string | null;
  actor: string | null;
  occurredAt: string;
  traceId: string | null;
  detail: Record<string, unknown>;
}

export interface InventoryItem {
  cluster: string;
  component: string;
  desired: { version: string | null; hash: string | null } | null;
  applied: { version: string; hash: string } | null;
  problem: { kind: string; reason: string } | null;
  health: { status: string } | null;
  sync: string;
}

/** Inventory items as one short line each (`dev-1/cart desired 1.2.0 applied 1.1.0 Healthy Synced`), for a wait's notes. */
export function describeInventory(items: readonly InventoryItem[]): string {
  if (items.length === 0) return 'an empty inventory';
  return items
    .map((i) => {
      const problem = i.problem === null ? '' : ` problem ${i.problem.kind}: ${i.problem.reason}`;
      return `${i.cluster}/${i.component} desired ${i.desired?.version ?? '-'} applied ${i.applied?.version ?? '-'} ${i.health?.status ?? 'no health'} ${i.sync}${problem}`;
    })
    .join('; ');
}
