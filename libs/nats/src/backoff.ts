/** Capped exponential backoff with jitter, shared by connect retries and nak delays. */

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Share of each delay (0..1) that is randomised, so many clients do not retry in lockstep. */
  jitter?: number;
  /** Source of randomness in [0, 1); tests pass a constant. */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = the first retry): initial × 2^(attempt-1), capped, with jitter taken off. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const capped = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** exponent);
  const jitter = Math.max(0, Math.min(options.jitter ?? 0.2, 1));
  const random = options.random ?? Math.random;
  return Math.round(capped * (1 - jitter * random()));
}

/** Resolves after `ms`, or early when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
