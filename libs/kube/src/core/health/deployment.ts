/** Health of a Deployment: rolled out when every replica runs the latest template and is available. */
import { Health } from '@driftless/contracts';
import type { KubeObject } from '../objects.js';
import { conditionOf, isGenerationPending, numberAt, specOf, statusOf, withMessage, type HealthStatus } from './status.js';

export function deploymentHealth(obj: KubeObject): HealthStatus {
  if (isGenerationPending(obj)) return { health: Health.Progressing, message: 'waiting for the rollout to be observed' };
  const spec = specOf(obj);
  const status = statusOf(obj);
  const progressing = conditionOf(obj, 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return withMessage(Health.Degraded, progressing.message ?? `rollout of ${obj.metadata.name} exceeded its progress deadline`);
  }
  const replicaFailure = conditionOf(obj, 'ReplicaFailure');
  if (replicaFailure?.status === 'True') return withMessage(Health.Degraded, replicaFailure.message ?? 'replica failure');
  if (spec['paused'] === true) return { health: Health.Healthy, message: 'rollout paused' };

  const desired = numberAt(spec, 'replicas') ?? 1;
  const updated = numberAt(status, 'updatedReplicas') ?? 0;
  const current = numberAt(status, 'replicas') ?? 0;
  const available = numberAt(status, 'availableReplicas') ?? 0;
  if (updated < desired) return { health: Health.Progressing, message: `${updated} of ${desired} replicas updated` };
  if (current > updated) return { health: Health.Progressing, message: `${current - updated} old replicas pending termination` };
  if (available < updated) return { health: Health.Progressing, message: `${available} of ${updated} updated replicas available` };
  return { health: Health.Healthy };
}
