/**
 * The CLI's failures and their exit codes: 2 for a usage error (the command line is wrong and
 * the usage is printed), 1 for everything that failed after the command line was fine.
 */

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The command line is wrong: unknown flag, missing argument, malformed value. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

/** The command ran and did not succeed (API refusal, unreachable API, a failed check). */
export class CommandFailedError extends Error {
  override readonly name: string = 'CommandFailedError';
}
