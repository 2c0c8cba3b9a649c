/**
 * Seeded ledgers for the UI: a small fleet whose every state the browser tests check, and a
 * generated fleet of any size for the benchmark.
 */
import type { DriftlessEvent } from '@driftless/contracts';
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
  const out: DriftlessEvent[] = [];
  const stageOf = (i: number) => (i < clusters * 0.2 ? 'dev' : i < clusters * 0.4 ? 'test' : 'prod');
  for (let i = 0; i < clusters; i++) {
    const cluster = `cluster-${String(i).padStart(3, '0')}`;
    const stage = stageOf(i);
    out.push(events.clusterRegistered({ cluster, stage, labels: { region: i % 2 === 0 ? 'eu' : 'us' }, time: tick() }));
    for (let j = 0; j < components; j++) {
      const component = `svc-${String(j).padStart(3, '0')}`;
      const version = `1.${j % 7}.${i % 3}`;
      out.push(events.desiredChanged({ cluster, component, stage, version, commit: c, apps: [`app-${j % 10}`], time: tick() }));
      out.push(events.applied({ cluster, component, version, commitSha: c.sha, time: tick() }));
      out.push(events.healthChanged({ cluster, component, version, from: null, to: (i + j) % 53 === 0 ? 'Degraded' : 'Healthy', time: tick() }));
    }
  }
  return out;
}
