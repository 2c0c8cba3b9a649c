/**
 * Translates Postgres and connection failures into the domain errors of `@driftless/contracts`,
 * so callers decide retry / back off / give up without knowing SQLSTATE codes.
 */
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  TerminalError,
  UnavailableError,
} from '@driftless/contracts';

/** A transaction lost a race (serialization failure, deadlock): running it again may succeed. */
export class TransientDbError extends Error {
  override readonly name: string = 'TransientDbError';
}

const UNAVAILABLE_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

function codeOf(err: unknown): string | undefined {
  if (err instanceof AggregateError && err.errors.length > 0) return codeOf(err.errors[0]);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { code?: unknown; detail?: unknown; constraint_name?: unknown };
  const parts = [e.message];
  if (typeof e.detail === 'string' && e.detail !== '') parts.push(e.detail);
  if (typeof e.constraint_name === 'string') parts.push(`constraint ${e.constraint_name}`);
  const code = typeof e.code === 'string' ? ` [${e.code}]` : '';
  return `${parts.join(': ')}${code}`;
}

const DOMAIN_ERRORS = [ConflictError, ForbiddenError, InvalidInputError, NotFoundError, TerminalError, UnavailableError, TransientDbError];

/**
 * Maps a failure from the `postgres` client to a domain error, keeping the original as `cause`:
 * 23505 → Conflict; 23503/23502/23514/22xxx → InvalidInput; 40001/40P01 → TransientDb (retry);
 * 57P01-57P03, 08xxx, 53xxx and socket failures → Unavailable; 42501 → Forbidden.
 * Anything else (including an error that is already a domain error) is returned as it is.
 */
export function mapPgError(err: unknown): Error {
  if (DOMAIN_ERRORS.some((E) => err instanceof E)) return err as Error;
  const code = codeOf(err);
  const message = describe(err);
  const cause = { cause: err };
  if (code !== undefined) {
    if (code === '23505') return new ConflictError(`already exists: ${message}`, cause);
    if (code === '23503' || code === '23502' || code === '23514' || code.startsWith('22')) {
      return new InvalidInputError(`invalid data: ${message}`, cause);
    }
    if (code === '40001' || code === '40P01') return new TransientDbError(`transaction must be retried: ${message}`, cause);
    if (code === '42501') return new ForbiddenError(`permission denied: ${message}`, cause);
    if (code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03'].includes(code) || UNAVAILABLE_CONNECTION_CODES.has(code)) {
      return new UnavailableError(`Postgres unavailable: ${message}`, cause);
    }
  }
  return err instanceof Error ? err : new Error(message, cause);
}
