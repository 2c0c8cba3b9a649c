/**
 * The charts cannot drift from the code: every environment variable a chart gives a Driftless
 * container must be declared in that service's config spec, the rendered settings must load
 * with the service's own `loadConfig`, and a variable the spec marks secret must come from a
 * Secret, never from a ConfigMap or a literal value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, type ConfigSpec } from '@driftless/config';
import { agentConfigSpec } from '@driftless/agent';
import { auditConfigSpec } from '@driftless/audit';
import { configSpec as watcherConfigSpec } from '@driftless/repo-watcher';
import { Chart, podsOf, render, VALUES_VARIANTS, type Container, type KubeObject } from './helm.js';

/** Which spec governs a container, by the pod's app.kubernetes.io/component label. */
const SPEC_BY_COMPONENT: Readonly<Record<string, ConfigSpec>> = {
  'repo-watcher': watcherConfigSpec,
  audit: auditConfigSpec,
  // The migration Job runs the audit image.
  migrate: auditConfigSpec,
  agent: agentConfigSpec,
};

/** Standard OpenTelemetry variables, read by libs/telemetry rather than by a config spec. */
const isOtelVariable = (name: string) => /^OTEL_[A-Z0-9_]+$/.test(name);

interface RenderedEnv {
  /** Name → where the value comes from. */
  sources: Map<string, { from: 'configMap' | 'literal' | 'secret' | 'field'; value?: string }>;
}

function envOf(container: Container, objects: readonly KubeObject[]): RenderedEnv {
  const sources: RenderedEnv['sources'] = new Map();
  for (const ref of container.envFrom ?? []) {
    if (ref.configMapRef) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === ref.configMapRef?.name);
      assert.ok(cm, `envFrom names ConfigMap ${ref.configMapRef.name}, which the chart does not render`);
      for (const [name, value] of Object.entries((cm['data'] ?? {}) as Record<string, string>)) sources.set(name, { from: 'configMap', value });
    }
    if (ref.secretRef) assert.fail(`envFrom of a whole Secret (${ref.secretRef.name}) hides which variables it sets; use secretKeyRef`);
  }
  for (const env of container.env ?? []) {
    if (env.value !== undefined) sources.set(env.name, { from: 'literal', value: env.value });
    else if (env.valueFrom?.['secretKeyRef']) sources.set(env.name, { from: 'secret' });
    else if (env.valueFrom?.['fieldRef']) sources.set(env.name, { from: 'field' });
    else assert.fail(`env ${env.name} has neither a value nor a supported valueFrom`);
  }
  return { sources };
}

/** Every way a rendering breaks the contract, as readable lines; empty when it keeps it. */
function contractProblems(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  const pods = podsOf(objects).filter((p) => SPEC_BY_COMPONENT[p.labels['app.kubernetes.io/component'] ?? ''] !== undefined);
  if (pods.length === 0) return ['no Driftless pod rendered'];
  for (const pod of pods) {
    const component = pod.labels['app.kubernetes.io/component'] ?? '';
    const spec = SPEC_BY_COMPONENT[component]!;
    const declared = new Map(Object.values(spec).map((f) => [f.env, f]));
    for (const container of pod.spec.containers) {
      const { sources } = envOf(container, objects);
      const where = `${pod.owner.kind}/${pod.owner.metadata.name} container ${container.name}`;

      // Every variable is one the service reads.
      for (const name of sources.keys()) {
        if (!declared.has(name) && !isOtelVariable(name)) problems.push(`${where} sets ${name}, which its config spec does not declare`);
      }

      // Secrets come from Secrets.
      for (const [name, source] of sources) {
        if (declared.get(name)?.isSecret === true && source.from !== 'secret') problems.push(`${where}: ${name} is a secret but comes from a ${source.from}`);
      }

      // The service's own loader accepts what the chart renders (values from Secrets and the
      // downward API are stood in for by the spec's example). The migration Job needs only the URL.
      if (component === 'migrate') continue;
      const env: Record<string, string> = {};
      for (const [name, source] of sources) env[name] = source.value ?? declared.get(name)?.example ?? 'x';
      try {
        loadConfig(spec, env);
      } catch (err) {
        problems.push(`${where}: the rendered settings do not load: ${(err as Error).message}`);
      }
    }
  }
  return problems;
}

const renderings: { chart: Chart; variant: string }[] = Object.entries(VALUES_VARIANTS).flatMap(([chart, variants]) =>
  variants.map((variant) => ({ chart: chart as Chart, variant })),
);

describe('chart environment against the services’ config specs', () => {
  for (const { chart, variant } of renderings) {
    it(`${chart} with ci/${variant}-values.yaml sets only declared variables, secrets from Secrets, and they load`, async () => {
      assert.deepEqual(contractProblems(await render(chart, { variant })), []);
    });
  }

  it('catches a variable no service reads, even one the values schema lets through', async () => {
    const objects = await render(Chart.agent, { variant: 'minimal', set: { 'extraEnv.DRIFTLESS_NOT_A_SETTING': 'x' } });
    assert.deepEqual(contractProblems(objects), [`Deployment/dl-driftless-agent container agent sets DRIFTLESS_NOT_A_SETTING, which its config spec does not declare`]);
  });

  it('catches a secret given as a plain value', async () => {
    const objects = await render(Chart.controlPlane, { variant: 'minimal', set: { 'extraEnv.DRIFTLESS_WATCHER_REPO_TOKENS': 'envs=ghp_leak'} });
    const problems = contractProblems(objects);
    assert.ok(problems.some((p) => /repo-watcher: DRIFTLESS_WATCHER_REPO_TOKENS is a secret but comes from a literal/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /audit container audit: DRIFTLESS_WATCHER_REPO_TOKENS is a secret|audit sets DRIFTLESS_WATCHER_REPO_TOKENS/.test(p)), problems.join('\n'));
  });
});
