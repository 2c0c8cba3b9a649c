import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EVENT_TYPES,
  EventValidationError,
  InvalidNameError,
  decode,
  decodeJson,
  deterministicId,
  kvKeys,
  makeEvent,
  parseDesiredKey,
  subjects,
} from './index.js';

const commit = {
  sha: 'a'.repeat(40),
  author: { name: 'Ada', email: 'ada@example.com' },
  committer: { name: 'Ada', email: 'ada@example.com' },
  message: 'bump cart',
  time: '2026-11-27T10:00:00.000Z',
};
const hash = `sha256:${'b'.repeat(64)}`;

describe('subject and key builders', () => {
  it('build the documented subjects', () => {
    assert.equal(subjects.desired('prod-eu', 'cart', 'changed'), 'driftless.evt.desired.prod-eu.cart.changed');
    assert.equal(subjects.agent('prod-eu', 'cart', 'apply-failed'), 'driftless.evt.agent.prod-eu.cart.apply-failed');
    assert.equal(subjects.agentEventsOf('prod-eu'), 'driftless.evt.agent.prod-eu.>');
    assert.equal(kvKeys.desired('prod-eu', 'cart'), 'prod-eu.cart');
    assert.deepEqual(parseDesiredKey('prod-eu.cart'), { cluster: 'prod-eu', component: 'cart' });
    assert.equal(parseDesiredKey('prod-eu.cart.x'), undefined);
  });

  for (const bad of ['', 'Prod', 'a.b', '*', '>', '-a', 'a-', 'a_b', 'x'.repeat(64), 'prod eu']) {
    it(`reject ${JSON.stringify(bad)} as a name`, () => {
      assert.throws(() => subjects.agent(bad, 'cart', 'applied'), InvalidNameError);
      assert.throws(() => kvKeys.desired('dev-1', bad), (err: Error) => err instanceof InvalidNameError && /component/.test(err.message));
    });
  }
});

describe('events', () => {
  const at = new Date('2026-11-27T10:00:01.000Z');
  const changed = (time = at) =>
    makeEvent({
      time,
      type: 'driftless.desired.changed.v1',
      source: 'repo-watcher/envs',
      subject: subjects.desired('dev-1', 'cart', 'changed'),
      data: {
        repo: 'envs',
        cluster: 'dev-1',
        component: 'cart',
        stage: 'dev',
        apps: ['candystore'],
        commit,
        previous: null,
        version: '1.2.0',
        hash,
        objectCount: 3,
      },
    });

  it('round-trips through JSON and keeps a deterministic id', () => {
    const event = changed();
    const again = changed();
    assert.equal(event.id, again.id);
    // The same transition at another time is another event, not a duplicate.
    assert.notEqual(changed(new Date('2026-11-27T10:00:02.000Z')).id, event.id);
    const decoded = decodeJson(JSON.stringify(event));
    assert.equal(decoded.type, 'driftless.desired.changed.v1');
    assert.deepEqual(decoded, event);
  });

  it('refuses a payload that does not match its schema and says where', () => {
    const event = { ...changed(), data: { ...changed().data, objectCount: -1 } };
    assert.throws(
      () => decode(undefined, event),
      (err: Error) => err instanceof EventValidationError && /data\/objectCount/.test(err.message),
    );
  });

  it('refuses unknown types, wrong expected types, non-JSON and bad envelopes', () => {
    assert.throws(() => decode(undefined, { ...changed(), type: 'driftless.nope.v1' }), /unknown event type "driftless.nope.v1"/);
    assert.throws(() => decode('driftless.agent.applied.v1', changed()), /expected event type/);
    assert.throws(() => decodeJson('{nope'), /not valid JSON/);
    assert.throws(() => decode(undefined, { id: 'x' }), (err: Error) => err instanceof EventValidationError && /envelope\/specversion/.test(err.message));
    assert.throws(() => decode(undefined, null), EventValidationError);
  });

  it('makeEvent fails at the source on a bad payload', () => {
    assert.throws(() =>
      makeEvent({
        type: 'driftless.agent.health_changed.v1',
        source: 'agent/dev-1',
        subject: subjects.agent('dev-1', 'cart', 'health-changed'),
        // @ts-expect-error: 'Sick' is not a health code.
        data: { cluster: 'dev-1', component: 'cart', version: '1', hash, from: null, to: 'Sick' },
      }),
    );
  });

  it('has a schema for every documented type, all versioned', () => {
    assert.ok(EVENT_TYPES.length >= 17);
    for (const type of EVENT_TYPES) assert.match(type, /^driftless\.[a-z]+\.[a-z_]+\.v\d+$/);
  });

  it('deterministicId depends on every part', () => {
    assert.notEqual(deterministicId('a', 'bc'), deterministicId('ab', 'c'));
    assert.equal(deterministicId('x', 1), deterministicId('x', 1));
  });
});
