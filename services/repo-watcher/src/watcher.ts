/**
 * Assembles the watcher from its adapters: one mirror, renderer, lease keeper and sync per
 * repository, a coalescer that turns webhooks and poll ticks into one sync at a time per
 * repository, and the HTTP app. main.ts calls it with real NATS; tests with their own buckets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCommitSignatureReader, openMirror, parseSshSigningKey, sshCommitSigner, type CommitSigner, type GitAuth, type GitMirror } from '@driftless/git';
import type { Provisioned } from '@driftless/nats';
import { createMetrics, type Logger, type Metrics } from '@driftless/telemetry';
import { trace } from '@opentelemetry/api';
import type { NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance } from 'fastify';
import { EnvrepoRenderer } from './adapters/envrepo-renderer.js';
import { NatsCheckpointStore } from './adapters/nats-checkpoint-store.js';
import { NatsDesiredStore } from './adapters/nats-desired-store.js';
import { NatsEventSink } from './adapters/nats-event-sink.js';
import { NatsLeaseStore } from './adapters/nats-lease-store.js';
import { servePromotions, type PromoteResponder } from './adapters/nats-promote.js';
import { buildApp } from './app.js';
import type { RepoSpec, WatcherConfig } from './config.js';
import { Coalescer } from './core/coalescer.js';
import { LeaseKeeper } from './lease.js';
import { createWatcherMetrics } from './metrics.js';
import { KvOwnCommits } from './own-commits.js';
import { consumeApprovals } from './policy-approvals.js';
import { PolicyGate } from './policy-gate.js';
import type { GitSource } from './ports.js';
import { Promoter } from './promote.js';
import { withExclusiveNetwork } from './promote-git-lock.js';
import { RepoSync } from './repo-sync.js';

export type WatcherSettings = Pick<
  WatcherConfig,
  | 'repos'
  | 'repoTokens'
  | 'repoTokenUsers'
  | 'repoSshKeyFiles'
  | 'webhookSecrets'
  | 'mirrorDir'
  | 'pollIntervalMs'
  | 'fetchTimeoutMs'
  | 'webhookSettleMs'
  | 'maxBodyBytes'
  | 'maxInlineManifestBytes'
  | 'maxFileBytes'
  | 'maxCommitsPerSync'
  | 'publishConcurrency'
> &
  // Promotion commit identity; tests may leave them out.
  Partial<Pick<WatcherConfig, 'gitCommitterName' | 'gitCommitterEmail' | 'gitSigningKeyFile'>>;

export interface WatcherDeps {
  settings: WatcherSettings;
  nc: NatsConnection;
  nats: Provisioned;
  holderId: string;
  log: Logger;
  /** Tests wrap the mirror to count fetches. */
  wrapGit?: (repo: string, git: GitSource) => GitSource;
  /** Tests control when a coalesced sync starts; default waits `webhookSettleMs`. */
  settle?: (repo: string) => Promise<void>;
  /** Whether to poll and keep leases in the background (default true). */
  isBackgroundEnabled?: boolean;
}

export interface Watcher {
  app: FastifyInstance;
  syncs: ReadonlyMap<string, RepoSync>;
  metrics: Metrics;
  /** Asks for a sync (what a webhook does). */
  requestSync(repo: string): void;
  /** Resolves when no sync of `repo` is scheduled or running. */
  whenIdle(repo: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startWatcher(deps: WatcherDeps): Promise<Watcher> {
  const { settings, nats, log } = deps;
  const telemetry = createMetrics({ serviceName: 'repo-watcher', prefix: 'driftless' });
  const metrics = createWatcherMetrics(telemetry.meter);
  const tracer = trace.getTracer('repo-watcher');
  const store = new NatsDesiredStore({
    desired: nats.desired,
    manifests: nats.manifests,
    manifestsStoreName: nats.names.manifests,
    maxInlineBytes: settings.maxInlineManifestBytes,
  });
  const events = new NatsEventSink(nats.js, nats.names.subjectPrefix);
  const checkpoints = new NatsCheckpointStore({ watcherState: nats.watcherState, objects: nats.manifests, maxInlineBytes: 512 * 1024 });
  const leaseStore = await NatsLeaseStore.open(nats.leases);

  const mirrors: GitMirror[] = [];
  const promoters = new Map<string, Promoter>();
  const responders: PromoteResponder[] = [];
  const committer = { name: settings.gitCommitterName ?? 'Driftless', email: settings.gitCommitterEmail ?? 'driftless@localhost' };
  const signer = signerOf(settings.gitSigningKeyFile);
  const syncs = new Map<string, RepoSync>();
  const keepers: LeaseKeeper[] = [];
  for (const spec of settings.repos) {
    const repoLog = log.child({ repo: spec.name });
    // Syncs fetch and promotions push through the same mirror, one at a time.
    const mirror = withExclusiveNetwork(await openMirror({ path: join(settings.mirrorDir, `${spec.name}.git`), url: spec.url, auth: authFor(spec, settings) }));
    mirrors.push(mirror);
    const lease = new LeaseKeeper(leaseStore, spec.name, deps.holderId, repoLog);
    keepers.push(lease);
    const policyGate = new PolicyGate({
      repo: spec.name,
      git: mirror,
      signatures: openCommitSignatureReader(mirror.path),
      ownCommits: new KvOwnCommits(nats.watcherState, spec.name),
      readLimits: { maxFileBytes: settings.maxFileBytes },
      log: repoLog,
    });
    syncs.set(
      spec.name,
      new RepoSync({
        repo: spec.name,
        branch: spec.branch,
        git: deps.wrapGit ? deps.wrapGit(spec.name, mirror) : mirror,
        renderer: new EnvrepoRenderer({ maxFileBytes: settings.maxFileBytes }),
        store,
        events,
        checkpoints,
        lease,
        log: repoLog,
        tracer,
        metrics,
        fetchTimeoutMs: settings.fetchTimeoutMs,
        readLimits: { maxFileBytes: settings.maxFileBytes },
        maxCommitsPerSync: settings.maxCommitsPerSync,
        publishConcurrency: settings.publishConcurrency,
        policyGate,
      }),
    );
    promoters.set(
      spec.name,
      new Promoter({
        repo: spec.name,
        branch: spec.branch,
        git: mirror,
        ownCommits: new KvOwnCommits(nats.watcherState, spec.name),
        committer,
        ...(signer ? { signer } : {}),
        readLimits: { maxFileBytes: settings.maxFileBytes },
        renderLimits: { maxFileBytes: settings.maxFileBytes },
        fetchTimeoutMs: settings.fetchTimeoutMs,
        pushTimeoutMs: settings.fetchTimeoutMs,
        // Publish the promotion now instead of at the next poll.
        onCommitted: () => requestSync(spec.name),
        log: repoLog,
        ...(metrics.promotions ? { promotions: metrics.promotions } : {}),
      }),
    );
    responders.push(
      servePromotions({
        nc: deps.nc,
        repo: spec.name,
        subjectPrefix: nats.names.subjectPrefix,
        isLeader: () => lease.isHeld(),
        handle: (request) => promoters.get(spec.name)!.handle(request),
        log: repoLog,
      }),
    );
  }

  const coalescer = new Coalescer({
    run: async (repo) => {
      await syncs.get(repo)?.sync();
    },
    settle: deps.settle ?? (() => new Promise((resolve) => setTimeout(resolve, settings.webhookSettleMs))),
    // RepoSync already logged and counted the failure; the next trigger retries.
    onError: () => undefined,
  });
  const requestSync = (repo: string) => coalescer.request(repo);

  // Approvals of held changes, from the audit service.
  const approvals = settings.repos.map((spec) =>
    consumeApprovals({
      js: nats.js,
      stream: nats.names.eventsStream,
      subjectPrefix: nats.names.subjectPrefix,
      repo: spec.name,
      approve: (commitSha, approver) => syncs.get(spec.name)!.approve(commitSha, approver),
      log: log.child({ repo: spec.name }),
    }),
  );

  const app = buildApp({
    repos: settings.repos.map((r) => {
      const secret = settings.webhookSecrets[r.name] ?? settings.webhookSecrets['*'];
      return { name: r.name, branch: r.branch, ...(secret === undefined ? {} : { webhookSecret: secret }) };
    }),
    requestSync,
    statuses: () => [...syncs.values()].map((s) => s.status()),
    isNatsConnected: () => !deps.nc.isClosed(),
    renderMetrics: () => telemetry.renderPrometheus(),
    metrics,
    maxBodyBytes: settings.maxBodyBytes,
    log,
  });

  let poller: NodeJS.Timeout | undefined;
  if (deps.isBackgroundEnabled ?? true) {
    for (const [index, keeper] of keepers.entries()) {
      const repo = settings.repos[index]!.name;
      // Gaining the lease (at start or after another watcher died) means catching up now.
      keeper.start(() => {
        syncs.get(repo)?.invalidate();
        requestSync(repo);
      });
    }
    poller = setInterval(() => {
      for (const repo of syncs.keys()) requestSync(repo);
    }, settings.pollIntervalMs);
    poller.unref();
  }

  return {
    app,
    syncs,
    metrics: telemetry,
    requestSync,
    whenIdle: (repo) => coalescer.whenIdle(repo),
    async stop() {
      clearInterval(poller);
      await app.close();
      await Promise.all(responders.map((r) => r.stop()));
      await Promise.all(approvals.map((a) => a.stop()));
      await Promise.all([...syncs.keys()].map((repo) => coalescer.whenIdle(repo)));
      await Promise.all(keepers.map((k) => k.stop()));
      for (const mirror of mirrors) mirror.close();
      await telemetry.shutdown();
    },
  };
}

/** The signer of promotion commits, read once at start so a bad key stops the watcher with a clear message. */
function signerOf(keyFile: string | undefined): CommitSigner | undefined {
  if (keyFile === undefined) return undefined;
  return sshCommitSigner(parseSshSigningKey(readFileSync(keyFile, 'utf8'), `DRIFTLESS_GIT_SIGNING_KEY_FILE (${keyFile})`));
}

function authFor(spec: RepoSpec, settings: WatcherSettings): GitAuth {
  const token = settings.repoTokens[spec.name] ?? settings.repoTokens['*'];
  if (token !== undefined) {
    const username = settings.repoTokenUsers[spec.name] ?? settings.repoTokenUsers['*'];
    return { kind: 'token', token, ...(username === undefined ? {} : { username }) };
  }
  const keyFile = settings.repoSshKeyFiles[spec.name] ?? settings.repoSshKeyFiles['*'];
  if (keyFile !== undefined) return { kind: 'ssh', privateKey: readFileSync(keyFile, 'utf8') };
  return { kind: 'none' };
}
