/**
 * Every object the charts render is valid against the Kubernetes API schemas: types, required
 * fields and formats from the OpenAPI definitions (kubernetes-models), and no field the API does
 * not know (the model field lists of @kubernetes/client-node), which the real API server would
 * drop or refuse under strict field validation. Custom resources (ServiceMonitor, PodMonitor)
 * are checked when installed into kube-sim instead.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { Chart, HELM_VERSIONS, render, VALUES_VARIANTS, type KubeObject } from './helm.js';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}
type ModelClass = { attributeTypeMap?: Attribute[] };
const models = k8s as unknown as Record<string, ModelClass | undefined>;

const CUSTOM_RESOURCE_GROUPS = new Set(['monitoring.coreos.com']);

function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** Paths of fields the client-node model of this type does not have. */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((item, i) => unknownFields(item, array[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+?);? \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') for (const [key, item] of Object.entries(value)) unknownFields(item, map[1]!, `${path}.${key}`, out);
    return;
  }
  const attributes = models[type]?.attributeTypeMap;
  if (!attributes || typeof value !== 'object') return; // a primitive, IntOrString or free-form field
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const attribute = attributes.find((a) => a.baseName === key);
    if (!attribute) out.push(`${path}.${key}`);
    else unknownFields(item, attribute.type, `${path}.${key}`, out);
  }
}

interface Validatable {
  validate(): void;
}
type ModelConstructor = new (data: unknown) => Validatable;

/** The kubernetes-models class of a built-in kind, e.g. kubernetes-models/apps/v1/Deployment. */
async function schemaModel(object: KubeObject): Promise<ModelConstructor> {
  const { group, version } = groupVersion(object.apiVersion);
  const module = (await import(`kubernetes-models/${group === '' ? '' : `${group}/`}${version}/${object.kind}`)) as Record<string, ModelConstructor | undefined>;
  const model = module[object.kind];
  if (!model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  return model;
}

/** Every schema problem of one object, as readable lines. */
async function problemsOf(object: KubeObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata.name}`;
  const problems: string[] = [];
  try {
    new (await schemaModel(object))(object).validate();
  } catch (err) {
    problems.push(`${where}: ${(err as Error).message}`);
  }
  const { version } = groupVersion(object.apiVersion);
  const className = `${version.charAt(0).toUpperCase()}${version.slice(1)}${object.kind}`;
  assert.ok(models[className]?.attributeTypeMap, `@kubernetes/client-node has no model ${className}`);
  const unknown: string[] = [];
  unknownFields(object, className, '', unknown);
  for (const path of unknown) problems.push(`${where}: unknown field ${path.slice(1)}`);
  return problems;
}

const allRenderings = Object.entries(VALUES_VARIANTS).flatMap(([chart, variants]) => variants.map((variant) => ({ chart: chart as Chart, variant })));

describe('rendered objects against the Kubernetes schemas', () => {
  for (const version of HELM_VERSIONS) {
    for (const { chart, variant } of allRenderings) {
      it(`helm ${version}: ${chart} (${variant})`, async () => {
        const objects = await render(chart, { variant, version });
        const builtIn = objects.filter((o) => !CUSTOM_RESOURCE_GROUPS.has(groupVersion(o.apiVersion).group));
        assert.ok(builtIn.length >= 7);
        const problems = (await Promise.all(builtIn.map(problemsOf))).flat();
        assert.deepEqual(problems, []);
      });
    }
  }

  it('the check catches a wrong type, a missing required field and an unknown field', async () => {
    const [deployment] = (await render(Chart.agent, { variant: 'minimal' })).filter((o) => o.kind === 'Deployment');
    const broken = structuredClone(deployment!) as KubeObject & { spec: Record<string, unknown> & { template: { spec: { containers: Record<string, unknown>[] } } } };
    broken.spec['replicas'] = 'one';
    delete broken.spec.template.spec.containers[0]!['name'];
    broken.spec.template.spec.containers[0]!['imagePullPolice'] = 'Always';
    const problems = await problemsOf(broken);
    assert.ok(problems.some((p) => /replicas must be integer/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /must have required property '?name'?/.test(p)), problems.join('\n'));
    assert.ok(problems.includes('Deployment/dl-driftless-agent: unknown field spec.template.spec.containers[0].imagePullPolice'), problems.join('\n'));
  });
});
