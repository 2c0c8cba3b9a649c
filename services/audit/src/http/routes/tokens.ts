/** API tokens (admin): create (the secret is shown once), list (never a secret), revoke. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../core/registration.js';
import { Role } from '../../core/roles.js';
import type { ApiTokenAdmin, ApiTokenInfo } from '../../registration-ports.js';
import { CreatedTokenSchema, CreateTokenBodySchema, TokenListSchema, TokensQuerySchema } from '../registration-schemas.js';
import { responses } from '../schemas.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function presentApiToken(t: ApiTokenInfo) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    email: t.email,
    createdAt: t.createdAt.toISOString(),
    createdBy: t.createdBy,
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
    revokedBy: t.revokedBy,
  };
}

export function tokenRoutes(tokens: ApiTokenAdmin): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/v1/tokens',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Create an API token',
          description: 'The secret is returned only here; the service stores its sha256. Names are unique among active tokens: they name the caller in the audit log.',
          tags: ['tokens'],
          body: CreateTokenBodySchema,
          response: responses({ 201: CreatedTokenSchema, 409: Type.Ref('Problem') }),
        },
      },
      async (request, reply) => {
        const { secret, ...token } = await tokens.create(request.body.name, request.body.role, actorOf(request.principal), request.body.email ?? null);
        request.log.info({ tokenId: token.id, role: token.role, actor: actorOf(request.principal) }, 'API token created');
        return reply.code(201).send({ token: presentApiToken(token), secret });
      },
    );

    app.get(
      '/v1/tokens',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Every API token with its role and last use (never a secret)',
          tags: ['tokens'],
          querystring: TokensQuerySchema,
          response: responses({ 200: TokenListSchema }),
        },
      },
      async (request) => ({ items: (await tokens.list({ isRevokedIncluded: request.query.includeRevoked })).map(presentApiToken) }),
    );

    app.delete(
      '/v1/tokens/:id',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Revoke an API token',
          description: 'Takes effect on the next request made with it. Revoking a revoked token changes nothing.',
          tags: ['tokens'],
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
          response: responses({ 200: Type.Ref('ApiToken') }),
        },
      },
      async (request) => {
        const token = await tokens.revoke(request.params.id, actorOf(request.principal));
        request.log.info({ tokenId: token.id, actor: actorOf(request.principal) }, 'API token revoked');
        return presentApiToken(token);
      },
    );
    done();
  };
}
