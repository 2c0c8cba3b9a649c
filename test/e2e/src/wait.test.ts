import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSeen, waitUntil, WaitAbandonedError, WaitTimeoutError } from './wait.js';

describe('waitUntil', () => {
  it('returns the first value the check gives', async () => {
    let looks = 0;
    const value = await waitUntil('the third look', () => (++looks === 3 ? 'done' : undefined), { timeoutMs: 60_000, intervalMs: 1 });
    assert.equal(value, 'done');
    assert.equal(looks, 3);
  });

  it('quotes the last note and the last failed look when it times out', async () => {
    let looks = 0;
    const error = await waitUntil(
      'promotion p1 to be waiting',
      (note) => {
        looks += 1;
        note({ status: looks === 1 ? 'requested' : 'committing' });
        if (looks > 1) throw new Error('GET /v1/promotions/p1 → 503');
        return undefined;
      },
      { timeoutMs: 20, intervalMs: 5 },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof WaitTimeoutError);
    assert.match(error.message, /waiting for promotion p1 to be waiting/);
    assert.match(error.message, /last saw: \{"status":"committing"\}/);
    assert.match(error.message, /last look failed: GET \/v1\/promotions\/p1 → 503/);
  });

  it('forgets a failed look once a later look succeeds', async () => {
    let looks = 0;
    const error = await waitUntil(
      'never',
      () => {
        looks += 1;
        if (looks === 1) throw new Error('connection refused');
        return false;
      },
      { timeoutMs: 20, intervalMs: 5 },
    ).catch((err: unknown) => err);
    assert.ok(error instanceof WaitTimeoutError);
    assert.ok(looks > 1);
    assert.doesNotMatch(error.message, /connection refused/);
    assert.match(error.message, /saw nothing noted/);
  });

  it('fails at once when the check gives up or the precondition throws', async () => {
    let looks = 0;
    await assert.rejects(
      waitUntil(
        'promotion p1 to be waiting',
        () => {
          looks += 1;
          throw new WaitAbandonedError('promotion p1 ended committed');
        },
        { timeoutMs: 60_000, intervalMs: 1 },
      ),
      /ended committed/,
    );
    assert.equal(looks, 1);
    await assert.rejects(
      waitUntil('anything', () => undefined, {
        timeoutMs: 60_000,
        intervalMs: 1,
        precondition: () => {
          throw new Error('agent-dev-1 stopped (exit code 3)');
        },
      }),
      /agent-dev-1 stopped/,
    );
  });

  it('cuts a long note to a screenful', () => {
    const text = describeSeen('x'.repeat(5_000));
    assert.ok(text.length < 2_100);
    assert.match(text, /… \(5000 characters\)$/);
  });
});
