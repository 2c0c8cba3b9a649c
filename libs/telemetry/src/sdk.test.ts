import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { createLogger, currentTraceParent, samplerFromEnv, startTelemetry, tracesUrlFromEnv, TelemetryConfigError, withSpan } from './index.js';

describe('OTEL_* handling', () => {
  it('exports traces only when asked to', () => {
    assert.equal(tracesUrlFromEnv({}), undefined);
    assert.equal(tracesUrlFromEnv({ OTEL_TRACES_EXPORTER: 'otlp' }), 'http://localhost:4318/v1/traces');
    assert.equal(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
    assert.equal(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }), 'http://c:4318/custom');
    assert.equal(tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }), undefined);
  });

  it('refuses unsupported values with a message naming the variable', () => {
    assert.throws(() => tracesUrlFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' }), (e: Error) => e instanceof TelemetryConfigError && /OTEL_TRACES_EXPORTER="zipkin"/.test(e.message));
    assert.throws(() => tracesUrlFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /is not a URL/);
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }), /OTEL_TRACES_SAMPLER_ARG="2"/);
    assert.throws(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }), /OTEL_TRACES_SAMPLER="sometimes"/);
    assert.throws(() => startTelemetry({ serviceName: 's', serviceVersion: '1', env: { OTEL_EXPORTER_OTLP_HEADERS: 'novalue' } }), /OTEL_EXPORTER_OTLP_HEADERS/);
  });
});

describe('startTelemetry', () => {
  // A stand-in OTLP/HTTP collector that records what it receives.
  const received: { url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  after(() => collector.close());

  it('exports spans over OTLP/HTTP to the configured endpoint, with service name and headers, and activates context', async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const telemetry = startTelemetry({
      serviceName: 'repo-watcher',
      serviceVersion: '0.1.0',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D' },
    });
    assert.equal(telemetry.isTraceExportEnabled, true);

    const lines: string[] = [];
    const log = createLogger({ name: 't', destination: { write: (l: string) => void lines.push(l) } });
    const tracer = trace.getTracer('test');
    let traceId = '';
    await withSpan(tracer, 'render commit', { 'driftless.repo': 'envs' }, async (span) => {
      traceId = span.spanContext().traceId;
      // The SDK registered a context manager: the span is active across an await.
      await new Promise((r) => setTimeout(r, 1));
      assert.equal(trace.getSpan(context.active())?.spanContext().traceId, traceId);
      assert.ok(currentTraceParent().traceparent?.includes(traceId));
      log.info('inside');
    });
    const logged = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    assert.equal(logged['traceId'], traceId);

    await telemetry.shutdown();
    const request = received.find((r) => r.url === '/v1/traces');
    assert.ok(request, `collector received ${JSON.stringify(received.map((r) => r.url))}`);
    assert.equal(request.headers['x-api-key'], 'abc=');
    assert.ok(request.body.includes('render commit'));
    assert.ok(request.body.includes('repo-watcher'));
    assert.ok(request.body.includes(traceId));
  });
});
