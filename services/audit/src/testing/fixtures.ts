/**
 * Example events of every type, built with the contracts' `makeEvent` exactly as the
 * repo-watcher and agents publish them, for tests and the benchmark.
 */
import { makeEvent, subjects, type Commit, type DriftlessEvent, type Health } from '@driftless/contracts';

export function sha(n: number): string {
  return n.toString(16).padStart(40, '0');
}

export function contentHash(label: string): string {
  let h = 0;
  for (const c of label) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
}

export function commit(n: number, author = 'ada@example.com', time = new Date(Date.UTC(2026, 10, 27, 10, 0, 0) + n * 1000)): Commit {
  return {
    sha: sha(n),
    author: { name: author.split('@')[0] ?? author, email: author },
    committer: { name: 'Driftless', email: 'bot@example.com' },
    message: `change ${n}`,
    time: time.toISOString(),
  };
}

/** A clock for ordered event times: each call is one second later. */
export function clock(start = Date.UTC(2026, 10, 27, 12, 0, 0)): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

export interface DesiredArgs {
  cluster: string;
  component: string;
  stage: string;
  version: string;
  commit: Commit;
  apps?: string[];
  previous?: { version: string; hash: string } | null;
  repo?: string;
  time?: Date;
}

export const events = {
  desiredChanged: (a: DesiredArgs) =>
    makeEvent({
      type: 'driftless.desired.changed.v1',
      source: 'repo-watcher/envs',
      subject: subjects.desired(a.cluster, a.component, 'changed'),
      time: a.time ?? new Date(),
      traceparent: TRACEPARENT,
      data: {
        repo: a.repo ?? 'envs',
        cluster: a.cluster,
        component: a.component,
        stage: a.stage,
        apps: a.apps ?? ['shop'],
        commit: a.commit,
        previous: a.previous ?? null,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        objectCount: 3,
      },
    }),
  desiredRemoved: (a: { cluster: string; component: string; commit: Commit; previous: { version: string }; time?: Date }) =>
    makeEvent({
      type: 'driftless.desired.removed.v1',
      source: 'repo-watcher/envs',
      subject: subjects.desired(a.cluster, a.component, 'removed'),
      time: a.time ?? new Date(),
      data: {
        repo: 'envs',
        cluster: a.cluster,
        component: a.component,
        commit: a.commit,
        previous: { version: a.previous.version, hash: contentHash(`${a.component}@${a.previous.version}`) },
      },
    }),
  renderFailed: (a: { commit: Commit; cluster?: string; component?: string; reason?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.render.failed.v1',
      source: 'repo-watcher/envs',
      subject: subjects.repo('envs', 'render-failed'),
      time: a.time ?? new Date(),
      data: {
        repo: 'envs',
        commit: a.commit,
        ...(a.cluster === undefined ? {} : { cluster: a.cluster }),
        ...(a.component === undefined ? {} : { component: a.component }),
        file: 'components/cart/deployment.yaml',
        line: 12,
        reason: a.reason ?? 'unknown variable ${cluster.region}',
      },
    }),
  repoRewritten: (a: { from: number; to: number; time?: Date }) =>
    makeEvent({
      type: 'driftless.repo.rewritten.v1',
      source: 'repo-watcher/envs',
      subject: subjects.repo('envs', 'rewritten'),
      time: a.time ?? new Date(),
      data: { repo: 'envs', branch: 'main', fromSha: sha(a.from), toSha: sha(a.to), commit: commit(a.to), reason: 'force push' },
    }),
  applied: (a: { cluster: string; component: string; version: string; commitSha?: string; time?: Date; id?: string }) =>
    makeEvent({
      type: 'driftless.agent.applied.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'applied'),
      time: a.time ?? new Date(),
      ...(a.id === undefined ? {} : { id: a.id }),
      data: {
        cluster: a.cluster,
        component: a.component,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        ...(a.commitSha === undefined ? {} : { commitSha: a.commitSha }),
        objects: { applied: 3, unchanged: 0, pruned: 0 },
        durationMs: 120,
      },
    }),
  applyFailed: (a: { cluster: string; component: string; version: string; reason?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.agent.apply_failed.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'apply-failed'),
      time: a.time ?? new Date(),
      data: {
        cluster: a.cluster,
        component: a.component,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: a.component },
        status: 422,
        reason: a.reason ?? 'spec.replicas: Invalid value: -1',
        isTerminal: true,
        attempt: 1,
      },
    }),
  driftDetected: (a: { cluster: string; component: string; version: string; manager?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.agent.drift_detected.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'drift-detected'),
      time: a.time ?? new Date(),
      data: {
        cluster: a.cluster,
        component: a.component,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: a.component },
        fields: ['spec.replicas'],
        manager: a.manager ?? 'kubectl-edit',
        isCorrectionEnabled: true,
      },
    }),
  driftCorrected: (a: { cluster: string; component: string; version: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.agent.drift_corrected.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'drift-corrected'),
      time: a.time ?? new Date(),
      data: {
        cluster: a.cluster,
        component: a.component,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: a.component },
        fields: ['spec.replicas'],
      },
    }),
  healthChanged: (a: { cluster: string; component: string; version: string; from: Health | null; to: Health; time?: Date; id?: string }) =>
    makeEvent({
      type: 'driftless.agent.health_changed.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'health-changed'),
      time: a.time ?? new Date(),
      ...(a.id === undefined ? {} : { id: a.id }),
      data: { cluster: a.cluster, component: a.component, version: a.version, hash: contentHash(`${a.component}@${a.version}`), from: a.from, to: a.to },
    }),
  pruneBlocked: (a: { cluster: string; component: string; version: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.agent.prune_blocked.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.agent(a.cluster, a.component, 'prune-blocked'),
      time: a.time ?? new Date(),
      data: {
        cluster: a.cluster,
        component: a.component,
        version: a.version,
        hash: contentHash(`${a.component}@${a.version}`),
        wouldDelete: [{ apiVersion: 'v1', kind: 'Service', namespace: 'shop', name: a.component }],
        totalObjects: 1,
        reason: 'would delete 100% of the objects (limit 50%)',
      },
    }),
  clusterRegistered: (a: { cluster: string; stage: string; labels?: Record<string, string>; actor?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.cluster.registered.v1',
      source: 'audit',
      subject: subjects.cluster(a.cluster, 'registered'),
      time: a.time ?? new Date(),
      data: { cluster: a.cluster, stage: a.stage, labels: a.labels ?? {}, actor: a.actor ?? 'admin@example.com' },
    }),
  clusterRevoked: (a: { cluster: string; actor?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.cluster.revoked.v1',
      source: 'audit',
      subject: subjects.cluster(a.cluster, 'revoked'),
      time: a.time ?? new Date(),
      data: { cluster: a.cluster, actor: a.actor ?? 'admin@example.com', reason: 'decommissioned' },
    }),
  heartbeat: (a: { cluster: string; agentVersion?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.cluster.heartbeat.v1',
      source: `agent/${a.cluster}`,
      subject: subjects.cluster(a.cluster, 'heartbeat'),
      time: a.time ?? new Date(),
      data: { cluster: a.cluster, agentVersion: a.agentVersion ?? '0.1.0', components: 2, uptimeMs: 1000 },
    }),
  promotionRequested: (a: { component: string; version: string; toStage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.requested.v1',
      source: 'audit',
      subject: subjects.promotion(a.component, 'requested'),
      time: a.time ?? new Date(),
      data: { promotionId: `p-${a.component}-${a.version}`, toStage: a.toStage, components: [{ component: a.component, version: a.version }], actor: 'grace@example.com', reason: 'release' },
    }),
  promotionApproved: (a: { component: string; version: string; toStage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.approved.v1',
      source: 'audit',
      subject: subjects.promotion(a.component, 'approved'),
      time: a.time ?? new Date(),
      data: { promotionId: `p-${a.component}-${a.version}`, toStage: a.toStage, components: [{ component: a.component, version: a.version }], actor: 'grace@example.com', approver: 'linus@example.com' },
    }),
  promotionCommitted: (a: { component: string; version: string; toStage: string; commitSha: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.committed.v1',
      source: 'repo-watcher/envs',
      subject: subjects.promotion(a.component, 'committed'),
      time: a.time ?? new Date(),
      data: { promotionId: `p-${a.component}-${a.version}`, toStage: a.toStage, components: [{ component: a.component, version: a.version }], actor: 'grace@example.com', commitSha: a.commitSha },
    }),
  promotionRejected: (a: { component: string; version: string; toStage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.rejected.v1',
      source: 'repo-watcher/envs',
      subject: subjects.promotion(a.component, 'rejected'),
      time: a.time ?? new Date(),
      data: { promotionId: `p-${a.component}-${a.version}-r`, toStage: a.toStage, components: [{ component: a.component, version: a.version }], actor: 'grace@example.com', reason: 'policy: prod needs two approvals' },
    }),
  promotionWaiting: (a: { component: string; version: string; toStage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.waiting.v1',
      source: 'audit',
      subject: subjects.promotion(a.component, 'waiting'),
      time: a.time ?? new Date(),
      data: {
        promotionId: `p-${a.component}-${a.version}`,
        toStage: a.toStage,
        components: [{ component: a.component, version: a.version }],
        actor: 'grace@example.com',
        pending: [{ gate: 'approvals', message: '0 of 2 approvals' }],
      },
    }),
  promotionHalted: (a: { component: string; version: string; toStage: string; cluster: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.promotion.halted.v1',
      source: 'audit',
      subject: subjects.promotion(a.component, 'halted'),
      time: a.time ?? new Date(),
      data: {
        promotionId: `p-${a.component}-${a.version}-w`,
        toStage: a.toStage,
        components: [{ component: a.component, version: a.version }],
        actor: 'grace@example.com',
        reason: `wave 1: ${a.component} is Degraded on ${a.cluster}`,
        wave: 1,
        clusters: [a.cluster],
      },
    }),
  changeHeld: (a: { commit: Commit; stage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.change.held.v1',
      source: 'repo-watcher/envs',
      subject: subjects.change('envs', 'held'),
      time: a.time ?? new Date(),
      data: {
        repo: 'envs',
        commit: a.commit,
        stages: [a.stage],
        reasons: [{ rule: 'author', stage: a.stage, message: `${a.commit.author.email} may not change ${a.stage}` }],
        isApprovable: true,
        clusters: { changed: 1, removed: 0 },
      },
    }),
  changeApproved: (a: { commitSha: string; approver?: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.change.approved.v1',
      source: 'audit',
      subject: subjects.change('envs', 'approved'),
      time: a.time ?? new Date(),
      data: { repo: 'envs', commitSha: a.commitSha, approver: a.approver ?? 'linus@example.com' },
    }),
  changeReleased: (a: { commitSha: string; stage: string; time?: Date }) =>
    makeEvent({
      type: 'driftless.change.released.v1',
      source: 'repo-watcher/envs',
      subject: subjects.change('envs', 'released'),
      time: a.time ?? new Date(),
      data: { repo: 'envs', commitSha: a.commitSha, stages: [a.stage], approvers: ['linus@example.com'] },
    }),
} as const;

/** One event of every type, in a plausible order, for a cluster and component. */
export function oneOfEach(cluster: string, component: string, tick: () => Date = clock()): DriftlessEvent[] {
  const c1 = commit(1);
  return [
    events.clusterRegistered({ cluster, stage: 'dev', labels: { region: 'eu' }, time: tick() }),
    events.heartbeat({ cluster, time: tick() }),
    events.promotionRequested({ component, version: '1.0.0', toStage: 'dev', time: tick() }),
    events.promotionApproved({ component, version: '1.0.0', toStage: 'dev', time: tick() }),
    events.promotionCommitted({ component, version: '1.0.0', toStage: 'dev', commitSha: c1.sha, time: tick() }),
    events.desiredChanged({ cluster, component, stage: 'dev', version: '1.0.0', commit: c1, time: tick() }),
    events.applied({ cluster, component, version: '1.0.0', commitSha: c1.sha, time: tick() }),
    events.healthChanged({ cluster, component, version: '1.0.0', from: null, to: 'Healthy', time: tick() }),
    events.driftDetected({ cluster, component, version: '1.0.0', time: tick() }),
    events.driftCorrected({ cluster, component, version: '1.0.0', time: tick() }),
    events.applyFailed({ cluster, component, version: '1.0.0', time: tick() }),
    events.pruneBlocked({ cluster, component, version: '1.0.0', time: tick() }),
    events.renderFailed({ commit: commit(2), cluster, component, time: tick() }),
    events.promotionRejected({ component, version: '2.0.0', toStage: 'prod', time: tick() }),
    events.promotionWaiting({ component, version: '1.1.0', toStage: 'test', time: tick() }),
    events.promotionHalted({ component, version: '1.2.0', toStage: 'prod', cluster, time: tick() }),
    events.changeHeld({ commit: commit(5), stage: 'dev', time: tick() }),
    events.changeApproved({ commitSha: commit(5).sha, time: tick() }),
    events.changeReleased({ commitSha: commit(5).sha, stage: 'dev', time: tick() }),
    events.repoRewritten({ from: 2, to: 3, time: tick() }),
    events.desiredRemoved({ cluster, component, commit: commit(4), previous: { version: '1.0.0' }, time: tick() }),
    events.clusterRevoked({ cluster, time: tick() }),
  ];
}
