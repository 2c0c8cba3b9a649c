/**
 * Bearer-token authentication and role checks. Every route needs at least the viewer role
 * unless it is explicitly marked public (health, metrics, API docs): forgetting to mark a new
 * route makes it private, not open.
 */
import { createHash } from 'node:crypto';
import { ForbiddenError } from '@driftless/contracts';
import type { FastifyRequest } from 'fastify';
import { isRoleAtLeast, Role } from '../core/roles.js';
import type { ApiToken, TokenStore } from '../ports.js';
import { UnauthenticatedError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without a token. */
    isPublic?: boolean;
    /** Least role allowed (default viewer). */
    minRole?: Role;
  }
  interface FastifyRequest {
    principal?: ApiToken;
  }
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]{16,512})$/i;

/** Prefixes served by plugins that cannot carry route config (the API docs). */
const PUBLIC_PREFIXES = ['/docs'];

export function authenticate(tokens: TokenStore) {
  return async (request: FastifyRequest): Promise<void> => {
    const config = request.routeOptions.config;
    if (config.isPublic || request.routeOptions.url === undefined) return;
    if (PUBLIC_PREFIXES.some((p) => request.url === p || request.url.startsWith(`${p}/`))) return;
    const header = request.headers.authorization;
    if (header === undefined || header === '') throw new UnauthenticatedError('this route needs a bearer token: send "Authorization: Bearer <token>"');
    const match = BEARER.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError('the Authorization header must be "Bearer <token>"');
    const token = await tokens.findByHash(createHash('sha256').update(match[1], 'utf8').digest('hex'));
    if (!token) throw new UnauthenticatedError('the bearer token is not valid or has been revoked');
    const needed = config.minRole ?? Role.viewer;
    if (!isRoleAtLeast(token.role, needed)) {
      throw new ForbiddenError(`this route needs the ${needed} role; token "${token.name}" has the ${token.role} role`);
    }
    request.principal = token;
  };
}
