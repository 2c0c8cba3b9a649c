/** Health of anything that reports a `Ready` condition (custom resources, cert-manager, Flux, Crossplane...). */
import { Health } from '@driftless/contracts';
import type { KubeObject } from '../objects.js';
import { conditionOf, isGenerationPending, withMessage, type HealthStatus } from './status.js';

/** Undefined when the object has no Ready condition, so the caller falls back to "healthy once applied". */
export function readyConditionHealth(obj: KubeObject): HealthStatus | undefined {
  const ready = conditionOf(obj, 'Ready');
  if (!ready) return undefined;
  if (isGenerationPending(obj, { isObservedRequired: false })) return { health: Health.Progressing, message: 'waiting for the change to be observed' };
  if (ready.status === 'True') return { health: Health.Healthy };
  // A controller still working on it says so with Reconciling; otherwise Ready=False is a failure.
  const reconciling = conditionOf(obj, 'Reconciling');
  if (ready.status === 'Unknown' || reconciling?.status === 'True') {
    return withMessage(Health.Progressing, ready.message ?? ready.reason);
  }
  return withMessage(Health.Degraded, ready.message ?? ready.reason ?? 'not ready');
}
