/** Health of a Job: Healthy once complete, Degraded once failed, Progressing while it runs. */
import { Health } from '@driftless/contracts';
import type { KubeObject } from '../objects.js';
import { conditionOf, specOf, withMessage, type HealthStatus } from './status.js';

export function jobHealth(obj: KubeObject): HealthStatus {
  const failed = conditionOf(obj, 'Failed');
  if (failed?.status === 'True') return withMessage(Health.Degraded, failed.message ?? failed.reason ?? 'job failed');
  const complete = conditionOf(obj, 'Complete') ?? conditionOf(obj, 'SuccessCriteriaMet');
  if (complete?.status === 'True') return { health: Health.Healthy };
  if (specOf(obj)['suspend'] === true) return { health: Health.Healthy, message: 'job suspended' };
  return { health: Health.Progressing, message: 'job running' };
}
