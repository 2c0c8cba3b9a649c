/**
 * Test helpers for the charts: run the real helm and kubectl binaries, render a chart into
 * parsed objects, and walk the pods those objects describe.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { toolPath, type ToolVersion } from '@driftless/testkit';

export const DEPLOY_DIR = dirname(dirname(fileURLToPath(import.meta.url)));

export const Chart = { controlPlane: 'driftless', agent: 'driftless-agent' } as const;
export type Chart = (typeof Chart)[keyof typeof Chart];

/** helm 4 (from the v35 layer) and helm 3.17 (from the v32 layer). */
export const HELM_VERSIONS: readonly ToolVersion[] = ['v35', 'v32'];

/** The values files under each chart's ci/ folder that the tests render. */
export const VALUES_VARIANTS: Readonly<Record<Chart, readonly string[]>> = {
  [Chart.controlPlane]: ['minimal', 'full', 'try'],
  [Chart.agent]: ['minimal', 'full'],
};

export function chartDir(chart: Chart): string {
  return join(DEPLOY_DIR, 'helm', chart);
}

export function valuesFile(chart: Chart, variant: string): string {
  return join(chartDir(chart), 'ci', `${variant}-values.yaml`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion and never throws for a non-zero exit: the caller asserts on it. */
export function run(file: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }) },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`cannot run ${file}: ${err.message}`, { cause: err }));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function helm(version: ToolVersion, args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<RunResult> {
  // A private HELM_* home per process keeps the repository cache and config out of $HOME.
  const env: NodeJS.ProcessEnv = { ...process.env, HELM_CACHE_HOME: join(DEPLOY_DIR, 'dist', 'helm-cache'), HELM_CONFIG_HOME: join(DEPLOY_DIR, 'dist', 'helm-config'), HELM_DATA_HOME: join(DEPLOY_DIR, 'dist', 'helm-data') };
  if (opts.kubeconfig !== undefined) env['KUBECONFIG'] = opts.kubeconfig;
  return run(toolPath('helm', version), args, { env, ...(opts.input === undefined ? {} : { input: opts.input }) });
}

export interface RenderOptions {
  version?: ToolVersion;
  variant?: string;
  set?: Readonly<Record<string, string>>;
  namespace?: string;
  release?: string;
}

/** `helm template` arguments for a chart, a ci values file and --set overrides. */
export function templateArgs(chart: Chart, opts: RenderOptions = {}): string[] {
  const args = ['template', opts.release ?? 'dl', chartDir(chart), '--namespace', opts.namespace ?? 'driftless'];
  if (opts.variant !== undefined) args.push('-f', valuesFile(chart, opts.variant));
  for (const [key, value] of Object.entries(opts.set ?? {})) args.push('--set', `${key}=${value}`);
  return args;
}

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join('; ')}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** Renders a chart and returns its objects; throws with helm's own message when rendering fails. */
export async function render(chart: Chart, opts: RenderOptions = {}): Promise<KubeObject[]> {
  const result = await helm(opts.version ?? 'v35', templateArgs(chart, opts));
  if (result.code !== 0) throw new Error(`helm template ${chart} failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** Renders a chart that is expected to fail and returns helm's error output. */
export async function renderError(chart: Chart, opts: RenderOptions = {}): Promise<string> {
  const result = await helm(opts.version ?? 'v35', templateArgs(chart, opts));
  if (result.code === 0) throw new Error(`helm template ${chart} succeeded but was expected to fail`);
  return result.stderr;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  securityContext?: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  volumes?: Record<string, unknown>[];
}

export interface Pod {
  owner: KubeObject;
  labels: Record<string, string>;
  spec: PodSpec;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The pod templates of every workload in a rendering. */
export function podsOf(objects: readonly KubeObject[]): Pod[] {
  return objects
    .filter((o) => WORKLOADS.has(o.kind))
    .map((o) => {
      const template = (o['spec'] as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } }).template;
      return { owner: o, labels: template.metadata?.labels ?? {}, spec: template.spec };
    });
}

export function findObject(objects: readonly KubeObject[], kind: string, nameSuffix: string): KubeObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name.endsWith(nameSuffix));
}
