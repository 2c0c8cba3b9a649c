/** Health of one component on one cluster, ordered from best to worst so folding can take the worst. */
export const Health = {
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  Missing: 'Missing',
  Unknown: 'Unknown',
} as const;
export type Health = (typeof Health)[keyof typeof Health];

export const HEALTH_ORDER: readonly Health[] = [Health.Healthy, Health.Progressing, Health.Unknown, Health.Missing, Health.Degraded];
