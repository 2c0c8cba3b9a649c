/**
 * Health of one object by kind, and the fold of many into one component status. The vocabulary is
 * contracts' `Health`, ordered from best to worst, so folding takes the worst.
 */
import { Health, HEALTH_ORDER } from '@driftless/contracts';
import { groupOf, type KubeObject } from '../objects.js';
import { daemonSetHealth } from './daemonset.js';
import { deploymentHealth } from './deployment.js';
import { jobHealth } from './job.js';
import { readyConditionHealth } from './ready-condition.js';
import { statefulSetHealth } from './statefulset.js';
import type { HealthStatus } from './status.js';

export type { HealthStatus } from './status.js';

/** The health of one live object; `undefined` means it does not exist (Missing). */
export function healthOf(obj: KubeObject | undefined): HealthStatus {
  if (!obj) return { health: Health.Missing };
  if (obj.metadata['deletionTimestamp'] !== undefined) return { health: Health.Progressing, message: 'being deleted' };
  const group = groupOf(obj.apiVersion);
  if (group === 'apps') {
    switch (obj.kind) {
      case 'Deployment':
        return deploymentHealth(obj);
      case 'StatefulSet':
        return statefulSetHealth(obj);
      case 'DaemonSet':
        return daemonSetHealth(obj);
    }
  }
  if (group === 'batch' && obj.kind === 'Job') return jobHealth(obj);
  return readyConditionHealth(obj) ?? { health: Health.Healthy };
}

function rank(health: Health): number {
  return HEALTH_ORDER.indexOf(health);
}

/** Whether `a` is worse than `b` in the health order. */
export function isWorse(a: Health, b: Health): boolean {
  return rank(a) > rank(b);
}

/**
 * Folds the health of a component's objects into one: the worst wins, with the message of the
 * first object that has it (named by `label`). An empty component is Healthy.
 */
export function foldHealth(items: readonly { label: string; status: HealthStatus }[]): HealthStatus {
  let worst: { label: string; status: HealthStatus } | undefined;
  for (const item of items) {
    if (!worst || isWorse(item.status.health, worst.status.health)) worst = item;
  }
  if (!worst || worst.status.health === Health.Healthy) return { health: Health.Healthy };
  const detail = worst.status.message === undefined ? worst.status.health.toLowerCase() : worst.status.message;
  return { health: worst.status.health, message: `${worst.label}: ${detail}` };
}
