import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TerminalError, subjects, type DriftlessEvent } from '@driftless/contracts';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, eventually } from '@driftless/testkit';
import { AckPolicy, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  Outcome,
  connectNats,
  consume,
  consumeBatches,
  decodeEventMessage,
  provision,
  publishEvent,
  wireSubject,
  type ConsumeBatchesOptions,
  type ConsumeOptions,
  type Provisioned,
} from './index.js';
import { captureLogger, heartbeat } from './test-helpers.js';
import { isolatedNames, removeResources, startNatsServer } from './testing.js';

const MiB = 1024 * 1024;
const small = { eventsMaxBytes: 16 * MiB, desiredMaxBytes: 8 * MiB, manifestsMaxBytes: 16 * MiB };
const silent = createLogger({ name: 'test', level: 'silent' });

/** Which heartbeat a message carries (its `components` number). */
const numberOf = (msg: JsMsg): number => {
  const { event } = decodeEventMessage(msg);
  assert.equal(event.type, 'driftless.cluster.heartbeat.v1');
  return (event as DriftlessEvent & { type: 'driftless.cluster.heartbeat.v1' }).data.components;
};

describe('consume and consumeBatches', () => {
  let nc: NatsConnection;
  let p: Provisioned;
  const names = isolatedNames('cons');

  before(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'consume-test' });
    p = await provision(nc, { ...small, names });
  });
  after(async () => {
    await removeResources(nc, names);
    await nc.close();
  });

  /** Publishes heartbeats 1..n from cluster `cluster`; each test uses its own cluster, so its own subjects. */
  async function publish(cluster: string, numbers: readonly number[]): Promise<void> {
    for (const n of numbers) await publishEvent(p.js, heartbeat(n, cluster), { subjectPrefix: names.subjectPrefix });
  }
  const filterFor = (cluster: string) => wireSubject(subjects.cluster(cluster, 'heartbeat'), names.subjectPrefix);

  function run(cluster: string, options: Partial<ConsumeOptions> & Pick<ConsumeOptions, 'handle'>) {
    const controller = new AbortController();
    const done = consume({
      js: p.js,
      stream: names.eventsStream,
      durable: `d-${cluster}`,
      filterSubject: filterFor(cluster),
      concurrency: 1,
      pullExpiresMs: 1000,
      signal: controller.signal,
      log: silent,
      ...options,
    });
    return { controller, done, stop: async () => (controller.abort(), await done) };
  }

  const settled = (cluster: string) =>
    eventually(
      async () => {
        const info = await p.jsm.consumers.info(names.eventsStream, `d-${cluster}`);
        return info.num_ack_pending === 0 && info.num_pending === 0 ? info : undefined;
      },
      { what: `consumer d-${cluster} to have nothing pending` },
    );

  it('acks what the handler acks', async () => {
    const seen: number[] = [];
    const c = run('c-ack', { handle: (msg) => (seen.push(numberOf(msg)), Outcome.ack()) });
    await publish('c-ack', [1, 2, 3]);
    await eventually(() => seen.length === 3, { what: 'three deliveries' });
    const info = await settled('c-ack');
    await c.stop();
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(info.num_redelivered, 0);
  });

  it('redelivers what the handler naks', async () => {
    const deliveries: number[] = [];
    const c = run('c-nak', {
      handle: (_msg, ctx) => (deliveries.push(ctx.deliveryCount), ctx.deliveryCount === 1 ? Outcome.nak(0) : Outcome.ack()),
    });
    await publish('c-nak', [1]);
    await eventually(() => deliveries.length === 2, { what: 'a redelivery' });
    await settled('c-nak');
    await c.stop();
    assert.deepEqual(deliveries, [1, 2]);
  });

  it('naks a thrown error with a backoff delay and retries it', async () => {
    const deliveries: number[] = [];
    const { log, lines } = captureLogger();
    const c = run('c-throw', {
      log,
      retryInitialDelayMs: 50,
      retryMaxDelayMs: 50,
      handle: (_msg, ctx) => {
        deliveries.push(ctx.deliveryCount);
        if (ctx.deliveryCount === 1) throw new Error('database is down');
        return Outcome.ack();
      },
    });
    await publish('c-throw', [1]);
    await eventually(() => deliveries.length === 2, { what: 'a retry' });
    await settled('c-throw');
    await c.stop();
    assert.deepEqual(deliveries, [1, 2]);
    const failed = lines().find((l) => l['msg'] === 'handler failed');
    assert.equal(failed?.['reason'], 'database is down');
    assert.equal(failed?.['outcome'], 'nak');
    assert.ok(Number(failed?.['delayMs']) <= 50 && Number(failed?.['delayMs']) > 0);
  });

  it('terms what the handler terms or what throws a TerminalError, and never redelivers it', async () => {
    const seen: number[] = [];
    const c = run('c-term', {
      ackWaitMs: 2_000,
      handle: (msg) => {
        const n = numberOf(msg);
        seen.push(n);
        if (n === 1) return Outcome.term('does not decode');
        if (n === 2) throw new TerminalError('unknown cluster');
        return Outcome.ack();
      },
    });
    await publish('c-term', [1, 2, 3]);
    await eventually(() => seen.length >= 3, { what: 'three deliveries' });
    // A term the server ignored would leave the message ack-pending until it is redelivered.
    const info = await settled('c-term');
    await c.stop();
    assert.deepEqual(seen, [1, 2, 3]);
    assert.equal(info.num_redelivered, 0);
  });

  it('never runs more handlers at once than its concurrency, and does use it', async () => {
    let active = 0;
    let peak = 0;
    let handled = 0;
    const c = run('c-conc', {
      concurrency: 3,
      handle: async (msg) => {
        active++;
        peak = Math.max(peak, active);
        try {
          // The first three wait for each other: this only finishes if three run at once.
          if (numberOf(msg) <= 3) await eventually(() => active >= 3 || peak >= 3, { what: 'three concurrent handlers' });
          await new Promise((r) => setTimeout(r, 5));
          return Outcome.ack();
        } finally {
          active--;
          handled++;
        }
      },
    });
    await publish('c-conc', Array.from({ length: 12 }, (_, i) => i + 1));
    await eventually(() => handled === 12, { what: 'twelve messages handled' });
    await settled('c-conc');
    await c.stop();
    assert.equal(peak, 3);
  });

  it('on abort stops pulling, lets the handler in flight finish and ack, then resolves', async () => {
    const order: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started = 0;
    let seq = 0;
    const c = run('c-stop', {
      handle: async (msg, ctx) => {
        started++;
        seq = msg.seq;
        await released;
        order.push(`handler done (aborted=${String(ctx.signal.aborted)})`);
        return Outcome.ack();
      },
    });
    await publish('c-stop', [1]);
    await eventually(() => started === 1, { what: 'the handler to start' });
    c.controller.abort();
    const resolved = c.done.then(() => order.push('consume resolved'));
    await new Promise((r) => setTimeout(r, 50));
    order.push('released');
    release();
    await resolved;
    assert.deepEqual(order, ['released', 'handler done (aborted=true)', 'consume resolved']);
    // The in-flight message was acked, and nothing new is handled after the stop.
    await publish('c-stop', [2]);
    const info = await eventually(async () => {
      const i = await p.jsm.consumers.info(names.eventsStream, 'd-c-stop');
      return i.ack_floor.stream_seq === seq ? i : undefined;
    }, { what: 'the in-flight message to be acked' });
    assert.equal(info.num_ack_pending, 0);
    assert.equal(started, 1);
  });

  it('rejects a missing stream at once instead of retrying forever', async () => {
    await assert.rejects(
      consume({ js: p.js, stream: 'NO_SUCH_STREAM_X', durable: 'd', concurrency: 1, signal: new AbortController().signal, log: silent, handle: () => Outcome.ack() }),
      (err: Error) => err.name === 'NotFoundError' && /NO_SUCH_STREAM_X/.test(err.message),
    );
  });

  it('ends with an UnavailableError when its connection is closed for good', async () => {
    const own = await connectNats({ servers: NATS_URL, name: 'closing' });
    const controller = new AbortController();
    let started = 0;
    const done = consume({
      js: (await provision(own, { ...small, names })).js,
      stream: names.eventsStream,
      durable: 'd-c-closed',
      filterSubject: filterFor('c-closed'),
      concurrency: 1,
      pullExpiresMs: 1000,
      signal: controller.signal,
      log: silent,
      handle: () => (started++, Outcome.ack()),
    });
    await eventually(async () => (await p.jsm.consumers.info(names.eventsStream, 'd-c-closed').catch(() => undefined)) !== undefined, { what: 'the durable' });
    await own.close();
    await assert.rejects(done, (err: Error) => err.name === 'UnavailableError' && /consuming .*d-c-closed/.test(err.message));
    assert.equal(started, 0);
  });

  it('nats-server 2.9 ignores "+TERM <reason>", which is why the loops send a bare term', async (t) => {
    const [major = 0, minor = 0] = (nc.info?.version ?? '0.0.0').split('.').map(Number);
    if (major > 2 || (major === 2 && minor >= 11)) return t.skip('server understands term reasons');
    await publish('c-reason', [1]);
    const jsm = p.jsm;
    await jsm.consumers.add(names.eventsStream, { durable_name: 'd-c-reason', ack_policy: AckPolicy.Explicit, filter_subject: filterFor('c-reason') });
    const consumer = await p.js.consumers.get(names.eventsStream, 'd-c-reason');
    const msg = await consumer.next({ expires: 2000 });
    assert.ok(msg);
    msg.term('with a reason');
    await nc.flush();
    const info = await jsm.consumers.info(names.eventsStream, 'd-c-reason');
    assert.equal(info.num_ack_pending, 1, 'the server still waits for an ack: the term was not understood');
  });

  function runBatches(cluster: string, options: Partial<ConsumeBatchesOptions> & Pick<ConsumeBatchesOptions, 'handleBatch'>) {
    const controller = new AbortController();
    const done = consumeBatches({
      js: p.js,
      stream: names.eventsStream,
      durable: `d-${cluster}`,
      filterSubject: filterFor(cluster),
      maxBatch: 5,
      maxWaitMs: 1000,
      signal: controller.signal,
      log: silent,
      ...options,
    });
    return { stop: async () => (controller.abort(), await done) };
  }

  it('batch consume acks only what the handler said to ack', async () => {
    await publish('c-batch', [1, 2, 3, 4, 5]);
    const batches: { n: number; delivery: number }[][] = [];
    const firstVerdict: Record<number, Outcome> = { 1: Outcome.ack(), 2: Outcome.nak(0), 3: Outcome.term('bad'), 4: Outcome.ack(), 5: Outcome.ack() };
    const c = runBatches('c-batch', {
      handleBatch: (msgs) => {
        batches.push(msgs.map((m) => ({ n: numberOf(m), delivery: m.info.deliveryCount })));
        return msgs.map((m) => (m.info.deliveryCount === 1 ? (firstVerdict[numberOf(m)] ?? Outcome.ack()) : Outcome.ack()));
      },
    });
    await eventually(() => batches.flat().length === 6, { what: 'five deliveries and one redelivery' });
    await settled('c-batch');
    await c.stop();
    assert.deepEqual(batches[0]?.map((b) => b.n), [1, 2, 3, 4, 5]);
    assert.deepEqual(batches.flat().filter((b) => b.delivery > 1), [{ n: 2, delivery: 2 }]);
  });

  it('batch consume naks the whole batch when the handler throws', async () => {
    await publish('c-batchfail', [1, 2, 3]);
    const calls: number[][] = [];
    const c = runBatches('c-batchfail', {
      retryInitialDelayMs: 20,
      retryMaxDelayMs: 20,
      handleBatch: (msgs) => {
        calls.push(msgs.map((m) => m.info.deliveryCount));
        if (calls.length === 1) throw new Error('transaction rolled back');
        return msgs.map(() => Outcome.ack());
      },
    });
    await eventually(() => calls.flat().length === 6, { what: 'the batch to be redelivered' });
    await settled('c-batchfail');
    await c.stop();
    assert.deepEqual(calls.flat(), [1, 1, 1, 2, 2, 2]);
  });

  it('batch consume with two batches in flight hands over the next before the previous settled', async () => {
    await publish('c-two', [1, 2, 3]);
    const started: number[] = [];
    let releaseFirst = () => {};
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const c = runBatches('c-two', {
      maxBatch: 1,
      maxBatchesInFlight: 2,
      handleBatch: async (msgs) => {
        const n = numberOf(msgs[0] as JsMsg);
        started.push(n);
        // The first batch settles only once the second was handed over: one at a time would never get there.
        if (n === 1) await firstHeld;
        if (n === 2) releaseFirst();
        return msgs.map(() => Outcome.ack());
      },
    });
    await eventually(() => started.length === 3, { what: 'all three batches' });
    await settled('c-two');
    await c.stop();
    assert.deepEqual(started, [1, 2, 3]);
  });

  it('batch consume with two in flight catches up on naked redeliveries in full batches', async () => {
    await publish('c-redeliver', [1, 2, 3, 4, 5, 6]);
    const sizes: number[] = [];
    let isDown = true;
    const c = runBatches('c-redeliver', {
      maxBatch: 6,
      maxBatchesInFlight: 2,
      handleBatch: (msgs) => {
        sizes.push(msgs.length);
        // Like a database outage: the first delivery is refused, everything after it is written.
        const outcome = isDown ? Outcome.nak(50) : Outcome.ack();
        isDown = false;
        return msgs.map(() => outcome);
      },
    });
    await settled('c-redeliver');
    await c.stop();
    // Redelivered messages count as ack-pending, not pending: a pull sized to `num_pending` took them one by one.
    assert.ok(sizes.slice(1).some((n) => n > 1), `redeliveries came back in batches: ${sizes.join(', ')}`);
  });

  it('keeps consuming across a NATS outage', async () => {
    const server = await startNatsServer();
    const own = isolatedNames('outage');
    const seen: number[] = [];
    const ncPrivate = await connectNats({ servers: server.url, name: 'outage-test' });
    try {
      const q = await provision(ncPrivate, { ...small, names: own });
      const controller = new AbortController();
      const done = consume({
        js: q.js,
        stream: own.eventsStream,
        durable: 'survivor',
        concurrency: 2,
        pullExpiresMs: 1000,
        signal: controller.signal,
        log: silent,
        handle: (msg) => (seen.push(numberOf(msg)), Outcome.ack()),
      });
      await publishEvent(q.js, heartbeat(1), { subjectPrefix: own.subjectPrefix });
      await eventually(() => seen.includes(1), { what: 'the first event' });

      await server.stop();
      await server.start();
      // Publishing may fail until the client has reconnected; the test retries, as a service would.
      await eventually(() => publishEvent(q.js, heartbeat(2), { subjectPrefix: own.subjectPrefix }).then(() => true), { what: 'publishing after the restart', timeoutMs: 30_000 });
      await eventually(() => seen.includes(2), { what: 'the event published after the outage', timeoutMs: 60_000 });
      controller.abort();
      await done;
      assert.deepEqual([...new Set(seen)], [1, 2]);
    } finally {
      await ncPrivate.close();
      await server.destroy();
    }
  });
});
