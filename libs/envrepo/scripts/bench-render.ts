// Times loading and rendering a 200 components x 50 clusters environment through the in-memory reader:
// cold, warm (template cache) and a one-component change. Run: npx tsx scripts/bench-render.ts
import { performance } from 'node:perf_hooks';
import { affectedPlacements, createTemplateCache, loadEnvironment, memoryReader, renderAll, renderPlacements } from '../src/index.js';

const COMPONENTS = 200;
const CLUSTERS = 50;
const stages = ['dev', 'test', 'prod'];

function repo(cartVersionBump: number): Record<string, string> {
  const files: Record<string, string> = {};
  const clusters = Array.from({ length: CLUSTERS }, (_, i) => `  c${i}: { stage: ${stages[i % 3]}, labels: { region: r${i % 4} }, values: { replicas: ${(i % 5) + 1} } }`);
  const components = Array.from({ length: COMPONENTS }, (_, i) => `  comp${i}: { path: components/comp${i}, values: { port: ${8000 + i}, tier: backend } }`);
  const apps = Array.from({ length: 10 }, (_, a) => `  app${a}: { components: [${Array.from({ length: 20 }, (_, j) => `comp${a * 20 + j}`).join(', ')}], clusters: { stages: [dev, test, prod] } }`);
  files['driftless.yaml'] = `apiVersion: driftless.dev/v1alpha1\nkind: Environment\nstages: [dev, test, prod]\nclusters:\n${clusters.join('\n')}\ncomponents:\n${components.join('\n')}\napps:\n${apps.join('\n')}\n`;
  for (const stage of stages) files[`versions/${stage}.yaml`] = Array.from({ length: COMPONENTS }, (_, i) => `comp${i}: 1.${i}.${stage === 'dev' ? 1 : 0}`).join('\n');
  for (let i = 0; i < COMPONENTS; i++) {
    const name = `comp${i}`;
    files[`components/${name}/deployment.yaml`] = `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: shop, labels: { app: ${name} } }
spec:
  replicas: \${values.replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${name}
          image: "ghcr.io/driftless-demo/${name}:\${version}"
          ports: [{ containerPort: 8080 }]
          env:
            - { name: CLUSTER, value: "\${cluster.name}" }
            - { name: REGION, value: "\${cluster.labels.region}" }
          resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: 500m, memory: 256Mi } }
`;
    files[`components/${name}/service.yaml`] = `apiVersion: v1\nkind: Service\nmetadata: { name: ${name}, namespace: shop }\nspec: { selector: { app: ${name} }, ports: [{ port: 80, targetPort: 8080 }] }\n`;
    files[`components/${name}/configmap.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}-config, namespace: shop }\ndata: { STAGE: "\${cluster.stage}", PORT: "\${values.port}", TIER: "\${values.tier}"${i === 0 ? `, BUMP: "${cartVersionBump}"` : ''} }\n`;
  }
  return files;
}

async function time<T>(label: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await run();
  console.log(`${label}: ${(performance.now() - start).toFixed(1)} ms`);
  return result;
}

const before = memoryReader(repo(0));
const after = memoryReader(repo(1));
const changedOnly = memoryReader({ ...repo(0), 'versions/dev.yaml': repo(0)['versions/dev.yaml']!.replace('comp5: 1.5.1', 'comp5: 1.5.2') });
const cache = createTemplateCache();
const model = await time('load (driftless.yaml + version files)', () => loadEnvironment(before, {}, { cache }));
const cold = await time(`render all ${model.placements.length} pairs, cold cache`, () => renderAll(model, before, { cache }));
if (!cold.every((r) => r.ok)) throw new Error('bench render failed');
for (let i = 0; i < 3; i++) await time('render all, warm cache', () => renderAll(model, before, { cache }));
const next = await time('load after a one-component change', () => loadEnvironment(after, {}, { cache }));
const affected = affectedPlacements(next, ['components/comp0/configmap.yaml'], model);
const changed = await time(`render the ${affected.length} affected pairs`, () => renderPlacements(next, after, affected, { cache }));
const all = await time('render all after the change, warm cache', () => renderAll(next, after, { cache }));
const differing = all.filter((r, i) => r.ok && cold[i]?.ok && r.hash !== cold[i].hash).length;
console.log(`pairs whose hash changed: ${differing} (expected ${changed.length})`);
const promoted = await time('load after a one-line version change', () => loadEnvironment(changedOnly, {}, { cache }));
const promotedPairs = affectedPlacements(promoted, ['versions/dev.yaml'], model);
await time(`render the ${promotedPairs.length} pairs it affects`, () => renderPlacements(promoted, changedOnly, promotedPairs, { cache }));
const perPairUs = (await (async () => {
  const start = performance.now();
  await renderAll(next, after, { cache });
  return ((performance.now() - start) * 1000) / all.length;
})()).toFixed(1);
console.log(`render time per (cluster, component), warm: ${perPairUs} µs`);
