/**
 * What `helm template` renders: hardened pods everywhere, probes and resources on every
 * container, secrets kept out of ConfigMaps, the agent's RBAC following rbac.scope, and the
 * optional parts appearing exactly when asked for. helm 4 and helm 3 must render the same.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chart, findObject, HELM_VERSIONS, podsOf, render, VALUES_VARIANTS, type KubeObject } from './helm.js';

const allRenderings = Object.entries(VALUES_VARIANTS).flatMap(([chart, variants]) => variants.map((variant) => ({ chart: chart as Chart, variant })));

const kinds = (objects: readonly KubeObject[]) => objects.map((o) => o.kind);

describe('rendered pods', () => {
  for (const { chart, variant } of allRenderings) {
    it(`${chart} (${variant}): every pod runs non-root, read-only, without capabilities, under RuntimeDefault seccomp`, async () => {
      const pods = podsOf(await render(chart, { variant }));
      assert.ok(pods.length > 0);
      for (const pod of pods) {
        const where = `${pod.owner.kind}/${pod.owner.metadata.name}`;
        assert.equal(pod.spec.securityContext?.['runAsNonRoot'], true, `${where} pod runAsNonRoot`);
        assert.notEqual(pod.spec.securityContext?.['runAsUser'], 0, `${where} runs as uid 0`);
        assert.deepEqual(pod.spec.securityContext?.['seccompProfile'], { type: 'RuntimeDefault' }, `${where} seccomp`);
        for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
          const sc = c.securityContext ?? {};
          assert.equal(sc['runAsNonRoot'], true, `${where}/${c.name} runAsNonRoot`);
          assert.equal(sc['readOnlyRootFilesystem'], true, `${where}/${c.name} readOnlyRootFilesystem`);
          assert.equal(sc['allowPrivilegeEscalation'], false, `${where}/${c.name} allowPrivilegeEscalation`);
          assert.deepEqual((sc['capabilities'] as { drop?: string[] } | undefined)?.drop, ['ALL'], `${where}/${c.name} drops ALL capabilities`);
          assert.ok(c.resources?.requests?.['cpu'] && c.resources.requests['memory'], `${where}/${c.name} has requests`);
          assert.ok(c.resources.limits?.['memory'], `${where}/${c.name} has a memory limit`);
          // A read-only root needs somewhere to write: /tmp at least.
          assert.ok(c.volumeMounts?.some((m) => m.mountPath === '/tmp' || m.mountPath.startsWith('/data') || m.mountPath.startsWith('/var/lib/postgresql')), `${where}/${c.name} has a writable mount`);
        }
      }
    });
  }

  for (const { chart, variant } of allRenderings) {
    it(`${chart} (${variant}): every Driftless service is probed on /healthz and /readyz of its HTTP port`, async () => {
      const pods = podsOf(await render(chart, { variant })).filter((p) => p.owner.kind === 'Deployment');
      assert.ok(pods.length > 0);
      for (const pod of pods) {
        for (const c of pod.spec.containers) {
          assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'http' }, `${pod.owner.metadata.name} liveness`);
          assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'http' }, `${pod.owner.metadata.name} readiness`);
        }
      }
    });
  }
});

describe('secrets', () => {
  it('no secret value given to a chart appears in a ConfigMap or a literal env value', async () => {
    const token = 'dlb_SECRET0123456789abcdefghijk';
    const password = 'SecretPostgresPassword42';
    const renderings = [
      await render(Chart.agent, { variant: 'minimal', set: { 'enrollment.bootstrapToken': token } }),
      await render(Chart.controlPlane, { variant: 'try', set: { 'postgres.inChart.password': password } }),
    ];
    for (const objects of renderings) {
      const secretText = JSON.stringify(objects.filter((o) => o.kind === 'Secret'));
      assert.ok(secretText.includes(Buffer.from(token).toString('base64')) || secretText.includes(Buffer.from(password).toString('base64')), 'the secret is in a Secret');
      const elsewhere = JSON.stringify(objects.filter((o) => o.kind !== 'Secret'));
      for (const secret of [token, password, Buffer.from(token).toString('base64'), Buffer.from(password).toString('base64')]) {
        assert.ok(!elsewhere.includes(secret), `a secret leaked outside Secrets`);
      }
    }
  });

  it('existing Secrets are referenced by name and key, never copied', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'full' });
    assert.equal(objects.filter((o) => o.kind === 'Secret').length, 0, 'the full values use existing Secrets only');
    const audit = podsOf(objects).find((p) => p.labels['app.kubernetes.io/component'] === 'audit')!;
    const env = audit.spec.containers[0]!.env ?? [];
    assert.deepEqual(env.find((e) => e.name === 'DRIFTLESS_AUDIT_POSTGRES_URL')?.valueFrom, { secretKeyRef: { name: 'driftless-postgres', key: 'url' } });
    assert.deepEqual(env.find((e) => e.name === 'DRIFTLESS_AUDIT_ADMIN_TOKEN')?.valueFrom, { secretKeyRef: { name: 'driftless-admin', key: 'token' } });
    const cm = findObject(objects, 'ConfigMap', '-audit')!;
    assert.equal((cm['data'] as Record<string, string>)['DRIFTLESS_NATS_CREDS_FILE'], '/etc/driftless/nats/audit.creds');
  });
});

describe('agent RBAC scope', () => {
  it('cluster scope: one ClusterRole and binding, no Roles', async () => {
    const objects = await render(Chart.agent, { variant: 'minimal', namespace: 'driftless-system' });
    assert.equal(objects.filter((o) => o.kind === 'ClusterRole').length, 1);
    assert.equal(objects.filter((o) => o.kind === 'ClusterRoleBinding').length, 1);
    assert.ok(!kinds(objects).includes('Role') && !kinds(objects).includes('RoleBinding'));
    const binding = findObject(objects, 'ClusterRoleBinding', 'driftless-agent')!;
    assert.deepEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: 'dl-driftless-agent', namespace: 'driftless-system' }]);
  });

  it('namespaces scope: a Role and RoleBinding per namespace plus the inventory one, no ClusterRole', async () => {
    const objects = await render(Chart.agent, { variant: 'full', namespace: 'driftless-system' });
    assert.ok(!kinds(objects).includes('ClusterRole') && !kinds(objects).includes('ClusterRoleBinding'));
    const roleNamespaces = objects.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace).sort();
    assert.deepEqual(roleNamespaces, ['driftless-system', 'payments', 'shop']);
    const bindingNamespaces = objects.filter((o) => o.kind === 'RoleBinding').map((o) => o.metadata.namespace).sort();
    assert.deepEqual(bindingNamespaces, ['driftless-system', 'payments', 'shop']);
    for (const binding of objects.filter((o) => o.kind === 'RoleBinding')) {
      assert.deepEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dl-driftless-agent' });
    }
  });
});

describe('agent shape', () => {
  it('has no Service, one replica replaced by Recreate, an egress-only NetworkPolicy and its bootstrap token mounted', async () => {
    const objects = await render(Chart.agent, { variant: 'minimal' });
    assert.ok(!kinds(objects).includes('Service') && !kinds(objects).includes('Ingress'));
    const deployment = findObject(objects, 'Deployment', 'driftless-agent')!;
    const spec = deployment['spec'] as { replicas: number; strategy: { type: string } };
    assert.equal(spec.replicas, 1);
    assert.equal(spec.strategy.type, 'Recreate');
    const policy = findObject(objects, 'NetworkPolicy', 'driftless-agent')!['spec'] as { policyTypes: string[]; ingress: unknown[]; egress: { ports: { port: number }[] }[] };
    assert.deepEqual(policy.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(policy.ingress, []);
    const egressPorts = policy.egress.flatMap((r) => r.ports.map((p) => p.port));
    for (const port of [53, 4222, 443, 6443]) assert.ok(egressPorts.includes(port), `egress to ${port}`);
    const secret = findObject(objects, 'Secret', '-bootstrap')!;
    assert.deepEqual(Object.keys(secret['data'] as object), ['token']);
    const pod = podsOf(objects)[0]!;
    assert.ok(pod.spec.containers[0]!.volumeMounts?.some((m) => m.mountPath === '/var/run/driftless/bootstrap'));
    const cm = findObject(objects, 'ConfigMap', 'driftless-agent')!['data'] as Record<string, string>;
    assert.equal(cm['DRIFTLESS_CLUSTER'], 'dev-1');
    assert.equal(cm['DRIFTLESS_NATS_INBOX_PREFIX'], '_INBOX_dev-1');
  });
});

describe('control plane options', () => {
  it('defaults: scrape annotations, no ServiceMonitor, no Ingress, PDB only for the replicated audit service', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'minimal' });
    assert.ok(!kinds(objects).includes('ServiceMonitor') && !kinds(objects).includes('Ingress') && !kinds(objects).includes('Job'));
    for (const pod of podsOf(objects)) assert.equal((pod.owner['spec'] as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['prometheus.io/scrape'], 'true');
    assert.deepEqual(objects.filter((o) => o.kind === 'PodDisruptionBudget').map((o) => o.metadata.name), ['dl-driftless-audit']);
  });

  it('full: ServiceMonitors instead of annotations, both Ingresses, digest-pinned images, a migration hook with its own ServiceAccount', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'full' });
    assert.equal(objects.filter((o) => o.kind === 'ServiceMonitor').length, 2);
    for (const pod of podsOf(objects).filter((p) => p.owner.kind === 'Deployment')) {
      const annotations = (pod.owner['spec'] as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
      assert.equal(annotations['prometheus.io/scrape'], undefined);
    }
    const webhooks = findObject(objects, 'Ingress', '-repo-watcher')!;
    assert.deepEqual((webhooks['spec'] as { rules: { http: { paths: { path: string }[] } }[] }).rules[0]!.http.paths.map((p) => p.path), ['/webhooks'], 'only the webhook receiver is exposed');
    const watcher = podsOf(objects).find((p) => p.labels['app.kubernetes.io/component'] === 'repo-watcher')!;
    assert.equal(watcher.spec.containers[0]!.image, 'registry.example.com/driftless/repo-watcher@sha256:0000000000000000000000000000000000000000000000000000000000000001');
    const job = findObject(objects, 'Job', '-migrate')!;
    assert.equal(job.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    const jobPod = podsOf([job])[0]!;
    assert.deepEqual(jobPod.spec.containers[0]!.args, ['migrate']);
    const sa = findObject(objects, 'ServiceAccount', '-migrate')!;
    assert.equal(jobPod.spec.serviceAccountName, sa.metadata.name);
    assert.ok(Number(sa.metadata.annotations?.['helm.sh/hook-weight']) < Number(job.metadata.annotations?.['helm.sh/hook-weight']), 'the ServiceAccount exists before the Job');
    assert.equal(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 2);
  });

  it('try: the in-chart NATS and Postgres are wired into the services', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'try' });
    assert.equal(objects.filter((o) => o.kind === 'StatefulSet').length, 2);
    const watcherCm = findObject(objects, 'ConfigMap', '-repo-watcher')!['data'] as Record<string, string>;
    assert.equal(watcherCm['DRIFTLESS_NATS_URL'], 'nats://dl-driftless-nats:4222');
    assert.equal(watcherCm['DRIFTLESS_NATS_CREDS_FILE'], undefined);
    const audit = podsOf(objects).find((p) => p.labels['app.kubernetes.io/component'] === 'audit')!;
    assert.deepEqual(audit.spec.containers[0]!.env?.find((e) => e.name === 'DRIFTLESS_AUDIT_POSTGRES_URL')?.valueFrom, { secretKeyRef: { name: 'dl-driftless-postgres', key: 'url' } });
    const pgSecret = findObject(objects, 'Secret', '-postgres')!['data'] as Record<string, string>;
    assert.match(Buffer.from(pgSecret['url']!, 'base64').toString(), /^postgres:\/\/driftless:[A-Za-z0-9]{32}@dl-driftless-postgres:5432\/driftless$/);
    const pgPolicy = findObject(objects, 'NetworkPolicy', '-postgres')!['spec'] as { ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[] };
    assert.equal(pgPolicy.ingress[0]!.from[0]!.podSelector.matchLabels['app.kubernetes.io/component'], 'audit');
  });

  it('NetworkPolicies can be turned off', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'minimal', set: { 'networkPolicy.enabled': 'false' } });
    assert.ok(!kinds(objects).includes('NetworkPolicy'));
  });
});

describe('helm 4 and helm 3 agree', () => {
  for (const { chart, variant } of allRenderings) {
    it(`${chart} (${variant}) renders the same objects`, async () => {
      // Generated secrets differ between any two renderings, so Secret data is left out.
      const normalise = (objects: KubeObject[]) =>
        objects.map((o) => (o.kind === 'Secret' ? { ...o, data: Object.keys(o['data'] ?? {}) } : o)).map((o) => JSON.stringify(o)).sort();
      const [v4, v3] = await Promise.all(HELM_VERSIONS.map((version) => render(chart, { variant, version })));
      assert.deepEqual(normalise(v4!), normalise(v3!));
    });
  }
});
