/**
 * Test harness: a real Git repository (seeded with the demo environment fixture), private NATS
 * resources on the shared server, an event collector, and watchers started against them.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJson, type DriftlessEvent, type EventType } from '@driftless/contracts';
import { TestRepo } from '@driftless/git/testing';
import { connectNats, provision, type Provisioned } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, repoRoot } from '@driftless/testkit';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { GitSource } from '../ports.js';
import { startWatcher, type Watcher, type WatcherSettings } from '../watcher.js';

export const REPO = 'envs';

export interface Harness {
  repo: TestRepo;
  nc: NatsConnection;
  nats: Provisioned;
  events: DriftlessEvent[];
  eventsOf<T extends EventType>(type: T): Extract<DriftlessEvent, { type: T }>[];
  /** Every key of the desired bucket with its revision, for "nothing changed" checks. */
  desiredRevisions(): Promise<Record<string, number>>;
  watcher(options?: WatcherOptions): Promise<Watcher>;
  close(): Promise<void>;
}

export interface WatcherOptions {
  holderId?: string;
  settings?: Partial<WatcherSettings>;
  wrapGit?: (repo: string, git: GitSource) => GitSource;
  settle?: (repo: string) => Promise<void>;
}

export async function createHarness(options: { leaseTtlMs?: number; label?: string } = {}): Promise<Harness> {
  const repo = TestRepo.create({ prefix: 'driftless-watcher' });
  cpSync(join(repoRoot(), 'test/fixtures/envrepo'), repo.workPath, { recursive: true });
  repo.commit('seed the demo environment');
  const scratch = mkdtempSync(join(tmpdir(), 'driftless-watcher-mirrors-'));
  const names = isolatedNames(options.label ?? 'rw');
  const nc = await connectNats({ servers: NATS_URL, name: 'repo-watcher-test', maxAttempts: 3 });
  const nats = await provision(nc, { names, ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }) });
  const events: DriftlessEvent[] = [];
  const sub: Subscription = nc.subscribe(`${names.subjectPrefix}.driftless.evt.>`, {
    callback: (err, msg) => {
      if (!err) events.push(decodeJson(msg.data));
    },
  });
  await nc.flush();
  const watchers: Watcher[] = [];
  const log = createLogger({ name: 'repo-watcher-test', level: 'silent' });
  let instance = 0;

  return {
    repo,
    nc,
    nats,
    events,
    eventsOf: <T extends EventType>(type: T) => events.filter((e): e is Extract<DriftlessEvent, { type: T }> => e.type === type),
    async desiredRevisions() {
      const revisions: Record<string, number> = {};
      for await (const key of await nats.desired.keys()) {
        const entry = await nats.desired.get(key);
        if (entry && entry.operation === 'PUT') revisions[key] = entry.revision;
      }
      return revisions;
    },
    async watcher(opts: WatcherOptions = {}) {
      instance += 1;
      const watcher = await startWatcher({
        settings: {
          repos: [{ name: REPO, url: repo.originPath, branch: 'main' }],
          repoTokens: {},
          repoTokenUsers: {},
          repoSshKeyFiles: {},
          webhookSecrets: { [REPO]: 'hook-secret' },
          mirrorDir: join(scratch, `w${instance}`),
          pollIntervalMs: 3_600_000,
          fetchTimeoutMs: 30_000,
          webhookSettleMs: 0,
          maxBodyBytes: 1024 * 1024,
          maxInlineManifestBytes: 256 * 1024,
          maxFileBytes: 1024 * 1024,
          maxCommitsPerSync: 50,
          publishConcurrency: 32,
          ...opts.settings,
        },
        nc,
        nats,
        holderId: opts.holderId ?? `watcher-${instance}`,
        log,
        isBackgroundEnabled: false,
        ...(opts.wrapGit ? { wrapGit: opts.wrapGit } : {}),
        ...(opts.settle ? { settle: opts.settle } : {}),
      });
      watchers.push(watcher);
      return watcher;
    },
    async close() {
      for (const watcher of watchers) await watcher.stop().catch(() => undefined);
      sub.unsubscribe();
      await removeResources(nc, names);
      await nc.close();
      repo.cleanup();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** Events the stream stored (duplicates by id are dropped by the stream). */
export async function storedEventCount(h: Harness): Promise<number> {
  await h.nc.flush();
  return (await h.nats.jsm.streams.info(h.nats.names.eventsStream)).state.messages;
}

export function syncOf(watcher: Watcher) {
  const sync = watcher.syncs.get(REPO);
  if (!sync) throw new Error(`no sync for ${REPO}`);
  return sync;
}
