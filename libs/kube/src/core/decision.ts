/**
 * The reconcile decision taxonomy: what to do after a failure. `retry` soon (a conflict, a kind not
 * served yet), `backoff` with capped jittered delays (the API server or network is unwell), or
 * `terminal` for this revision (403 forbidden, 400/422 invalid: retrying the same input cannot help;
 * only a new desired revision can).
 */
export const Decision = {
  retry: 'retry',
  backoff: 'backoff',
  terminal: 'terminal',
} as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

/** The decision for an API response status code; `undefined` (no response at all) is a network failure. */
export function decideForStatus(statusCode: number | undefined): Decision {
  if (statusCode === undefined) return Decision.backoff;
  switch (statusCode) {
    case 400: // BadRequest: malformed object
    case 403: // Forbidden: RBAC will not change by retrying
    case 405: // MethodNotAllowed
    case 406:
    case 413: // RequestEntityTooLarge: the object itself is too big
    case 415:
    case 422: // Invalid: validation failed
      return Decision.terminal;
    case 409: // Conflict: someone wrote in between; the next attempt reads fresh state
      return Decision.retry;
    default:
      // 401 (credentials may be rotated), 404 (a namespace or kind may appear), 408, 410, 429, 5xx.
      return Decision.backoff;
  }
}

export interface BackoffOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A source of randomness in [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/**
 * Capped exponential backoff with jitter for attempt `n` (1-based): a delay between half and all
 * of min(max, base·2^(n-1)), so many agents failing together do not retry in lockstep, and never a
 * hot loop (the delay is never below half the base).
 */
export function backoffDelayMs(attempt: number, { baseDelayMs = 500, maxDelayMs = 60_000, random = Math.random }: BackoffOptions = {}): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
  return Math.round(cap / 2 + (cap / 2) * random());
}
