/**
 * The benchmark's environment repository, as files: `clusters` clusters across three stages and
 * `components` components placed on every cluster by one app, each component a single ConfigMap
 * (the shape of the CNOE Argo CD benchmark: one application = one ConfigMap).
 */

export const REPO_NAME = 'fleet';
export const BRANCH = 'main';
/** Every cluster has it, so a component needs no Namespace object of its own. */
export const APP_NAMESPACE = 'default';
/** kube-sim's `startKubeSims` names clusters `<prefix>-1` … `<prefix>-N`. */
export const CLUSTER_PREFIX = 'cluster';
const STAGES = ['dev', 'test', 'prod'] as const;

export interface FleetShape {
  clusters: number;
  components: number;
}

export function clusterName(index: number): string {
  return `${CLUSTER_PREFIX}-${index}`;
}

export function clusterNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => clusterName(i + 1));
}

export function componentName(index: number): string {
  return `comp-${String(index).padStart(3, '0')}`;
}

export function componentNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => componentName(i + 1));
}

/** The component a change-propagation round edits: one in the middle, shared by every cluster. */
export function sharedComponent(shape: FleetShape): string {
  return componentName(Math.max(1, Math.ceil(shape.components / 2)));
}

function configMapTemplate(round: number | undefined): string {
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: ${component.name}',
    `  namespace: ${APP_NAMESPACE}`,
    'data:',
    '  cluster: ${cluster.name}',
    '  stage: ${cluster.stage}',
    '  region: ${cluster.labels.region}',
    '  version: "${version}"',
    '  greeting: "${values.greeting}"',
    ...(round === undefined ? [] : [`  round: "${round}"`]),
    '',
  ].join('\n');
}

/** Every file of the repository's first commit. */
export function fleetRepoFiles(shape: FleetShape): Record<string, string> {
  const clusters = clusterNames(shape.clusters);
  const components = componentNames(shape.components);
  const files: Record<string, string> = {};
  files['driftless.yaml'] = [
    'apiVersion: driftless.dev/v1alpha1',
    'kind: Environment',
    `stages: [${STAGES.join(', ')}]`,
    'clusters:',
    ...clusters.map((name, i) => `  ${name}: { stage: ${STAGES[i % STAGES.length]}, labels: { region: r${i % 4} } }`),
    'components:',
    ...components.map((name) => `  ${name}: { path: components/${name}, values: { greeting: hello } }`),
    'apps:',
    '  fleet:',
    `    components: [${components.join(', ')}]`,
    `    clusters: { stages: [${STAGES.join(', ')}] }`,
    '',
  ].join('\n');
  for (const stage of STAGES) files[`versions/${stage}.yaml`] = `${components.map((name) => `${name}: 1.0.0`).join('\n')}\n`;
  for (const name of components) files[`components/${name}/configmap.yaml`] = configMapTemplate(undefined);
  return files;
}

/** The files of a commit that changes `component`'s template, which every cluster renders. */
export function changedComponentFiles(component: string, round: number): Record<string, string> {
  return { [`components/${component}/configmap.yaml`]: configMapTemplate(round) };
}
