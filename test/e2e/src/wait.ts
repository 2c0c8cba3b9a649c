/**
 * Waiting for the running system to reach a state, with a timeout that explains itself: the
 * check notes what it looked at, and the timeout error says what it saw last (and the last error
 * a look threw), so a failure in a CI log names the state the system was stuck in.
 */

/** Records what a check saw on this look; the latest note is quoted if the wait times out. */
export type Note = (seen: unknown) => void;

export type Check<T> = (note: Note) => Promise<T | undefined | false> | T | undefined | false;

/** Thrown by a check when the awaited state can no longer come (a promotion ended otherwise): the wait fails at once. */
export class WaitAbandonedError extends Error {
  override readonly name = 'WaitAbandonedError';
}

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

const MAX_SEEN_CHARS = 2_000;

/** A noted value as one readable line: strings as they are, the rest as JSON, cut to a screenful. */
export function describeSeen(seen: unknown): string {
  const text = typeof seen === 'string' ? seen : (JSON.stringify(seen) ?? String(seen));
  return text.length > MAX_SEEN_CHARS ? `${text.slice(0, MAX_SEEN_CHARS)}… (${text.length} characters)` : text;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  /** Runs before every look; what it throws ends the wait at once (a stopped service will not come back). */
  precondition?: () => void;
}

/** Polls `check` until it returns a value other than undefined or false. */
export async function waitUntil<T>(what: string, check: Check<T>, options: WaitOptions): Promise<T> {
  const started = Date.now();
  let seen: { value: unknown } | undefined;
  let lastError: Error | undefined;
  let looks = 0;
  const note: Note = (value) => {
    seen = { value };
  };
  for (;;) {
    options.precondition?.();
    looks += 1;
    try {
      const value = await check(note);
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (err) {
      if (err instanceof WaitAbandonedError) throw err;
      lastError = err instanceof Error ? err : new Error(String(err));
    }
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= options.timeoutMs) {
      const lines = [`timed out after ${elapsedMs} ms (limit ${options.timeoutMs} ms, ${looks} looks) waiting for ${what}`];
      lines.push(seen === undefined ? 'saw nothing noted' : `last saw: ${describeSeen(seen.value)}`);
      if (lastError !== undefined) lines.push(`last look failed: ${lastError.message}`);
      throw new WaitTimeoutError(lines.join('\n'), lastError === undefined ? undefined : { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
