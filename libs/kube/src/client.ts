/**
 * The narrow port the agent needs from a Kubernetes API server, and the errors an adapter
 * translates API failures into (contracts' domain errors, carrying the HTTP status so the
 * reconcile decision taxonomy can sort them).
 */
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnavailableError, type ObjectRef } from '@driftless/contracts';
import { decideForStatus, Decision } from './core/decision.js';
import type { KubeObject } from './core/objects.js';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  /** The plural resource name used in URLs, e.g. `deployments`. */
  plural: string;
  isNamespaced: boolean;
}

export const WatchEventType = { added: 'ADDED', modified: 'MODIFIED', deleted: 'DELETED', bookmark: 'BOOKMARK' } as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

export interface WatchOptions {
  labelSelector?: string;
  resourceVersion?: string;
  /** Ask the server to end the watch after this long, so it is renewed regularly. */
  timeoutSeconds?: number;
}

export interface ObjectList {
  items: KubeObject[];
  resourceVersion: string;
  /** Set when more pages follow (see `limit`). */
  continueToken?: string;
}

export interface ListOptions {
  labelSelector?: string;
  namespace?: string;
  /** Page size; the rest is fetched with `continueToken`. */
  limit?: number;
  continueToken?: string;
}

export interface KubeClient {
  /** Server-side apply under the client's field manager, forcing conflicts; returns the live object. */
  apply(object: KubeObject, options?: { isDryRun?: boolean }): Promise<KubeObject>;
  /** The live object, or undefined if it does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Deletes an object; `absent` when it was already gone. */
  delete(ref: ObjectRef): Promise<'deleted' | 'absent'>;
  /** Lists a kind across all namespaces (or one). */
  list(apiVersion: string, kind: string, options?: ListOptions): Promise<ObjectList>;
  /**
   * Watches a kind across all namespaces. `onEvent` receives each event; the returned promise
   * settles when the watch ends (resolves on a normal end, rejects with a KubeError on failure,
   * e.g. 410 Gone for a too-old resourceVersion). `signal` stops it.
   */
  watch(apiVersion: string, kind: string, options: WatchOptions, onEvent: (type: WatchEventType, object: KubeObject) => void, signal: AbortSignal): Promise<void>;
  /** Discovery: how a kind is served, or undefined if the server does not serve it (yet). */
  resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
}

/** What an adapter knows about a failed API call. */
export interface KubeFailure {
  /** The HTTP status; undefined when no response arrived (network failure, timeout). */
  readonly statusCode: number | undefined;
  /** The Status reason, e.g. `Forbidden`, `Invalid`, `NotFound`. */
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
}

interface FailureInit {
  statusCode?: number | undefined;
  reason?: string | undefined;
  ref?: ObjectRef | undefined;
  cause?: unknown;
}

export class KubeForbiddenError extends ForbiddenError implements KubeFailure {
  override readonly name: string = 'KubeForbiddenError';
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
  constructor(message: string, init: FailureInit) {
    super(message, { cause: init.cause });
    ({ statusCode: this.statusCode, reason: this.reason, ref: this.ref } = init);
  }
}
export class KubeInvalidError extends InvalidInputError implements KubeFailure {
  override readonly name: string = 'KubeInvalidError';
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
  constructor(message: string, init: FailureInit) {
    super(message, { cause: init.cause });
    ({ statusCode: this.statusCode, reason: this.reason, ref: this.ref } = init);
  }
}
export class KubeNotFoundError extends NotFoundError implements KubeFailure {
  override readonly name: string = 'KubeNotFoundError';
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
  constructor(message: string, init: FailureInit) {
    super(message, { cause: init.cause });
    ({ statusCode: this.statusCode, reason: this.reason, ref: this.ref } = init);
  }
}
export class KubeConflictError extends ConflictError implements KubeFailure {
  override readonly name: string = 'KubeConflictError';
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
  constructor(message: string, init: FailureInit) {
    super(message, { cause: init.cause });
    ({ statusCode: this.statusCode, reason: this.reason, ref: this.ref } = init);
  }
}
/** The API server could not be reached or answered with a server-side failure (5xx, 429, 410...). */
export class KubeUnavailableError extends UnavailableError implements KubeFailure {
  override readonly name: string = 'KubeUnavailableError';
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly ref: ObjectRef | undefined;
  constructor(message: string, init: FailureInit) {
    super(message, { cause: init.cause });
    ({ statusCode: this.statusCode, reason: this.reason, ref: this.ref } = init);
  }
}

export type KubeError = KubeForbiddenError | KubeInvalidError | KubeNotFoundError | KubeConflictError | KubeUnavailableError;

/** Builds the domain error for an API status code (undefined: no response). */
export function kubeError(message: string, init: FailureInit): KubeError {
  switch (init.statusCode) {
    case 403:
      return new KubeForbiddenError(message, init);
    case 400:
    case 405:
    case 406:
    case 413:
    case 415:
    case 422:
      return new KubeInvalidError(message, init);
    case 404:
      return new KubeNotFoundError(message, init);
    case 409:
      return new KubeConflictError(message, init);
    default:
      return new KubeUnavailableError(message, init);
  }
}

export function isKubeFailure(err: unknown): err is KubeError {
  return (
    err instanceof KubeForbiddenError ||
    err instanceof KubeInvalidError ||
    err instanceof KubeNotFoundError ||
    err instanceof KubeConflictError ||
    err instanceof KubeUnavailableError
  );
}

/** The reconcile decision for any error: by status for API failures; domain errors by their class; anything else backs off. */
export function decisionFor(err: unknown): Decision {
  if (isKubeFailure(err)) return decideForStatus(err.statusCode);
  if (err instanceof ForbiddenError || err instanceof InvalidInputError) return Decision.terminal;
  if (err instanceof ConflictError) return Decision.retry;
  return Decision.backoff;
}
