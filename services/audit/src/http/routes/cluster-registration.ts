/**
 * Registering and revoking clusters (admin): `POST /v1/clusters` returns the one-time bootstrap
 * token and the agent's install command, `POST /v1/clusters/{name}/bootstrap-tokens` issues
 * another, `DELETE /v1/clusters/{name}` revokes every credential of the cluster.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { Role } from '../../core/roles.js';
import type { Caller, IssuedBootstrapToken, Registrar } from '../../registrar.js';
import type { Registration } from '../../registration-ports.js';
import { BootstrapTokenSchema, RegisterBodySchema, RegisteredSchema, RevokedSchema, RevokeQuerySchema, TokenTtlBodySchema } from '../registration-schemas.js';
import { Name, responses } from '../schemas.js';

export function presentRegistration(r: Registration) {
  return {
    name: r.cluster,
    stage: r.stage,
    labels: r.labels,
    values: r.values,
    registeredBy: r.registeredBy,
    registeredAt: r.registeredAt.toISOString(),
    revokedBy: r.revokedBy,
    revokedAt: r.revokedAt?.toISOString() ?? null,
    revokeReason: r.revokeReason,
  };
}

const presentToken = (t: IssuedBootstrapToken) => ({ ...t, expiresAt: t.expiresAt.toISOString() });

/** The caller and where agents reach this API (configured, else as this request reached it). */
export function callerOf(request: FastifyRequest, publicUrl: string | undefined): Caller {
  return { principal: request.principal, apiUrl: publicUrl ?? `${request.protocol}://${request.host}` };
}

export function clusterRegistrationRoutes(registrar: Registrar, publicUrl: string | undefined): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.post(
      '/v1/clusters',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Register a cluster and get a one-time bootstrap token for its agent',
          description:
            'Records a cluster_registered transition with the caller as actor. The bootstrap token (default lifetime one hour) is shown only in this response and stored hashed; the agent trades it once for its NATS credentials. 503 when NATS operator mode is not configured.',
          tags: ['clusters'],
          body: RegisterBodySchema,
          response: responses({ 201: RegisteredSchema, 409: Type.Ref('Problem') }),
        },
      },
      async (request, reply) => {
        const b = request.body;
        const { registration, bootstrapToken } = await registrar.register(
          { name: b.name, stage: b.stage, labels: b.labels ?? {}, values: b.values ?? {}, ...(b.ttlSeconds === undefined ? {} : { ttlSeconds: b.ttlSeconds }) },
          callerOf(request, publicUrl),
        );
        return reply.code(201).send({ cluster: presentRegistration(registration), bootstrapToken: presentToken(bootstrapToken) });
      },
    );

    app.post(
      '/v1/clusters/:name/bootstrap-tokens',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Issue another one-time bootstrap token for a registered cluster',
          description: 'For installing the agent again (a new pod without its credentials, a lost or expired token). Earlier credentials keep working.',
          tags: ['clusters'],
          params: Type.Object({ name: Name }),
          body: Type.Optional(TokenTtlBodySchema),
          response: responses({ 201: BootstrapTokenSchema, 409: Type.Ref('Problem') }),
        },
      },
      async (request, reply) => {
        const token = await registrar.issueBootstrapToken(request.params.name, request.body?.ttlSeconds, callerOf(request, publicUrl));
        return reply.code(201).send(presentToken(token));
      },
    );

    app.delete(
      '/v1/clusters/:name',
      {
        config: { minRole: Role.admin },
        schema: {
          summary: 'Revoke a cluster: every credential issued for it stops working',
          description:
            'Adds the keys of every agent credential of the cluster to the account revocation list, pushes the re-signed account JWT to NATS (connected agents are cut off) and records a cluster_revoked transition. Repeating it is safe and pushes the list again.',
          tags: ['clusters'],
          params: Type.Object({ name: Name }),
          querystring: RevokeQuerySchema,
          response: responses({ 200: RevokedSchema }),
        },
      },
      async (request) => {
        const result = await registrar.revoke(request.params.name, request.query.reason ?? null, callerOf(request, publicUrl));
        return { cluster: presentRegistration(result.registration), revokedCredentials: result.revokedCredentials, wasAlreadyRevoked: result.wasAlreadyRevoked };
      },
    );
    done();
  };
}
