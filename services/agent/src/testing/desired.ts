/** Builders of desired-state values for tests. */
import { createHash } from 'node:crypto';
import type { DesiredState } from '@driftless/contracts';

export interface DesiredInput {
  cluster: string;
  component: string;
  version?: string;
  objects: Record<string, unknown>[];
  options?: Partial<DesiredState['options']>;
}

export function desiredState({ cluster, component, version = '1.0.0', objects, options = {} }: DesiredInput): DesiredState {
  const hash = `sha256:${createHash('sha256').update(JSON.stringify({ version, objects, options })).digest('hex')}`;
  return {
    repo: 'env',
    cluster,
    component,
    stage: 'dev',
    apps: ['shop'],
    version,
    hash,
    commit: {
      sha: 'a'.repeat(40),
      author: { name: 'Dev', email: 'dev@example.com' },
      committer: { name: 'Dev', email: 'dev@example.com' },
      message: 'change',
      time: '2026-01-01T00:00:00Z',
    },
    manifests: { inline: objects },
    options: { isDriftCorrectionEnabled: true, maxPruneShare: 0.5, isNamespacePruneAllowed: false, ...options },
  };
}

export function configMap(name: string, namespace: string, data: Record<string, string> = { key: name }): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}
