/**
 * Request and response schemas of registration, enrollment and API-token routes. Secrets (the
 * bootstrap token, the agent JWT, an API token) appear only in the response of the one call
 * that creates them; every listing schema leaves them out, so they cannot leak by accident.
 */
import { Type, type Static } from '@sinclair/typebox';
import { MAX_BOOTSTRAP_TTL_S, MIN_BOOTSTRAP_TTL_S } from '../core/registration.js';
import { ROLES } from '../core/roles.js';
import { Cursor, Name, Nullable, Time } from './schemas.js';

const Labels = Type.Record(Type.String({ maxLength: 316 }), Type.String({ maxLength: 63 }), { description: 'Kubernetes-style labels, e.g. {"region":"eu"}' });
/** One JSON type list, not anyOf: with a list, ajv coerces nothing that already matches one of the types. */
const ScalarValue = Type.Unsafe<string | number | boolean>({ type: ['string', 'number', 'boolean'], maxLength: 4096 });
const Values = Type.Record(Type.String({ maxLength: 128 }), ScalarValue, {
  description: 'Per-cluster values for rendering, e.g. {"replicas":3}',
});
const TtlSeconds = Type.Integer({
  minimum: MIN_BOOTSTRAP_TTL_S,
  maximum: MAX_BOOTSTRAP_TTL_S,
  description: `How long the bootstrap token stays valid (default one hour)`,
});

export const RegistrationSchema = Type.Object(
  {
    name: Type.String(),
    stage: Type.String(),
    labels: Type.Record(Type.String(), Type.String()),
    values: Type.Record(Type.String(), ScalarValue),
    registeredBy: Type.String({ description: 'The API token that registered it, as `token:<name>`' }),
    registeredAt: Time,
    revokedBy: Nullable(Type.String()),
    revokedAt: Nullable(Time),
    revokeReason: Nullable(Type.String()),
  },
  { $id: 'Registration' },
);

export const BootstrapTokenSchema = Type.Object({
  id: Type.String({ description: 'Names the token in the enrollment log; not a secret' }),
  token: Type.String({ description: 'The one-time bootstrap token. Shown only in this response.' }),
  expiresAt: Time,
  helmInstallCommand: Type.String({ description: 'The exact command that installs the agent chart with this token' }),
});

export const RegisterBodySchema = Type.Object(
  {
    name: Name,
    stage: Name,
    labels: Type.Optional(Labels),
    values: Type.Optional(Values),
    ttlSeconds: Type.Optional(TtlSeconds),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBodySchema>;

export const RegisteredSchema = Type.Object({ cluster: Type.Ref('Registration'), bootstrapToken: BootstrapTokenSchema });

export const TokenTtlBodySchema = Type.Object({ ttlSeconds: Type.Optional(TtlSeconds) }, { additionalProperties: false });

export const RevokeQuerySchema = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) });

export const RevokedSchema = Type.Object({
  cluster: Type.Ref('Registration'),
  revokedCredentials: Type.Integer({ description: 'Agent credentials this call revoked' }),
  wasAlreadyRevoked: Type.Boolean({ description: 'The cluster was revoked before; the revocation list was pushed again' }),
});

export const EnrollBodySchema = Type.Object(
  {
    bootstrapToken: Type.String({ minLength: 16, maxLength: 512 }),
    publicKey: Type.String({ pattern: '^U[A-Z2-7]{55}$', description: 'The NATS user public key the agent generated (its seed never leaves the agent)' }),
  },
  { additionalProperties: false },
);

export const EnrolledSchema = Type.Object({
  cluster: Type.String(),
  jwt: Type.String({ description: 'The user JWT for the presented public key. Shown only in this response.' }),
  inboxPrefix: Type.String({ description: 'Connect with this inbox prefix: the credential allows no other' }),
  natsUrls: Type.Array(Type.String()),
  subjectPrefix: Type.String({ description: 'Prefix of every event subject, empty for none' }),
});

export const EnrollmentsQuerySchema = Type.Object({
  cluster: Type.Optional(Name),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  cursor: Type.Optional(Cursor),
});

export const EnrollmentPageSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      id: Type.Integer(),
      attemptedAt: Time,
      outcome: Type.Union(['enrolled', 'unknown_token', 'used_token', 'expired_token', 'voided_token', 'revoked_cluster'].map((o) => Type.Literal(o))),
      cluster: Nullable(Type.String()),
      tokenId: Nullable(Type.String()),
      publicKey: Type.String(),
      remoteAddress: Nullable(Type.String()),
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

export const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

export const ApiTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    email: Nullable(Type.String({ description: 'Whom promotions by this token are authored as; <name>@users.driftless when null' })),
    createdAt: Time,
    createdBy: Nullable(Type.String()),
    lastUsedAt: Nullable(Time),
    revokedAt: Nullable(Time),
    revokedBy: Nullable(Type.String()),
  },
  { $id: 'ApiToken' },
);

export const CreateTokenBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._@-]*$' }),
    role: RoleSchema,
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@<>]+@[^\\s@<>]+$', description: 'The person behind the token: promotion commits are authored as `name <email>`' })),
  },
  { additionalProperties: false },
);

export const CreatedTokenSchema = Type.Object({
  token: Type.Ref('ApiToken'),
  secret: Type.String({ description: 'The bearer token. Shown only in this response.' }),
});

export const TokensQuerySchema = Type.Object({ includeRevoked: Type.Boolean({ default: false }) });
export const TokenListSchema = Type.Object({ items: Type.Array(Type.Ref('ApiToken')) });
