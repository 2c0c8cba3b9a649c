/**
 * kube-sim driven by the real helm binaries: helm v4 and v3 install, upgrade and uninstall a
 * chart with --wait (release Secrets, server-side apply, ReplicaSets and readiness), and
 * `helm template | kubectl apply --server-side -f -`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolPath, uniqueName } from '@driftless/testkit';
import type { ToolVersion } from '@driftless/testkit';
import { startKubeSim } from './index.js';
import type { KubeSim } from './index.js';

let sim: KubeSim;
let dir: string;

function run(file: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    KUBECONFIG: join(dir, 'kubeconfig'),
    HELM_CACHE_HOME: join(dir, 'helm-cache'),
    HELM_CONFIG_HOME: join(dir, 'helm-config'),
    HELM_DATA_HOME: join(dir, 'helm-data'),
  };
  return new Promise((resolve) => {
    const child = execFile(file, args, { env, timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function helm(version: ToolVersion, args: string[]): Promise<string> {
  const r = await run(toolPath('helm', version), args);
  assert.equal(r.code, 0, `helm ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-sim-helm-'));
  sim = await startKubeSim({ controllerDelayMs: 20, kubeconfigPath: join(dir, 'kubeconfig') });
  await helm('v35', ['create', join(dir, 'chart')]);
});

after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

for (const version of ['v35', 'v32'] as const) {
  describe(`helm ${version === 'v35' ? 'v4' : 'v3'}`, () => {
    const ns = uniqueName(`helm-${version}`);
    const release = `demo-${version}`;

    it('installs with --wait: release Secret, applied objects, a ReplicaSet, a ready Deployment', async () => {
      const out = await helm(version, ['install', release, join(dir, 'chart'), '-n', ns, '--create-namespace', '--wait', '--timeout', '60s']);
      assert.match(out, /STATUS: deployed/);
      const deploy = sim.cluster.get('apps/v1', 'Deployment', ns, `${release}-chart`);
      assert.equal((deploy?.['status'] as { availableReplicas?: number } | undefined)?.availableReplicas, 1);
      const secrets = sim.cluster.list('v1', 'Secret', ns).map((s) => (s['metadata'] as { name: string }).name);
      assert.ok(secrets.includes(`sh.helm.release.v1.${release}.v1`), secrets.join(','));
      assert.equal(sim.cluster.list('apps/v1', 'ReplicaSet', ns).length, 1);
    });

    it('upgrades: a new ReplicaSet revision for the new template', async () => {
      await helm(version, ['upgrade', release, join(dir, 'chart'), '-n', ns, '--set', 'image.tag=1.27', '--wait', '--timeout', '60s']);
      const sets = sim.cluster.list('apps/v1', 'ReplicaSet', ns);
      assert.equal(sets.length, 2);
      const revisions = sets.map((rs) => (rs['metadata'] as { annotations: Record<string, string> }).annotations['deployment.kubernetes.io/revision']).sort();
      assert.deepEqual(revisions, ['1', '2']);
      const list = await helm(version, ['list', '-n', ns]);
      assert.match(list, new RegExp(`${release}\\s+${ns}\\s+2\\s`));
    });

    it('uninstalls, removing the objects and (by garbage collection) their ReplicaSets', async () => {
      await helm(version, ['uninstall', release, '-n', ns, '--wait']);
      assert.equal(sim.cluster.get('apps/v1', 'Deployment', ns, `${release}-chart`), undefined);
      assert.equal(sim.cluster.list('apps/v1', 'ReplicaSet', ns).length, 0);
      assert.equal(sim.cluster.list('v1', 'Secret', ns).length, 0);
    });
  });
}

describe('helm template | kubectl apply --server-side', () => {
  it('applies a rendered chart', async () => {
    const rendered = await helm('v35', ['template', 'piped', join(dir, 'chart'), '-n', 'default']);
    const r = await run(toolPath('kubectl', 'v35'), ['--cache-dir', join(dir, 'kubectl-cache'), 'apply', '--server-side', '-f', '-'], rendered);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/piped-chart serverside-applied/);
    assert.ok(sim.cluster.get('v1', 'Service', 'default', 'piped-chart'));
  });
});
