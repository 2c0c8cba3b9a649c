/**
 * The small domain error set every layer maps into: adapters translate SDK failures into these,
 * the HTTP layer maps them to status codes, consumers to ack/nak/term.
 */

export class NotFoundError extends Error {
  override readonly name: string = 'NotFoundError';
}
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
}
export class InvalidInputError extends Error {
  override readonly name: string = 'InvalidInputError';
}
export class ForbiddenError extends Error {
  override readonly name: string = 'ForbiddenError';
}
/** A dependency (NATS, Postgres, an API server) cannot be reached; retrying later may succeed. */
export class UnavailableError extends Error {
  override readonly name: string = 'UnavailableError';
}
/** Retrying will never help: the input or the situation must change first. */
export class TerminalError extends Error {
  override readonly name: string = 'TerminalError';
}

/** Whether retrying the failed operation later can succeed. */
export function isRetryable(err: unknown): boolean {
  return !(
    err instanceof TerminalError ||
    err instanceof InvalidInputError ||
    err instanceof ForbiddenError ||
    err instanceof NotFoundError
  );
}
