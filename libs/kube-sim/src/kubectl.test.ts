/**
 * kube-sim driven by the real kubectl binaries (v1.35 and v1.32), as an operator would use
 * them against a cluster: server-side apply, get (JSON, table, watch), scale, label, patch,
 * diff, delete, a field-manager conflict, custom resources and a read-only token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, toolPath, uniqueName } from '@driftless/testkit';
import type { ToolVersion } from '@driftless/testkit';
import { startKubeSim } from './index.js';
import type { KubeSim } from './index.js';

let sim: KubeSim;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(version: ToolVersion, args: string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<Run> {
  const fullArgs = ['--kubeconfig', opts.kubeconfig ?? join(dir, 'admin.yaml'), '--cache-dir', join(dir, `cache-${version}`), ...args];
  return new Promise((resolve) => {
    const child = execFile(toolPath('kubectl', version), fullArgs, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

async function ok(version: ToolVersion, args: string[], input?: string): Promise<string> {
  const r = await kubectl(version, args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function manifest(ns: string, replicas: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels:
    app: web
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: ${ns}
data:
  mode: production
`;
}

type Json = Record<string, unknown>;
const field = (obj: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), obj);
const managers = (obj: unknown): Json[] => (field(obj, 'metadata', 'managedFields') as Json[] | undefined) ?? [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-sim-kubectl-'));
  sim = await startKubeSim({ controllerDelayMs: 20, kubeconfigPath: join(dir, 'admin.yaml') });
  await writeFile(join(dir, 'read-only.yaml'), sim.readOnlyKubeconfig);
});

after(async () => {
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
});

for (const version of ['v35', 'v32'] as const) {
  describe(`kubectl ${version}`, () => {
    const ns = uniqueName(`kubectl-${version}`);

    before(async () => {
      await ok(version, ['create', 'namespace', ns]);
    });

    it('applies server-side and records kubectl as the Apply manager', async () => {
      const out = await ok(version, ['apply', '--server-side', '-f', '-'], manifest(ns, 2, 'web:1.0'));
      assert.match(out, /deployment.apps\/web serverside-applied/);
      assert.match(out, /service\/web serverside-applied/);
      assert.match(out, /configmap\/web-config serverside-applied/);
      const deploy = JSON.parse(await ok(version, ['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(deploy, 'spec', 'replicas'), 2);
      assert.ok(managers(deploy).some((m) => m['manager'] === 'kubectl' && m['operation'] === 'Apply'));
      const svc = JSON.parse(await ok(version, ['get', 'service', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.match(String(field(svc, 'spec', 'clusterIP')), /^10\./);
    });

    it('re-applies unchanged manifests without a write', async () => {
      await eventually(async () => JSON.parse(await ok(version, ['get', 'deployment', 'web', '-n', ns, '-o', 'json'])).status?.observedGeneration === 1, { what: 'the rollout' });
      await sim.cluster.whenSettled();
      const settled = sim.cluster.resourceVersion;
      const out = await ok(version, ['apply', '--server-side', '-f', '-'], manifest(ns, 2, 'web:1.0'));
      assert.match(out, /serverside-applied/);
      assert.equal(sim.cluster.resourceVersion, settled);
    });

    it('prints tables for get, including the rollout columns', async () => {
      const out = await eventually(async () => {
        const table = await ok(version, ['get', 'deployments', '-n', ns]);
        return /web\s+2\/2\s+2\s+2\s+\S+/.test(table) ? table : undefined;
      }, { what: 'READY 2/2' });
      assert.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/m);
      const all = await ok(version, ['get', 'configmaps', '-A']);
      assert.match(all, new RegExp(`^${ns}\\s+web-config\\s+1\\s+`, 'm'));
    });

    it('scales through the scale subresource', async () => {
      await ok(version, ['scale', 'deployment/web', '-n', ns, '--replicas=3']);
      const deploy = JSON.parse(await ok(version, ['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(deploy, 'spec', 'replicas'), 3);
      assert.ok(managers(deploy).some((m) => m['subresource'] === 'scale' && JSON.stringify(m['fieldsV1']).includes('f:replicas')), JSON.stringify(managers(deploy)));
    });

    it('labels and merge-patches, each recorded under its own field manager', async () => {
      await ok(version, ['label', 'deployment', 'web', '-n', ns, 'tier=frontend']);
      await ok(version, ['patch', 'deployment', 'web', '-n', ns, '--type=merge', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1.1"}]}}}}']);
      const deploy = JSON.parse(await ok(version, ['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(deploy, 'metadata', 'labels', 'tier'), 'frontend');
      const byManager = new Map(managers(deploy).map((m) => [m['manager'], m]));
      assert.equal(field(byManager.get('kubectl-label'), 'operation'), 'Update');
      assert.deepEqual(field(byManager.get('kubectl-label'), 'fieldsV1'), { 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
      assert.equal(field(byManager.get('kubectl-patch'), 'operation'), 'Update');
      assert.equal(field(deploy, 'metadata', 'generation'), 3);
    });

    it('shows a field-manager conflict as the real server does, and applies with --force-conflicts', async () => {
      const r = await kubectl(version, ['apply', '--server-side', '-f', '-'], { input: manifest(ns, 3, 'web:1.0') });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Apply failed with 1 conflict: conflict with "kubectl-patch" using apps\/v1: \.spec\.template\.spec\.containers\[name="web"\]\.image/);
      assert.match(r.stderr, /--force-conflicts/);
      await ok(version, ['apply', '--server-side', '--force-conflicts', '-f', '-'], manifest(ns, 3, 'web:1.0'));
      const deploy = JSON.parse(await ok(version, ['get', 'deployment', 'web', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(deploy, 'spec', 'template', 'spec', 'containers', '0', 'image'), 'web:1.0');
    });

    it('diffs server-side: no output for the live state, a diff for a change', async () => {
      const rvBefore = sim.cluster.resourceVersion;
      const same = await kubectl(version, ['diff', '--server-side', '--force-conflicts', '-f', '-'], { input: manifest(ns, 3, 'web:1.0') });
      assert.equal(same.code, 0, same.stderr + same.stdout);
      assert.equal(same.stdout, '');
      const changed = await kubectl(version, ['diff', '--server-side', '--force-conflicts', '-f', '-'], { input: manifest(ns, 5, 'web:2.0') });
      assert.equal(changed.code, 1, changed.stderr);
      assert.match(changed.stdout, /^-\s+replicas: 3$/m);
      assert.match(changed.stdout, /^\+\s+replicas: 5$/m);
      assert.match(changed.stdout, /^\+\s+- image: web:2\.0$/m);
      assert.equal(sim.cluster.resourceVersion, rvBefore, 'a server-side diff is a dry run');
    });

    it('watches with get -w', async () => {
      const child = spawn(toolPath('kubectl', version), ['--kubeconfig', join(dir, 'admin.yaml'), '--cache-dir', join(dir, `cache-${version}`), 'get', 'configmaps', '-n', ns, '-w', '--output-watch-events']);
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      try {
        await eventually(() => /ADDED\s+web-config/.test(out), { what: 'the initial list' });
        await ok(version, ['create', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
        await ok(version, ['label', 'configmap', 'watched', '-n', ns, 'seen=yes']);
        await ok(version, ['delete', 'configmap', 'watched', '-n', ns]);
        await eventually(() => /DELETED\s+watched/.test(out), { what: 'the DELETED event' });
        const events = out.split('\n').filter((l) => /\swatched\s/.test(l)).map((l) => l.split(/\s+/)[0]);
        assert.deepEqual(events, ['ADDED', 'MODIFIED', 'DELETED']);
      } finally {
        child.kill();
      }
    });

    it('applies a custom resource once its CRD exists', async () => {
      const group = `${version}.kubectl.test`;
      const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
`;
      await ok(version, ['apply', '--server-side', '-f', '-'], crd);
      await ok(version, ['wait', '--for=condition=Established', `crd/gadgets.${group}`, '--timeout=30s']);
      const out = await ok(version, ['apply', '--server-side', '-f', '-'], `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g1\n  namespace: ${ns}\nspec:\n  size: 3\n`);
      assert.match(out, /gadget.* serverside-applied/);
      const got = JSON.parse(await ok(version, ['get', `gadgets.${group}`, 'g1', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(got, 'spec', 'size'), 3);
    });

    it('is refused writes with the read-only kubeconfig', async () => {
      const r = await kubectl(version, ['label', 'configmap', 'web-config', '-n', ns, 'x=y'], { kubeconfig: join(dir, 'read-only.yaml') });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /Forbidden|forbidden/);
      assert.match(await ok(version, ['get', 'configmap', 'web-config', '-n', ns, '-o', 'name']), /configmap\/web-config/);
    });

    it('answers kubectl auth can-i per token', async () => {
      assert.equal((await ok(version, ['auth', 'can-i', 'create', 'deployments', '-n', ns])).trim(), 'yes');
      const ro = await kubectl(version, ['auth', 'can-i', 'create', 'deployments', '-n', ns], { kubeconfig: join(dir, 'read-only.yaml') });
      assert.equal(ro.stdout.trim(), 'no');
      const roGet = await kubectl(version, ['auth', 'can-i', 'get', 'deployments', '-n', ns], { kubeconfig: join(dir, 'read-only.yaml') });
      assert.equal(roGet.stdout.trim(), 'yes');
    });

    it('applies client-side too, without patch warnings', async () => {
      const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: client-side\n  namespace: ${ns}\ndata:\n  k: "${value}"\n`;
      const first = await kubectl(version, ['apply', '-f', '-'], { input: cm('1') });
      assert.equal(first.code, 0, first.stderr);
      const second = await kubectl(version, ['apply', '-f', '-'], { input: cm('2') });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /configmap\/client-side configured/);
      assert.doesNotMatch(second.stderr, /warning/i);
      const got = JSON.parse(await ok(version, ['get', 'configmap', 'client-side', '-n', ns, '-o', 'json'])) as Json;
      assert.equal(field(got, 'data', 'k'), '2');
    });

    it('upgrades a client-side applied object to server-side apply, as kubectl expects', async () => {
      const cm = (value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgraded\n  namespace: ${ns}\ndata:\n  k: "${value}"\n`;
      await ok(version, ['apply', '-f', '-'], cm('1'));
      const r = await kubectl(version, ['apply', '--server-side', '-f', '-'], { input: cm('2') });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /rejected managed fields migration/);
      const got = JSON.parse(await ok(version, ['get', 'configmap', 'upgraded', '-n', ns, '-o', 'json', '--show-managed-fields'])) as Json;
      assert.equal(field(got, 'data', 'k'), '2');
      const owners = managers(got).map((m) => `${String(m['manager'])}/${String(m['operation'])}`);
      assert.ok(owners.includes('kubectl/Apply'), owners.join(','));
      assert.ok(!owners.includes('kubectl-client-side-apply/Update'), owners.join(','));
      assert.match(String(field(got, 'metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration')), /"k":"2"/);
    });

    it('deletes, and waits for the object to go', async () => {
      const out = await ok(version, ['delete', 'deployment', 'web', '-n', ns]);
      assert.match(out, /deployment.apps "web" deleted/);
      const r = await kubectl(version, ['get', 'deployment', 'web', '-n', ns]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /NotFound/);
      await ok(version, ['delete', 'namespace', ns]);
      assert.equal(sim.cluster.list('v1', 'ConfigMap', ns).length, 0);
    });
  });
}
