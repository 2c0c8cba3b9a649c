/** The health of one object and the small readers every health check shares. */
import type { Health } from '@driftless/contracts';
import { isPlainObject, type KubeObject } from '../objects.js';

export interface HealthStatus {
  health: Health;
  message?: string;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function statusOf(obj: KubeObject): Record<string, unknown> {
  const status = obj['status'];
  return isPlainObject(status) ? status : {};
}

export function specOf(obj: KubeObject): Record<string, unknown> {
  const spec = obj['spec'];
  return isPlainObject(spec) ? spec : {};
}

export function numberAt(record: Record<string, unknown>, field: string): number | undefined {
  const value = record[field];
  return typeof value === 'number' ? value : undefined;
}

export function conditionsOf(obj: KubeObject): Condition[] {
  const conditions = statusOf(obj)['conditions'];
  if (!Array.isArray(conditions)) return [];
  return conditions.filter(
    (c): c is Condition => isPlainObject(c) && typeof c['type'] === 'string' && typeof c['status'] === 'string',
  );
}

export function conditionOf(obj: KubeObject, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

/**
 * Whether the controller has not yet seen the latest spec (status would describe an older one).
 * Built-in workload controllers always write observedGeneration, so its absence means "not yet";
 * many custom controllers never write it, so for them (`isObservedRequired: false`) absence says nothing.
 */
export function isGenerationPending(obj: KubeObject, { isObservedRequired = true } = {}): boolean {
  const generation = obj.metadata.generation;
  const observed = numberAt(statusOf(obj), 'observedGeneration');
  if (generation === undefined) return false;
  if (observed === undefined) return isObservedRequired;
  return observed < generation;
}

export function withMessage(health: Health, message: string | undefined): HealthStatus {
  return message === undefined || message === '' ? { health } : { health, message };
}
