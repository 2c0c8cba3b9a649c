/** Stage order for display: the usual promotion order first, then any other stage by name, "no stage" last. */
const USUAL_ORDER = ['dev', 'development', 'test', 'qa', 'staging', 'stage', 'preprod', 'canary', 'prod', 'production'];

export const NO_STAGE = '(no stage)';

export function compareStages(a: string, b: string): number {
  if (a === b) return 0;
  if (a === NO_STAGE) return 1;
  if (b === NO_STAGE) return -1;
  const ra = USUAL_ORDER.indexOf(a);
  const rb = USUAL_ORDER.indexOf(b);
  if (ra >= 0 && rb >= 0) return ra - rb;
  if (ra >= 0) return -1;
  if (rb >= 0) return 1;
  return a.localeCompare(b);
}
