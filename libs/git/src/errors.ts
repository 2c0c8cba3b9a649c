/**
 * Git failures sorted into the domain error set, so callers decide retry / back off / give up
 * without parsing libgit2 messages.
 */
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnavailableError } from '@driftless/contracts';

/** The remote refused our credentials (or asked for some and none were configured). Retrying will not help. */
export class GitAuthError extends ForbiddenError {
  override readonly name: string = 'GitAuthError';
}

/** The remote could not be reached or did not answer like a Git server. Retrying later may help. */
export class GitUnreachableError extends UnavailableError {
  override readonly name: string = 'GitUnreachableError';
}

/** A network operation did not finish within its time budget. */
export class GitTimeoutError extends UnavailableError {
  override readonly name: string = 'GitTimeoutError';
}

/** A path that is absolute, leaves the repository, or goes through a symlink or submodule. */
export class UnsafePathError extends InvalidInputError {
  override readonly name: string = 'UnsafePathError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refused to read "${path}": ${reason}`);
  }
}

/** A blob larger than the configured bound; it is never copied into memory. */
export class BlobTooLargeError extends InvalidInputError {
  override readonly name: string = 'BlobTooLargeError';
  constructor(
    readonly path: string,
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(`file "${path}" is ${sizeBytes} bytes, more than the limit of ${maxBytes} bytes`);
  }
}

/** A branch or commit that does not exist in the mirror. */
export class GitNotFoundError extends NotFoundError {
  override readonly name: string = 'GitNotFoundError';
}

/** The remote rejected a push, usually because the branch moved meanwhile: fetch, re-apply, retry. */
export class PushRejectedError extends ConflictError {
  override readonly name: string = 'PushRejectedError';
}
