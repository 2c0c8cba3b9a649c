/**
 * The charts against an API server: kube-sim, driven by the real kubectl and helm. Every
 * rendering is accepted by a server-side apply dry run, and both charts install, upgrade to
 * the production-like values and uninstall cleanly with helm 4 and helm 3.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { toolPath } from '@driftless/testkit';
import { Chart, chartDir, helm, HELM_VERSIONS, parseManifests, run, templateArgs, VALUES_VARIANTS, valuesFile, type KubeObject } from './helm.js';

/** Minimal CRDs for the Prometheus Operator kinds the charts can render. */
const monitoringCrds = ['ServiceMonitor', 'PodMonitor']
  .map(
    (kind) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  scope: Namespaced
  names: { plural: ${kind.toLowerCase()}s, singular: ${kind.toLowerCase()}, kind: ${kind}, listKind: ${kind}List }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
`,
  )
  .join('---\n');

/** The kinds the charts create, for listing what a release left in the cluster. */
const CHART_KINDS = 'deployments,statefulsets,jobs,services,configmaps,secrets,serviceaccounts,networkpolicies,poddisruptionbudgets,ingresses,roles,rolebindings,clusterroles,clusterrolebindings,servicemonitors,podmonitors';

describe('charts in kube-sim', () => {
  let sim: KubeSim;
  let dir: string;
  let kubeconfig: string;

  const kubectl = async (args: string[], input?: string) => {
    const result = await run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfig, ...args], input === undefined ? {} : { input });
    assert.equal(result.code, 0, `kubectl ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  };

  /** Every object of the chart kinds labelled with this release, as kind/namespace/name. */
  const releaseObjects = async (release: string): Promise<string[]> => {
    const list = JSON.parse(await kubectl(['get', CHART_KINDS, '-A', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'])) as { items: KubeObject[] };
    return list.items.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftless-deploy-'));
    kubeconfig = join(dir, 'kubeconfig');
    sim = await startKubeSim({ name: 'deploy-test', controllerDelayMs: 20, kubeconfigPath: kubeconfig });
    await kubectl(['apply', '--server-side', '-f', '-'], monitoringCrds);
    for (const ns of ['driftless', 'driftless-system', 'shop', 'payments']) await kubectl(['create', 'namespace', ns]);
    // A custom kind is served once its CRD is; wait for discovery to list it.
    for (const kind of ['servicemonitors', 'podmonitors']) {
      for (let attempt = 0; ; attempt++) {
        const result = await run(toolPath('kubectl', 'v35'), ['--kubeconfig', kubeconfig, 'get', kind, '-A']);
        if (result.code === 0) break;
        if (attempt > 100) assert.fail(`${kind} never became available: ${result.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  after(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [chart, variants] of Object.entries(VALUES_VARIANTS) as [Chart, readonly string[]][]) {
    for (const variant of variants) {
      it(`helm template ${chart} (${variant}) | kubectl apply --server-side --dry-run=server is accepted`, async () => {
        const namespace = chart === Chart.agent ? 'driftless-system' : 'driftless';
        const rendered = await helm('v35', templateArgs(chart, { variant, namespace }));
        assert.equal(rendered.code, 0, rendered.stderr);
        const count = parseManifests(rendered.stdout).length;
        const out = await kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=helm-test', '-f', '-'], rendered.stdout);
        assert.equal(out.split('\n').filter((l) => l.endsWith('serverside-applied (server dry run)')).length, count, out);
        assert.deepEqual(await releaseObjects('dl'), [], 'a dry run created objects');
      });
    }
  }

  for (const version of HELM_VERSIONS) {
    it(`helm ${version}: the control plane installs, upgrades to the full values and uninstalls cleanly`, async () => {
      const release = `cp-${version}`;
      const ns = 'driftless';
      const name = (component: string) => `${release}-driftless-${component}`;
      const install = await helm(version, ['install', release, chartDir(Chart.controlPlane), '-n', ns, '-f', valuesFile(Chart.controlPlane, 'minimal'), '--wait', '--timeout', '120s'], { kubeconfig });
      assert.equal(install.code, 0, install.stderr);
      assert.match(install.stdout, /driftless cluster add prod-eu/, 'NOTES say how to register a cluster');
      assert.deepEqual(await releaseObjects(release), [
        `ConfigMap/${ns}/${name('audit')}`,
        `ConfigMap/${ns}/${name('repo-watcher')}`,
        `Deployment/${ns}/${name('audit')}`,
        `Deployment/${ns}/${name('repo-watcher')}`,
        `NetworkPolicy/${ns}/${name('audit')}`,
        `NetworkPolicy/${ns}/${name('repo-watcher')}`,
        `PodDisruptionBudget/${ns}/${name('audit')}`,
        `Secret/${ns}/${name('audit-admin')}`,
        `Service/${ns}/${name('audit')}`,
        `Service/${ns}/${name('repo-watcher')}`,
        `ServiceAccount/${ns}/${name('audit')}`,
        `ServiceAccount/${ns}/${name('repo-watcher')}`,
      ]);

      const upgrade = await helm(version, ['upgrade', release, chartDir(Chart.controlPlane), '-n', ns, '-f', valuesFile(Chart.controlPlane, 'full'), '--wait', '--timeout', '120s'], { kubeconfig });
      assert.equal(upgrade.code, 0, upgrade.stderr);
      const upgraded = await releaseObjects(release);
      for (const expected of [`Ingress/${ns}/${name('audit')}`, `Ingress/${ns}/${name('repo-watcher')}`, `ServiceMonitor/${ns}/${name('audit')}`, `PodDisruptionBudget/${ns}/${name('repo-watcher')}`]) {
        assert.ok(upgraded.includes(expected), `${expected} after the upgrade`);
      }
      // The full values use an existing admin token Secret; the generated one goes, and the
      // migration hook cleaned up after itself.
      assert.ok(!upgraded.includes(`Secret/${ns}/${name('audit-admin')}`));
      assert.ok(!upgraded.some((o) => o.includes('migrate')), upgraded.join('\n'));
      const audit = JSON.parse(await kubectl(['get', 'deployment', name('audit'), '-n', ns, '-o', 'json'])) as { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
      assert.equal(audit.spec.replicas, 3);
      assert.equal(audit.spec.template.spec.containers[0]!.image, 'registry.example.com/driftless/audit:0.1.0');

      const uninstall = await helm(version, ['uninstall', release, '-n', ns, '--wait'], { kubeconfig });
      assert.equal(uninstall.code, 0, uninstall.stderr);
      assert.deepEqual(await releaseObjects(release), []);
    });

    it(`helm ${version}: the agent installs cluster-wide, upgrades to namespaced RBAC and uninstalls cleanly`, async () => {
      const release = `agent-${version}`;
      const ns = 'driftless-system';
      const name = `${release}-driftless-agent`;
      const install = await helm(version, ['install', release, chartDir(Chart.agent), '-n', ns, '-f', valuesFile(Chart.agent, 'minimal'), '--wait', '--timeout', '120s'], { kubeconfig });
      assert.equal(install.code, 0, install.stderr);
      assert.deepEqual(await releaseObjects(release), [
        `ClusterRole//${name}`,
        `ClusterRoleBinding//${name}`,
        `ConfigMap/${ns}/${name}`,
        `Deployment/${ns}/${name}`,
        `NetworkPolicy/${ns}/${name}`,
        `Secret/${ns}/${name}-bootstrap`,
        `ServiceAccount/${ns}/${name}`,
      ]);
      const deployment = JSON.parse(await kubectl(['get', 'deployment', name, '-n', ns, '-o', 'json'])) as { status?: { availableReplicas?: number } };
      assert.equal(deployment.status?.availableReplicas, 1, 'helm --wait saw the agent available');

      const upgrade = await helm(version, ['upgrade', release, chartDir(Chart.agent), '-n', ns, '-f', valuesFile(Chart.agent, 'full'), '--wait', '--timeout', '120s'], { kubeconfig });
      assert.equal(upgrade.code, 0, upgrade.stderr);
      assert.deepEqual(await releaseObjects(release), [
        `ConfigMap/${ns}/${name}`,
        `Deployment/${ns}/${name}`,
        `NetworkPolicy/${ns}/${name}`,
        `PodMonitor/${ns}/${name}`,
        `Role/${ns}/${name}`,
        `Role/payments/${name}`,
        `Role/shop/${name}`,
        `RoleBinding/${ns}/${name}`,
        `RoleBinding/payments/${name}`,
        `RoleBinding/shop/${name}`,
        `ServiceAccount/${ns}/${name}`,
      ]);

      const uninstall = await helm(version, ['uninstall', release, '-n', ns, '--wait'], { kubeconfig });
      assert.equal(uninstall.code, 0, uninstall.stderr);
      assert.deepEqual(await releaseObjects(release), []);
    });
  }

  it('helm install of the try-it-out values brings up NATS and Postgres StatefulSets', async () => {
    const release = 'try';
    const install = await helm('v35', ['install', release, chartDir(Chart.controlPlane), '-n', 'driftless', '-f', valuesFile(Chart.controlPlane, 'try'), '--wait', '--timeout', '120s'], { kubeconfig });
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /WARNING: the in-chart NATS \(no authentication\) and Postgres are for trying Driftless out/);
    const objects = await releaseObjects(release);
    assert.ok(objects.includes('StatefulSet/driftless/try-driftless-nats') && objects.includes('StatefulSet/driftless/try-driftless-postgres'), objects.join('\n'));
    const uninstall = await helm('v35', ['uninstall', release, '-n', 'driftless', '--wait'], { kubeconfig });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.deepEqual(await releaseObjects(release), []);
  });
});
