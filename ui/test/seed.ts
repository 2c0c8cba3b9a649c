/**
 * Seeded ledgers for the UI: a small fleet whose every state the browser tests check, and a
 * generated fleet of any size for the benchmark.
 */
import { createHash } from 'node:crypto';
import type { Commit, DriftlessEvent } from '@driftless/contracts';
import { clock, commit, events } from '@driftless/audit/fixtures';

export const SMALL_CLUSTERS = { 'dev-1': 'dev', 'test-1': 'test', 'prod-eu': 'prod', 'prod-us': 'prod' } as const;
export const ADA = commit(1, 'ada@example.com');
export const BOB = commit(2, 'bob@example.com');

/**
 * Four clusters in three stages, three components. Ada's commit put everything at 1.0.0; Bob's
 * moves cart to 1.1.0: applied on dev-1 and prod-eu, failed on test-1, not yet on prod-us (so
 * prod runs two versions of cart). payment is drifted and degraded on prod-us.
 */
export function smallFleet(): DriftlessEvent[] {
  // An hour ago, so that events published now (the live tests) are newer than the seed.
  const tick = clock(Date.now() - 3_600_000);
  const out: DriftlessEvent[] = [];
  for (const [cluster, stage] of Object.entries(SMALL_CLUSTERS)) {
    out.push(events.clusterRegistered({ cluster, stage, labels: { region: cluster.startsWith('prod-') ? cluster.slice(5) : 'eu' }, time: tick() }));
    out.push(events.heartbeat({ cluster, agentVersion: '0.4.2', time: tick() }));
  }
  for (const [cluster, stage] of Object.entries(SMALL_CLUSTERS)) {
    for (const component of ['cart', 'payment']) {
      out.push(events.desiredChanged({ cluster, component, stage, version: '1.0.0', commit: ADA, apps: component === 'cart' ? ['shop', 'kiosk'] : ['shop'], time: tick() }));
      out.push(events.applied({ cluster, component, version: '1.0.0', commitSha: ADA.sha, time: tick() }));
      out.push(events.healthChanged({ cluster, component, version: '1.0.0', from: null, to: 'Healthy', time: tick() }));
    }
  }
  out.push(events.desiredChanged({ cluster: 'dev-1', component: 'search', stage: 'dev', version: '0.9.0', commit: ADA, apps: ['shop'], time: tick() }));
  out.push(events.applied({ cluster: 'dev-1', component: 'search', version: '0.9.0', commitSha: ADA.sha, time: tick() }));
  out.push(events.healthChanged({ cluster: 'dev-1', component: 'search', version: '0.9.0', from: null, to: 'Progressing', time: tick() }));

  const previous = { version: '1.0.0', hash: 'sha256:'.padEnd(71, '0') };
  for (const [cluster, stage] of Object.entries(SMALL_CLUSTERS)) {
    out.push(events.desiredChanged({ cluster, component: 'cart', stage, version: '1.1.0', commit: BOB, apps: ['shop', 'kiosk'], previous, time: tick() }));
  }
  for (const cluster of ['dev-1', 'prod-eu']) {
    out.push(events.applied({ cluster, component: 'cart', version: '1.1.0', commitSha: BOB.sha, time: tick() }));
    out.push(events.healthChanged({ cluster, component: 'cart', version: '1.1.0', from: 'Healthy', to: 'Healthy', time: tick() }));
  }
  out.push(events.applyFailed({ cluster: 'test-1', component: 'cart', version: '1.1.0', reason: 'admission webhook "policy" denied the request', time: tick() }));
  out.push(events.driftDetected({ cluster: 'prod-us', component: 'payment', version: '1.0.0', manager: 'kubectl-edit', time: tick() }));
  out.push(events.healthChanged({ cluster: 'prod-us', component: 'payment', version: '1.0.0', from: 'Healthy', to: 'Degraded', time: tick() }));
  return out;
}

/** A fleet of `clusters` × `components`, everything applied and (but for a few) healthy, stages dev/test/prod. */
export function generatedFleet(clusters: number, components: number): DriftlessEvent[] {
  const tick = clock(Date.now() - 2 * 3_600_000);
  const c = commit(100, 'fleet@example.com');
  const stageRank = { dev: 2, test: 1, prod: 0 } as const;
  const out: DriftlessEvent[] = [];
  const stageOf = (i: number) => (i < clusters * 0.2 ? 'dev' : i < clusters * 0.4 ? 'test' : 'prod');
  for (let i = 0; i < clusters; i++) {
    const cluster = `cluster-${String(i).padStart(3, '0')}`;
    const stage = stageOf(i);
    out.push(events.clusterRegistered({ cluster, stage, labels: { region: i % 2 === 0 ? 'eu' : 'us' }, time: tick() }));
    for (let j = 0; j < components; j++) {
      const component = `svc-${String(j).padStart(3, '0')}`;
      // One version per stage, except a few clusters part-way through an upgrade.
      const version = `1.${j % 7}.${stageRank[stage]}${i % 29 === 5 && j % 11 === 0 ? '-rc.1' : ''}`;
      out.push(events.desiredChanged({ cluster, component, stage, version, commit: c, apps: [`app-${j % 10}`], time: tick() }));
      out.push(events.applied({ cluster, component, version, commitSha: c.sha, time: tick() }));
      out.push(events.healthChanged({ cluster, component, version, from: null, to: (i + j) % 53 === 0 ? 'Degraded' : 'Healthy', time: tick() }));
    }
  }
  return out;
}

const SHOWCASE_CLUSTERS: Record<string, { stage: string; region: string }> = {
  'dev-1': { stage: 'dev', region: 'eu' },
  'dev-2': { stage: 'dev', region: 'us' },
  'test-eu': { stage: 'test', region: 'eu' },
  'test-us': { stage: 'test', region: 'us' },
  'prod-eu-1': { stage: 'prod', region: 'eu' },
  'prod-eu-2': { stage: 'prod', region: 'eu' },
  'prod-us-1': { stage: 'prod', region: 'us' },
  'prod-us-2': { stage: 'prod', region: 'us' },
  'prod-ap-1': { stage: 'prod', region: 'ap' },
};
const SHOWCASE_COMPONENTS: Record<string, { apps: string[]; versions: Record<string, string> }> = {
  cart: { apps: ['shop', 'kiosk'], versions: { dev: '1.6.0', test: '1.5.2', prod: '1.5.0' } },
  catalog: { apps: ['shop'], versions: { dev: '3.2.0', test: '3.2.0', prod: '3.1.4' } },
  checkout: { apps: ['shop'], versions: { dev: '2.0.0-rc.2', test: '1.9.1', prod: '1.9.1' } },
  'fraud-check': { apps: ['shop', 'backoffice'], versions: { dev: '0.8.0', test: '0.8.0', prod: '0.7.3' } },
  inventory: { apps: ['shop', 'backoffice'], versions: { dev: '5.0.1', test: '5.0.1', prod: '5.0.0' } },
  payment: { apps: ['shop', 'kiosk'], versions: { dev: '4.4.0', test: '4.3.2', prod: '4.3.2' } },
  recommendations: { apps: ['shop'], versions: { dev: '1.1.0', test: '1.1.0', prod: '1.0.9' } },
  search: { apps: ['shop', 'kiosk'], versions: { dev: '2.7.0', test: '2.6.5', prod: '2.6.5' } },
  shipping: { apps: ['shop', 'backoffice'], versions: { dev: '1.2.0', test: '1.2.0', prod: '1.2.0' } },
  'user-profile': { apps: ['shop', 'kiosk', 'backoffice'], versions: { dev: '6.1.0', test: '6.0.2', prod: '6.0.2' } },
};
/** A commit with a SHA that looks like one (the fixtures' are zero-padded counters) and a time in the past. */
function realisticCommit(n: number, author: string, message: string): Commit {
  const base = commit(n, author, new Date(Date.now() - 7 * 3_600_000 + n * 60_000));
  return { ...base, sha: createHash('sha1').update(`showcase-${n}`).digest('hex'), message };
}

export const SHOWCASE_RELEASE = realisticCommit(42, 'grace@example.com', 'cart 1.5.0 to prod: faster checkout totals');

/**
 * A fleet for screenshots and the demo: nine clusters in three stages, ten components, and the
 * states worth seeing — a release of cart half rolled out to prod (one cluster failed, one still
 * waiting), drift on a prod cluster, a degraded and a progressing component.
 */
export function showcaseFleet(): DriftlessEvent[] {
  const tick = clock(Date.now() - 6 * 3_600_000);
  const authors = ['ada@example.com', 'linus@example.com', 'grace@example.com', 'ken@example.com'];
  const out: DriftlessEvent[] = [];
  for (const [cluster, { stage, region }] of Object.entries(SHOWCASE_CLUSTERS)) {
    out.push(events.clusterRegistered({ cluster, stage, labels: { region }, time: tick() }));
    out.push(events.heartbeat({ cluster, agentVersion: cluster === 'prod-ap-1' ? '0.4.1' : '0.4.2', time: new Date(Date.now() - 5_000) }));
  }
  let n = 10;
  for (const [component, { apps, versions }] of Object.entries(SHOWCASE_COMPONENTS)) {
    const c = realisticCommit(n++, authors[n % authors.length] ?? 'ada@example.com', `${component}: versions per stage`);
    for (const [cluster, { stage }] of Object.entries(SHOWCASE_CLUSTERS)) {
      // cart's prod version is the release below; prod starts one patch behind.
      const version = component === 'cart' && stage === 'prod' ? '1.4.3' : (versions[stage] ?? '1.0.0');
      out.push(events.desiredChanged({ cluster, component, stage, version, commit: c, apps, time: tick() }));
      out.push(events.applied({ cluster, component, version, commitSha: c.sha, time: tick() }));
      out.push(events.healthChanged({ cluster, component, version, from: null, to: 'Healthy', time: tick() }));
    }
  }
  // The release of cart 1.5.0 to prod: two clusters done, one failed, two still waiting.
  const prod = Object.entries(SHOWCASE_CLUSTERS).filter(([, v]) => v.stage === 'prod').map(([k]) => k);
  for (const cluster of prod) {
    out.push(events.desiredChanged({ cluster, component: 'cart', stage: 'prod', version: '1.5.0', commit: SHOWCASE_RELEASE, apps: ['shop', 'kiosk'], previous: { version: '1.4.3', hash: 'sha256:'.padEnd(71, '0') }, time: tick() }));
  }
  for (const cluster of ['prod-eu-1', 'prod-eu-2']) {
    out.push(events.applied({ cluster, component: 'cart', version: '1.5.0', commitSha: SHOWCASE_RELEASE.sha, time: tick() }));
    out.push(events.healthChanged({ cluster, component: 'cart', version: '1.5.0', from: 'Healthy', to: 'Healthy', time: tick() }));
  }
  out.push(events.applyFailed({ cluster: 'prod-us-1', component: 'cart', version: '1.5.0', reason: 'admission webhook "quota" denied the request: cpu limit exceeded', time: tick() }));
  out.push(events.driftDetected({ cluster: 'prod-us-2', component: 'payment', version: '4.3.2', manager: 'kubectl-edit', time: tick() }));
  out.push(events.healthChanged({ cluster: 'prod-ap-1', component: 'search', version: '2.6.5', from: 'Healthy', to: 'Degraded', time: tick() }));
  out.push(events.healthChanged({ cluster: 'dev-2', component: 'checkout', version: '2.0.0-rc.2', from: 'Healthy', to: 'Progressing', time: tick() }));
  return out;
}
