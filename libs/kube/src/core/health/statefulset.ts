/** Health of a StatefulSet: every replica ready and, with rolling updates, on the update revision. */
import { Health } from '@driftless/contracts';
import { isPlainObject, type KubeObject } from '../objects.js';
import { isGenerationPending, numberAt, specOf, statusOf, type HealthStatus } from './status.js';

export function statefulSetHealth(obj: KubeObject): HealthStatus {
  if (isGenerationPending(obj)) return { health: Health.Progressing, message: 'waiting for the rollout to be observed' };
  const spec = specOf(obj);
  const status = statusOf(obj);
  const desired = numberAt(spec, 'replicas') ?? 1;
  const ready = numberAt(status, 'readyReplicas') ?? 0;
  if (ready < desired) return { health: Health.Progressing, message: `${ready} of ${desired} replicas ready` };

  const strategy = isPlainObject(spec['updateStrategy']) ? spec['updateStrategy']['type'] : undefined;
  // OnDelete sets never roll by themselves: waiting for the update revision would wait forever.
  if (strategy === 'OnDelete') return { health: Health.Healthy };
  const updated = numberAt(status, 'updatedReplicas');
  if (updated !== undefined && updated < desired) return { health: Health.Progressing, message: `${updated} of ${desired} replicas updated` };
  const { currentRevision, updateRevision } = status;
  if (typeof updateRevision === 'string' && typeof currentRevision === 'string' && currentRevision !== updateRevision) {
    return { health: Health.Progressing, message: `rolling out revision ${updateRevision}` };
  }
  return { health: Health.Healthy };
}
