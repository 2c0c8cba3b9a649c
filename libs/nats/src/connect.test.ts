import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ForbiddenError, InvalidInputError, UnavailableError } from '@driftless/contracts';
import { eventually } from '@driftless/testkit';
import { backoffDelayMs, connectNats } from './index.js';
import { captureLogger } from './test-helpers.js';
import { freePort, startNatsServer, type NatsServer } from './testing.js';

describe('backoffDelayMs', () => {
  it('doubles per attempt up to the cap and takes jitter off the top', () => {
    const noJitter = { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 };
    assert.deepEqual([1, 2, 3, 4, 5, 50].map((a) => backoffDelayMs(a, noJitter)), [100, 200, 400, 800, 1000, 1000]);
    assert.equal(backoffDelayMs(3, { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 1 }), 200);
    assert.equal(backoffDelayMs(3, { initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.5, random: () => 0 }), 400);
  });
});

describe('connectNats', () => {
  let auth: NatsServer;
  const dir = mkdtempSync(join(tmpdir(), 'nats-connect-test-'));
  before(async () => {
    auth = await startNatsServer({ args: ['--user', 'driftless', '--pass', 'right'] });
  });
  after(async () => {
    await auth.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives up on a closed port after maxAttempts with one clear UnavailableError', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const { log, lines } = captureLogger();
    await assert.rejects(
      connectNats({ servers: url, name: 'test', maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20, log }),
      (err: Error) => {
        assert.ok(err instanceof UnavailableError, `got ${err.name}`);
        assert.equal(err.message, `cannot connect to NATS at ${url} after 3 attempts: connection refused (connect ECONNREFUSED ${url.slice('nats://'.length)})`);
        assert.ok(err.cause instanceof Error);
        return true;
      },
    );
    const retries = lines().filter((l) => l['msg'] === 'NATS not reachable, retrying');
    assert.deepEqual(retries.map((l) => l['attempt']), [1, 2]);
  });

  it('does not retry refused credentials and says so with a ForbiddenError', async () => {
    const { log, lines } = captureLogger();
    await assert.rejects(
      connectNats({ servers: auth.url, name: 'agent-dev-1', user: 'driftless', pass: 'wrong', maxAttempts: 5, initialDelayMs: 5, log }),
      (err: Error) => err instanceof ForbiddenError && err.message === `NATS at ${auth.url} refused the credentials of "agent-dev-1": Authorization Violation`,
    );
    assert.equal(lines().filter((l) => l['msg'] === 'NATS not reachable, retrying').length, 0);
    const nc = await connectNats({ servers: auth.url, name: 'ok', user: 'driftless', pass: 'right' });
    assert.equal(nc.info?.server_id.length !== 0, true);
    await nc.close();
  });

  it('names a credentials file it cannot read', async () => {
    const missing = join(dir, 'agent.creds');
    await assert.rejects(
      connectNats({ servers: auth.url, name: 'x', credsFile: missing }),
      (err: Error) => err instanceof InvalidInputError && err.message.includes(missing),
    );
    writeFileSync(join(dir, 'garbage.creds'), 'not a creds file');
    await assert.rejects(
      connectNats({ servers: auth.url, name: 'x', credsFile: join(dir, 'garbage.creds'), maxAttempts: 5 }),
      (err: Error) => err instanceof InvalidInputError && err.message.includes('garbage.creds is not a valid .creds file'),
    );
  });

  it('keeps retrying until a server comes up, then connects', async () => {
    const port = await freePort();
    const connecting = connectNats({ servers: `nats://127.0.0.1:${port}`, name: 'late', maxAttempts: 1000, initialDelayMs: 20, maxDelayMs: 100 });
    const server = await startNatsServer({ port });
    try {
      const nc = await connecting;
      assert.equal(nc.getServer(), `127.0.0.1:${port}`);
      await nc.close();
    } finally {
      await server.destroy();
    }
  });

  it('stops retrying when the signal aborts', async () => {
    const url = `nats://127.0.0.1:${await freePort()}`;
    const controller = new AbortController();
    const connecting = connectNats({ servers: url, name: 'x', maxAttempts: 1000, initialDelayMs: 50, signal: controller.signal });
    controller.abort();
    await assert.rejects(connecting, (err: Error) => err instanceof UnavailableError && err.message.includes('stopped') && err.message.includes(url));
  });

  it('reconnects by itself after the server restarts', async () => {
    const server = await startNatsServer();
    const { log, lines } = captureLogger();
    try {
      const nc = await connectNats({ servers: server.url, name: 'survivor', log });
      await server.stop();
      await server.start();
      await eventually(() => lines().some((l) => l['msg'] === 'reconnected to NATS'), { what: 'a reconnect' });
      assert.ok(lines().some((l) => l['msg'] === 'disconnected from NATS'));
      // The same connection works again.
      const sub = nc.subscribe('ping.x', { max: 1 });
      nc.publish('ping.x', 'hello');
      for await (const m of sub) assert.equal(m.string(), 'hello');
      await nc.close();
    } finally {
      await server.destroy();
    }
  });
});
