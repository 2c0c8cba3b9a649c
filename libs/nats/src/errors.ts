/**
 * Maps nats.js failures onto the contracts' domain errors, so callers sort them into retry,
 * back off or give up without knowing the SDK's error classes.
 */
import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError } from '@driftless/contracts';
import {
  AuthorizationError,
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  UserAuthenticationExpiredError,
} from '@nats-io/transport-node';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';

/** JetStream API error codes we act on (see the server's errors.json). */
export const JsErrorCode = {
  StreamNotFound: 10059,
  ConsumerNotFound: 10014,
  StreamNameInUse: 10058,
  StreamSubjectOverlap: 10065,
  InsufficientResources: 10023,
  StorageResourcesExceeded: 10047,
} as const;
export type JsErrorCode = (typeof JsErrorCode)[keyof typeof JsErrorCode];

/** The JetStream API error code of `err`, if it is one. */
export function jsErrorCode(err: unknown): number | undefined {
  return err instanceof JetStreamApiError ? err.code : undefined;
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && err.cause.message !== err.message ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}

/**
 * Turns a nats.js error into a domain error whose message starts with `what` (e.g.
 * `publishing driftless.evt.x`). Domain errors pass through unchanged.
 */
export function toDomainError(err: unknown, what: string): Error {
  if (
    err instanceof UnavailableError ||
    err instanceof ForbiddenError ||
    err instanceof InvalidInputError ||
    err instanceof NotFoundError
  ) {
    return err;
  }
  const message = `${what} failed: ${messageOf(err)}`;
  if (err instanceof AuthorizationError || err instanceof PermissionViolationError || err instanceof UserAuthenticationExpiredError) {
    return new ForbiddenError(message, { cause: err });
  }
  if (err instanceof InvalidArgumentError) return new InvalidInputError(message, { cause: err });
  if (err instanceof JetStreamApiError) {
    if (err.code === JsErrorCode.StreamNotFound || err.code === JsErrorCode.ConsumerNotFound) {
      return new NotFoundError(message, { cause: err });
    }
    if (err.status === 400) return new InvalidInputError(message, { cause: err });
    return new UnavailableError(message, { cause: err });
  }
  if (
    err instanceof ConnectionError ||
    err instanceof ClosedConnectionError ||
    err instanceof DrainingConnectionError ||
    err instanceof TimeoutError ||
    err instanceof NoRespondersError ||
    err instanceof RequestError ||
    err instanceof JetStreamError
  ) {
    return new UnavailableError(message, { cause: err });
  }
  if (err instanceof Error && /maximum payload|max_payload|message size exceeds/i.test(err.message)) {
    return new InvalidInputError(message, { cause: err });
  }
  return new UnavailableError(message, { cause: err });
}

/** Whether `err` (or its cause) says the connection was closed for good, so retrying is pointless. */
export function isConnectionClosed(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) return true;
  }
  return false;
}
