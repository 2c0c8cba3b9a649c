/** `/healthz` (the process answers), `/readyz` (its dependencies answer) and `/metrics`: no token needed. */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ReadinessCheck } from '../../ports.js';
import { HealthzSchema, ReadyzSchema } from '../schemas.js';

export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export function opsRoutes(readiness: readonly ReadinessCheck[], metrics: MetricsSource | undefined): FastifyPluginCallbackTypebox {
  return (app, _options, done) => {
    app.get(
      '/healthz',
      { config: { isPublic: true }, schema: { summary: 'Liveness', tags: ['ops'], security: [], response: { 200: HealthzSchema } } },
      () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      { config: { isPublic: true }, schema: { summary: 'Readiness: Postgres and NATS answer', tags: ['ops'], security: [], response: { 200: ReadyzSchema, 503: ReadyzSchema } } },
      async (_request, reply) => {
        const checks = await Promise.all(
          readiness.map(async (c) => {
            try {
              await c.check();
              return { name: c.name, isReady: true };
            } catch (err) {
              return { name: c.name, isReady: false, detail: (err as Error).message };
            }
          }),
        );
        const isReady = checks.every((c) => c.isReady);
        return reply.code(isReady ? 200 : 503).send({ status: isReady ? 'ready' : 'not ready', checks });
      },
    );

    app.get(
      '/metrics',
      {
        config: { isPublic: true },
        schema: {
          summary: 'Prometheus metrics',
          tags: ['ops'],
          security: [],
          produces: ['text/plain'],
          response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
        },
      },
      async (_request, reply) => {
        const text = metrics ? await metrics.render() : '';
        return reply.type(metrics?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8').send(text);
      },
    );
    done();
  };
}
