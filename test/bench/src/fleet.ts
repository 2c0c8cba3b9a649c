/**
 * One whole Driftless installation for a run, private to the benchmark: its own nats-server,
 * a scratch database on the local Postgres, a generated environment repository, kube-sim
 * clusters, the audit service (its real main.ts), the agents and the repo-watcher, each in
 * its own process so CPU and memory can be told apart. `stop()` removes all of it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { TestRepo } from '@driftless/git/testing';
import { connectNats, provision, type Provisioned } from '@driftless/nats';
import { freePort, NATS_SERVER_BINARY, startNatsServer, type NatsServer } from '@driftless/nats/testing';
import { POSTGRES_URL, repoRoot } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { spawnChild, spawnHost, tsxArgs, type Child, type Host } from './child.js';
import { BRANCH, CLUSTER_PREFIX, fleetRepoFiles, REPO_NAME, type FleetShape } from './core/fleet-repo.js';
import type { AgentHostStatus, KubeSimReady } from './core/host-types.js';
import { Ledger } from './ledger.js';
import { findPid, type WatchedProcess } from './proc.js';

export interface FleetSpec extends FleetShape {
  latencyMs: number;
  /** Agents are spread over this many processes. */
  agentProcesses: number;
  /** Scratch folder of this fleet (removed by stop). */
  workDir: string;
  /** Where process logs go (kept). */
  logDir: string;
  /** Write a V8 CPU profile of each process into `logDir`. */
  isCpuProfileEnabled: boolean;
  progress: (line: string) => void;
}

export const Role = {
  watcher: 'repo-watcher',
  agents: 'agents',
  audit: 'audit',
  kubeSim: 'kube-sim',
  nats: 'nats-server',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export interface Fleet {
  spec: FleetSpec;
  natsUrl: string;
  nc: NatsConnection;
  provisioned: Provisioned;
  db: ScratchDatabase;
  ledger: Ledger;
  repo: TestRepo;
  kubeconfigPath: string;
  clusters: string[];
  sims: Host;
  agentHosts: Host[];
  audit: Child;
  watcher: Host | undefined;
  watcherUrl: string;
  webhookSecret: string;
  /** Starts the repo-watcher; its first fetch starts the fan-out. */
  startWatcher(): Promise<Host>;
  agentStatus(): Promise<AgentHostStatus>;
  /** The processes under test, by role. */
  processes(): WatchedProcess[];
  assertRunning(): void;
  stop(): Promise<void>;
}

function bench(path: string): string {
  return join(repoRoot(), 'test', 'bench', 'src', path);
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, assert: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assert();
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function sumStatus(list: readonly AgentHostStatus[]): AgentHostStatus {
  const out: AgentHostStatus = { agents: 0, readyAgents: 0, appliedEvents: 0, pendingEvents: 0, reconciles: 0, writes: 0, reads: 0, failures: 0 };
  for (const s of list) for (const key of Object.keys(out) as (keyof AgentHostStatus)[]) out[key] += s[key];
  return out;
}

export async function startFleet(spec: FleetSpec): Promise<Fleet> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        spec.progress(`  (clean-up step failed: ${(err as Error).message})`);
      }
    }
  };
  try {
    mkdirSync(spec.workDir, { recursive: true });
    mkdirSync(spec.logDir, { recursive: true });
    cleanups.push(() => rmSync(spec.workDir, { recursive: true, force: true }));
    const tag = `${spec.clusters}x${spec.components}`;
    const log = (name: string) => join(spec.logDir, `${tag}-${name}.log`);
    const node = (script: string, name: string) =>
      tsxArgs(
        script,
        // One folder per process: tsx's loader thread writes a profile too, the larger one is the main thread's.
        spec.isCpuProfileEnabled ? ['--cpu-prof', '--cpu-prof-dir', join(spec.logDir, 'profiles', `${tag}-${name}`)] : [],
      );

    // A private NATS with the production stream and bucket names.
    const nats: NatsServer = await startNatsServer({ storeDir: join(spec.workDir, 'nats') });
    cleanups.push(() => nats.destroy());
    const nc = await connectNats({ servers: nats.url, name: 'bench', maxAttempts: 3 });
    cleanups.push(() => nc.close());
    const provisioned = await provision(nc);
    const natsPid = findPid([NATS_SERVER_BINARY, '-p', String(nats.port)]);

    // A scratch audit database.
    const db = await createScratchDatabase(POSTGRES_URL, 'bench_audit', { max: 2 });
    cleanups.push(() => db.drop());

    // The environment repository, a real Git repository pushed to a bare origin.
    const repo = TestRepo.create({ branch: BRANCH, prefix: 'driftless-bench-repo' });
    cleanups.push(() => repo.cleanup());
    repo.write(fleetRepoFiles(spec)).commit(`fleet of ${spec.clusters} clusters x ${spec.components} components`);

    // The clusters.
    const kubeconfigPath = join(spec.workDir, 'kubeconfig.yaml');
    const sims = spawnHost({
      name: 'kube-sim',
      args: node(bench('hosts/kube-sim-host.ts'), 'kube-sim'),
      env: { BENCH_CLUSTERS: String(spec.clusters), BENCH_LATENCY_MS: String(spec.latencyMs), BENCH_KUBECONFIG: kubeconfigPath, BENCH_CLUSTER_PREFIX: CLUSTER_PREFIX },
      logFile: log('kube-sim'),
    });
    cleanups.push(() => sims.stop());
    const { clusters } = await sims.notice<KubeSimReady>('ready', 120_000);

    // The audit service, exactly as deployed: its own main.ts.
    const auditPort = await freePort();
    const audit = spawnChild({
      name: 'audit',
      args: node(join(repoRoot(), 'services', 'audit', 'src', 'main.ts'), 'audit'),
      env: {
        DRIFTLESS_AUDIT_POSTGRES_URL: db.url,
        DRIFTLESS_NATS_URL: nats.url,
        DRIFTLESS_HTTP_HOST: '127.0.0.1',
        DRIFTLESS_HTTP_PORT: String(auditPort),
        DRIFTLESS_LOG_LEVEL: 'info',
      },
      logFile: log('audit'),
    });
    cleanups.push(() => audit.stop());
    await waitUntil('the audit service to be ready', async () => (await fetch(`http://127.0.0.1:${auditPort}/readyz`)).ok, 120_000, () => audit.assertRunning());

    // The agents, spread over a few processes.
    const agentHosts: Host[] = [];
    const groups = Array.from({ length: Math.min(spec.agentProcesses, clusters.length) }, (_, g) => clusters.filter((_c, i) => i % spec.agentProcesses === g));
    for (const [index, group] of groups.entries()) {
      const host = spawnHost({
        name: `agents-${index + 1}`,
        args: node(bench('hosts/agent-host.ts'), `agents-${index + 1}`),
        env: { BENCH_AGENT_CLUSTERS: group.join(','), BENCH_NATS_URL: nats.url, BENCH_KUBECONFIG: kubeconfigPath },
        logFile: log(`agents-${index + 1}`),
      });
      agentHosts.push(host);
      cleanups.push(() => host.stop());
    }
    for (const host of agentHosts) await host.notice('started', 180_000);
    const agentStatus = async () => sumStatus(await Promise.all(agentHosts.map((h) => h.call<AgentHostStatus>('status'))));
    await waitUntil('every agent to watch its desired state', async () => (await agentStatus()).readyAgents === clusters.length, 120_000, () => agentHosts.forEach((h) => h.assertRunning()));

    const webhookSecret = randomBytes(16).toString('hex');
    const watcherPort = await freePort();
    const fleet: Fleet = {
      spec,
      natsUrl: nats.url,
      nc,
      provisioned,
      db,
      ledger: new Ledger(db.sql),
      repo,
      kubeconfigPath,
      clusters,
      sims,
      agentHosts,
      audit,
      watcher: undefined,
      watcherUrl: `http://127.0.0.1:${watcherPort}`,
      webhookSecret,
      async startWatcher() {
        const watcher = spawnHost({
          name: 'repo-watcher',
          args: node(bench('hosts/watcher-host.ts'), 'repo-watcher'),
          env: {
            BENCH_NATS_URL: nats.url,
            BENCH_REPO_NAME: REPO_NAME,
            BENCH_REPO_URL: repo.originPath,
            BENCH_BRANCH: BRANCH,
            BENCH_WEBHOOK_SECRET: webhookSecret,
            BENCH_MIRROR_DIR: join(spec.workDir, 'mirrors'),
            BENCH_HTTP_PORT: String(watcherPort),
          },
          logFile: log('repo-watcher'),
        });
        cleanups.push(() => watcher.stop());
        fleet.watcher = watcher;
        await watcher.notice('ready', 120_000);
        return watcher;
      },
      agentStatus,
      processes() {
        const list: WatchedProcess[] = [
          { role: Role.kubeSim, pid: sims.pid },
          { role: Role.audit, pid: audit.pid },
          ...agentHosts.map((h) => ({ role: Role.agents, pid: h.pid })),
        ];
        if (fleet.watcher) list.push({ role: Role.watcher, pid: fleet.watcher.pid });
        if (natsPid !== undefined) list.push({ role: Role.nats, pid: natsPid });
        return list;
      },
      assertRunning() {
        sims.assertRunning();
        audit.assertRunning();
        for (const h of agentHosts) h.assertRunning();
        fleet.watcher?.assertRunning();
      },
      stop: stopAll,
    };
    return fleet;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
