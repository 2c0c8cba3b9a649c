/** Health of a DaemonSet: every scheduled pod updated and available. */
import { Health } from '@driftless/contracts';
import { isPlainObject, type KubeObject } from '../objects.js';
import { isGenerationPending, numberAt, specOf, statusOf, type HealthStatus } from './status.js';

export function daemonSetHealth(obj: KubeObject): HealthStatus {
  if (isGenerationPending(obj)) return { health: Health.Progressing, message: 'waiting for the rollout to be observed' };
  const spec = specOf(obj);
  const status = statusOf(obj);
  const desired = numberAt(status, 'desiredNumberScheduled') ?? 0;
  const strategy = isPlainObject(spec['updateStrategy']) ? spec['updateStrategy']['type'] : undefined;
  if (strategy !== 'OnDelete') {
    const updated = numberAt(status, 'updatedNumberScheduled') ?? 0;
    if (updated < desired) return { health: Health.Progressing, message: `${updated} of ${desired} pods updated` };
  }
  const available = numberAt(status, 'numberAvailable') ?? 0;
  if (available < desired) return { health: Health.Progressing, message: `${available} of ${desired} pods available` };
  return { health: Health.Healthy };
}
