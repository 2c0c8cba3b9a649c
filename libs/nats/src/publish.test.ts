import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EventValidationError, InvalidInputError } from '@driftless/contracts';
import { createLogger, traceIdOf } from '@driftless/telemetry';
import { NATS_URL, eventually } from '@driftless/testkit';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENT_TYPE_HEADER, Outcome, connectNats, consume, decodeEventMessage, eventStreamSubject, provision, publishEvent, type Provisioned } from './index.js';
import { heartbeat } from './test-helpers.js';
import { isolatedNames, removeResources } from './testing.js';

const MiB = 1024 * 1024;

describe('publishEvent and decodeEventMessage', () => {
  let nc: NatsConnection;
  let p: Provisioned;
  const names = isolatedNames('pub');
  const tracer = new BasicTracerProvider().getTracer('test');
  const log = createLogger({ name: 'test', level: 'silent' });

  before(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'publish-test' });
    p = await provision(nc, { names, eventsMaxBytes: 16 * MiB, desiredMaxBytes: 8 * MiB, manifestsMaxBytes: 16 * MiB, eventsMaxMsgBytes: 64 * 1024 });
  });
  after(async () => {
    await removeResources(nc, names);
    await nc.close();
  });

  it('stores an event once when it is published twice (Nats-Msg-Id = event id)', async () => {
    const event = heartbeat(1);
    const first = await publishEvent(p.js, event, { subjectPrefix: names.subjectPrefix });
    const second = await publishEvent(p.js, event, { subjectPrefix: names.subjectPrefix });
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    assert.equal(second.seq, first.seq);
    const info = await p.jsm.streams.info(names.eventsStream);
    assert.equal(info.state.messages, 1);

    const stored = await p.jsm.streams.getMessage(names.eventsStream, { seq: first.seq });
    assert.ok(stored);
    assert.equal(stored.subject, `${names.subjectPrefix}.${event.subject}`);
    assert.equal(stored.header.get('Nats-Msg-Id'), event.id);
    assert.equal(stored.header.get(EVENT_TYPE_HEADER), 'driftless.cluster.heartbeat.v1');
    assert.deepEqual(decodeEventMessage({ data: stored.data, headers: stored.header }).event, event);
  });

  it('trace context survives publish → consume', async () => {
    const span = tracer.startSpan('watcher: publish desired');
    const traceId = span.spanContext().traceId;
    await publishEvent(p.js, heartbeat(2), { subjectPrefix: names.subjectPrefix, context: trace.setSpan(ROOT_CONTEXT, span) });
    span.end();

    const seen: { traceId: string | undefined; type: string }[] = [];
    const controller = new AbortController();
    const done = consume({
      js: p.js,
      stream: names.eventsStream,
      durable: 'trace-reader',
      filterSubject: eventStreamSubject(names),
      concurrency: 1,
      pullExpiresMs: 1000,
      signal: controller.signal,
      log,
      handle: (msg, ctx) => {
        const { event, traceContext } = decodeEventMessage(msg);
        assert.equal(traceIdOf(traceContext), traceIdOf(ctx.traceContext));
        seen.push({ traceId: traceIdOf(traceContext), type: event.type });
        return Outcome.ack();
      },
    });
    await eventually(() => seen.length === 2, { what: 'both events consumed' });
    controller.abort();
    await done;
    // The first event was published without a span: it carries no trace. The second carries the publisher's.
    assert.equal(seen[0]?.traceId, undefined);
    assert.equal(seen[1]?.traceId, traceId);
  });

  it('falls back to the envelope traceparent when nothing is active', async () => {
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const event = { ...heartbeat(3), traceparent };
    const ack = await publishEvent(p.js, event, { subjectPrefix: names.subjectPrefix });
    const stored = await p.jsm.streams.getMessage(names.eventsStream, { seq: ack.seq });
    assert.equal(stored?.header.get('traceparent'), traceparent);
    // Without headers the envelope's traceparent is used on the way out too.
    assert.equal(traceIdOf(decodeEventMessage({ data: stored?.data ?? new Uint8Array() }).traceContext), 'a'.repeat(32));
  });

  it('refuses an event larger than the stream allows with an InvalidInputError', async () => {
    const big = { ...heartbeat(4), data: { ...heartbeat(4).data, agentVersion: 'x'.repeat(100 * 1024) } };
    await assert.rejects(publishEvent(p.js, big, { subjectPrefix: names.subjectPrefix }), (err: Error) => {
      assert.ok(err instanceof InvalidInputError, `${err.name}: ${err.message}`);
      assert.match(err.message, /publishing driftless\.cluster\.heartbeat\.v1 [0-9a-f]+ to /);
      return true;
    });
  });

  it('decodeEventMessage refuses what is not an event', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    assert.throws(() => decodeEventMessage({ data: bytes('{nope') }), (err: Error) => err instanceof EventValidationError && /not valid JSON/.test(err.message));
    assert.throws(() => decodeEventMessage({ data: bytes(JSON.stringify({ ...heartbeat(1), type: 'driftless.nope.v1' })) }), /unknown event type/);
    assert.throws(() => decodeEventMessage({ data: bytes(JSON.stringify(heartbeat(1))) }, 'driftless.agent.applied.v1'), /expected event type/);
  });
});
