/**
 * The audit HTTP API as a fastify instance that never listens: `main.ts` listens, tests use
 * `inject()`. Schema-first routes (one plugin per resource), OpenAPI at `/openapi.json` with a
 * docs page at `/docs`, one error handler, bearer-token auth on everything not marked public.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from '@driftless/telemetry';
import Fastify from 'fastify';
import { TRANSITION_KINDS } from '../core/kinds.js';
import type { AuditQueries, ReadinessCheck, TokenStore } from '../ports.js';
import type { Registrar } from '../registrar.js';
import type { ApiTokenAdmin } from '../registration-ports.js';
import { authenticate } from './auth.js';
import { errorHandler, problem, sendProblem } from './errors.js';
import { ApiTokenSchema, RegistrationSchema } from './registration-schemas.js';
import type { ChangeApprovals } from '../promotion-changes.js';
import type { Promotions } from '../promotions.js';
import { HeldChangeSchema, PromotionSchema } from './promotion-schemas.js';
import { changeRoutes } from './routes/changes.js';
import { promotionRoutes } from './routes/promotions.js';
import { agentRoutes } from './routes/agents.js';
import { auditRoutes } from './routes/audit.js';
import { clusterRegistrationRoutes } from './routes/cluster-registration.js';
import { clusterRoutes } from './routes/clusters.js';
import { commitRoutes } from './routes/commits.js';
import { componentRoutes } from './routes/components.js';
import { diffRoutes } from './routes/diff.js';
import type { InventoryCache } from './inventory-cache.js';
import { inventoryRoutes } from './routes/inventory.js';
import { opsRoutes, type MetricsSource } from './routes/ops.js';
import { streamRoutes } from './routes/stream.js';
import { tokenRoutes } from './routes/tokens.js';
import { transitionsRoutes } from './routes/transitions.js';
import { uiRoutes } from './routes/ui.js';
import { whoamiRoutes } from './routes/whoami.js';
import type { TransitionHub } from '../stream.js';
import { ClusterSchema, InventoryItemSchema, ProblemSchema, TransitionSchema } from './schemas.js';

export interface AppDeps {
  queries: AuditQueries;
  tokens: TokenStore;
  readiness?: readonly ReadinessCheck[];
  metrics?: MetricsSource;
  /** Request logging; off when omitted (tests). */
  log?: Logger;
  version?: string;
  /** Cluster registration and agent enrollment; the routes are absent without it. */
  registrar?: Registrar;
  /** API-token administration; the routes are absent without it. */
  tokenAdmin?: ApiTokenAdmin;
  /** The API's URL as agents reach it, for install commands (default: as the request reached it). */
  publicUrl?: string;
  /** The live ledger behind `GET /v1/stream`; the route is absent without it. */
  stream?: TransitionHub;
  /** Pause between the stream's keep-alive comments (default 15 s). */
  streamHeartbeatMs?: number;
  /** Folder of the built web UI served at `/ui/`; without one `/ui/` explains how to build it. */
  uiDir?: string;
  /** Promotions and approvals of held changes; the routes are absent without them. */
  promotions?: Promotions;
  changeApprovals?: ChangeApprovals;
  /** Inventory responses kept per ledger tip (default: a 64 Mi-character cache; the benchmark passes an empty one to measure cold). */
  inventoryCache?: InventoryCache;
}

export async function buildApp(deps: AppDeps) {
  const app = Fastify({
    ...(deps.log ? { loggerInstance: deps.log } : { logger: false }),
    // Repeated query parameters (kind=a&kind=b) arrive as arrays; one value is coerced to [value].
    // allowUnionTypes: a type list ("string or number") is how a value keeps its JSON type under coercion.
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allowUnionTypes: true } },
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  for (const schema of [ProblemSchema, TransitionSchema, InventoryItemSchema, ClusterSchema, RegistrationSchema, ApiTokenSchema, PromotionSchema, HeldChangeSchema]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Driftless audit API',
        version: deps.version ?? '0.1.0',
        description: `Every version transition on every cluster, tamper-evident and kept forever. Transition kinds: ${TRANSITION_KINDS.join(', ')}.`,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (roles viewer, operator, admin)' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, 'not-found', 'Not Found', `no route ${request.method} ${request.url.split('?')[0]}`)));
  app.addHook('onRequest', authenticate(deps.tokens));

  app.get(
    '/openapi.json',
    { config: { isPublic: true }, schema: { hide: true } },
    () => app.swagger(),
  );

  await app.register(transitionsRoutes(deps.queries));
  await app.register(inventoryRoutes(deps.queries, deps.inventoryCache));
  await app.register(componentRoutes(deps.queries));
  await app.register(diffRoutes(deps.queries));
  await app.register(commitRoutes(deps.queries));
  await app.register(clusterRoutes(deps.queries));
  await app.register(auditRoutes(deps.queries));
  if (deps.registrar) {
    await app.register(clusterRegistrationRoutes(deps.registrar, deps.publicUrl));
    await app.register(agentRoutes(deps.registrar));
  }
  if (deps.tokenAdmin) await app.register(tokenRoutes(deps.tokenAdmin));
  if (deps.promotions) await app.register(promotionRoutes(deps.promotions));
  if (deps.changeApprovals) await app.register(changeRoutes(deps.changeApprovals));
  await app.register(whoamiRoutes());
  if (deps.stream) await app.register(streamRoutes(deps.stream, deps.streamHeartbeatMs === undefined ? {} : { heartbeatMs: deps.streamHeartbeatMs }));
  await app.register(uiRoutes(deps.uiDir));
  await app.register(opsRoutes(deps.readiness ?? [], deps.metrics));
  return app;
}
