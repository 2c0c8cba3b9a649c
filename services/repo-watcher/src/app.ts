/**
 * The watcher's HTTP surface, built without listening so tests use `inject()`: health, readiness,
 * Prometheus metrics, and the push-webhook receiver that verifies a signature on the raw body
 * before anything else and only ever *triggers* a sync.
 */
import { ForbiddenError, InvalidInputError, NotFoundError, UnavailableError } from '@driftless/contracts';
import { PROMETHEUS_CONTENT_TYPE, type Logger } from '@driftless/telemetry';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { isWebhookProvider, parsePushNotice, verifyWebhook } from './core/webhook.js';
import type { WatcherMetrics } from './metrics.js';
import type { RepoStatus } from './repo-sync.js';

export interface WatchedRepo {
  name: string;
  branch: string;
  /** Absent: webhooks for this repository are refused (polling only). */
  webhookSecret?: string;
}

export interface AppDeps {
  repos: readonly WatchedRepo[];
  /** Asks for a sync of `repo`; returns immediately (bursts coalesce). */
  requestSync(repo: string): void;
  statuses(): readonly RepoStatus[];
  isNatsConnected(): boolean;
  renderMetrics(): Promise<string>;
  metrics: WatcherMetrics;
  maxBodyBytes: number;
  log: Logger;
}

const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

const RepoStatusBody = {
  type: 'object',
  properties: {
    repo: { type: 'string' },
    branch: { type: 'string' },
    isLeaseHeld: { type: 'boolean' },
    hasSynced: { type: 'boolean' },
    lastCommitSha: { type: 'string' },
    lastError: { type: 'string' },
    lastSyncAt: { type: 'string' },
  },
} as const;

const ReadyBody = {
  type: 'object',
  required: ['status', 'isNatsConnected', 'repos'],
  properties: { status: { type: 'string' }, isNatsConnected: { type: 'boolean' }, repos: { type: 'array', items: RepoStatusBody } },
} as const;

const AcceptedBody = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['accepted', 'ignored'] }, reason: { type: 'string' } },
} as const;

class UnauthorizedError extends ForbiddenError {
  override readonly name: string = 'UnauthorizedError';
}

export function buildApp(deps: AppDeps): FastifyInstance {
  // No per-request logging: webhooks can be frequent; failures are logged by the error handler.
  const httpLog = deps.log.child({ unit: 'http' });
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: deps.maxBodyBytes });
  const repos = new Map(deps.repos.map((r) => [r.name, r]));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const [status, code] = classify(err);
    if (status >= 500) httpLog.error({ err, method: request.method, url: request.url }, 'request failed');
    void reply.status(status).send({ error: { code, message: status >= 500 ? 'internal error' : err.message } });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url}` } });
  });

  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { response: { 200: ReadyBody, 503: ReadyBody } } }, async (_request, reply) => {
    const statuses = deps.statuses();
    const isNatsConnected = deps.isNatsConnected();
    // Ready once NATS is up and every repository has been synced once (or found led by another watcher).
    const isReady = isNatsConnected && statuses.every((s) => s.hasSynced);
    return reply.status(isReady ? 200 : 503).send({ status: isReady ? 'ready' : 'not ready', isNatsConnected, repos: statuses });
  });

  app.get('/metrics', async (_request, reply) => reply.type(PROMETHEUS_CONTENT_TYPE).send(await deps.renderMetrics()));

  void app.register((scope, _opts, done) => {
    // The signature covers the exact bytes received, so the body stays a raw Buffer here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, parsed) => parsed(null, body));

    scope.post<{ Params: { provider: string; repo: string } }>(
      '/webhooks/:provider/:repo',
      {
        bodyLimit: deps.maxBodyBytes,
        schema: {
          params: { type: 'object', required: ['provider', 'repo'], properties: { provider: { type: 'string' }, repo: { type: 'string' } } },
          response: { 202: AcceptedBody, 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 413: ErrorBody },
        },
      },
      async (request, reply) => {
        const { provider, repo: name } = request.params;
        const count = (result: string) => deps.metrics.webhooks.add(1, { provider, result });
        if (!isWebhookProvider(provider)) {
          count('unknown-provider');
          throw new NotFoundError(`unknown webhook provider "${provider}"; use github, gitea or gitlab`);
        }
        const repo = repos.get(name);
        if (!repo) {
          count('unknown-repo');
          throw new NotFoundError(`repository "${name}" is not watched here`);
        }
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (repo.webhookSecret === undefined || !verifyWebhook(provider, request.headers, body, repo.webhookSecret)) {
          count('unauthorized');
          throw new UnauthorizedError(`the ${provider} webhook signature for repository "${name}" is missing or wrong`);
        }
        let notice;
        try {
          notice = parsePushNotice(provider, request.headers, body);
        } catch (err) {
          count('bad-payload');
          throw new InvalidInputError((err as Error).message, { cause: err });
        }
        if (notice.kind === 'ignored') {
          count('ignored');
          return reply.status(202).send({ status: 'ignored', reason: notice.reason });
        }
        if (notice.branch !== repo.branch) {
          count('ignored');
          return reply.status(202).send({ status: 'ignored', reason: `branch ${notice.branch} is not watched (watching ${repo.branch})` });
        }
        count('accepted');
        deps.requestSync(name);
        return reply.status(202).send({ status: 'accepted' });
      },
    );
    done();
  });
  return app;
}

function classify(err: FastifyError): [number, string] {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return [413, 'payload_too_large'];
  if (err.validation !== undefined) return [400, 'invalid_request'];
  if (err instanceof UnauthorizedError) return [401, 'unauthorized'];
  if (err instanceof NotFoundError) return [404, 'not_found'];
  if (err instanceof ForbiddenError) return [403, 'forbidden'];
  if (err instanceof InvalidInputError) return [400, 'invalid_input'];
  if (err instanceof UnavailableError) return [503, 'unavailable'];
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) return [err.statusCode, 'bad_request'];
  return [500, 'internal'];
}
