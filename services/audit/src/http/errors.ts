/**
 * One error handler for the whole API: domain errors become `application/problem+json`
 * documents with stable type URNs; anything unexpected becomes a 500 that says nothing internal.
 */
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError, UnavailableError } from '@driftless/contracts';
import { TransientDbError } from '@driftless/db';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Problem } from './schemas.js';

/** No usable credentials were presented. */
export class UnauthenticatedError extends Error {
  override readonly name: string = 'UnauthenticatedError';
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

interface Mapped {
  status: number;
  code: string;
  title: string;
}

function classify(err: unknown): Mapped {
  if (err instanceof UnauthenticatedError) return { status: 401, code: 'unauthenticated', title: 'Unauthorized' };
  if (err instanceof ForbiddenError) return { status: 403, code: 'forbidden', title: 'Forbidden' };
  if (err instanceof NotFoundError) return { status: 404, code: 'not-found', title: 'Not Found' };
  if (err instanceof ConflictError) return { status: 409, code: 'conflict', title: 'Conflict' };
  if (err instanceof InvalidInputError) return { status: 400, code: 'invalid-input', title: 'Bad Request' };
  if (err instanceof UnavailableError || err instanceof TransientDbError) return { status: 503, code: 'unavailable', title: 'Service Unavailable' };
  const e = err as Partial<FastifyError>;
  if (e.validation) return { status: 400, code: 'invalid-input', title: 'Bad Request' };
  // fastify's own client errors (unsupported media type, body too large, bad JSON, …).
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, code: 'client-error', title: 'Bad Request' };
  return { status: 500, code: 'internal', title: 'Internal Server Error' };
}

export function problem(status: number, code: string, title: string, detail: string, instance?: string): Problem {
  return { type: `urn:driftless:problem:${code}`, title, status, detail, ...(instance === undefined ? {} : { instance }) };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, code, title } = classify(err);
  const instance = request.url.split('?')[0];
  if (status >= 500) {
    request.log.error({ err, route: request.routeOptions.url }, 'request failed');
  }
  // A 500 never echoes the error: it could carry SQL, paths or data from another request.
  const detail = status === 500 ? 'an unexpected error occurred; it has been logged' : (err as Error).message;
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="driftless"');
  if (status === 503) reply.header('retry-after', '5');
  return sendProblem(reply, problem(status, code, title, detail, instance));
}
