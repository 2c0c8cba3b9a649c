import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { contextFromTraceParent, currentTraceParent, extractTraceContext, injectTraceContext, traceIdOf, withSpan } from './index.js';

/** A header carrier shaped like NATS MsgHdrs: `get` returns '' for a missing key. */
class Headers {
  readonly values = new Map<string, string>();
  set(k: string, v: string): void {
    this.values.set(k, v);
  }
  get(k: string): string {
    return this.values.get(k) ?? '';
  }
}

describe('trace context through headers', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');

  it('a span context injected into headers and extracted back keeps trace and parent span id', () => {
    const span = tracer.startSpan('publish');
    const headers = new Headers();
    injectTraceContext(headers, trace.setSpan(ROOT_CONTEXT, span));
    assert.match(headers.get('traceparent'), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const extracted = extractTraceContext(headers);
    const remote = trace.getSpanContext(extracted);
    assert.equal(remote?.traceId, span.spanContext().traceId);
    assert.equal(remote?.spanId, span.spanContext().spanId);
    assert.equal(remote?.isRemote, true);

    // A consumer span started from the extracted context joins the same trace.
    const child = tracer.startSpan('consume', {}, extracted);
    assert.equal(child.spanContext().traceId, span.spanContext().traceId);
    child.end();
    span.end();
  });

  it('extracting from missing or malformed headers gives a context without a trace', () => {
    assert.equal(traceIdOf(extractTraceContext(undefined)), undefined);
    const bad = new Headers();
    bad.set('traceparent', 'not-a-traceparent');
    assert.equal(traceIdOf(extractTraceContext(bad)), undefined);
    const empty = new Headers();
    injectTraceContext(empty, ROOT_CONTEXT);
    assert.equal(empty.values.size, 0);
  });

  it('traceparent strings round-trip through the envelope fields, tracestate included', () => {
    const span = tracer.startSpan('render');
    const headers = new Headers();
    headers.set('traceparent', `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    headers.set('tracestate', 'vendor=abc');
    const ctx = extractTraceContext(headers);
    const parent = currentTraceParent(ctx);
    assert.equal(parent.traceparent, headers.get('traceparent'));
    assert.equal(parent.tracestate, 'vendor=abc');
    assert.equal(traceIdOf(contextFromTraceParent(parent)), span.spanContext().traceId);
    assert.deepEqual(currentTraceParent(ROOT_CONTEXT), {});
    span.end();
  });

  it('withSpan ends the span, records a thrown error and rethrows it', async () => {
    exporter.reset();
    const value = await withSpan(tracer, 'ok', { 'driftless.cluster': 'dev-1' }, () => 42, ROOT_CONTEXT);
    assert.equal(value, 42);
    await assert.rejects(
      withSpan(tracer, 'fails', {}, () => Promise.reject(new Error('nope')), ROOT_CONTEXT),
      /nope/,
    );
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((s) => s.name),
      ['ok', 'fails'],
    );
    assert.equal(spans[0]?.attributes['driftless.cluster'], 'dev-1');
    assert.equal(spans[1]?.status.code, 2 /* ERROR */);
    assert.equal(spans[1]?.status.message, 'nope');
    assert.equal(spans[1]?.events[0]?.name, 'exception');
  });
});
