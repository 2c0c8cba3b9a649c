/**
 * Against a real nats-server in operator mode: an agent's credentials reach only its own
 * cluster's desired state and events, and revocation cuts it off.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createUser } from '@nats-io/nkeys';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ForbiddenError, kvKeys, subjects } from '@driftless/contracts';
import { connectNats, openKv, provision } from '@driftless/nats';
import { startNatsServer, type NatsServer } from '@driftless/nats/testing';
import {
  agentInboxPrefix,
  formatCreds,
  generateOperatorSetup,
  mintAgentJwt,
  mintSystemUser,
  mintUserCreds,
  pushAccountJwt,
  renderServerConfig,
  revokeUsers,
  servicePermissions,
  type OperatorSetup,
} from './index.js';

/** The server's permissions violation, not a timeout or anything else that could also reject. */
const isPermissionViolation = (err: unknown) => err instanceof Error && /permission/i.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`);

const withTimeout = <T>(p: Promise<T>, ms = 3000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);

describe('agent credentials in operator mode', () => {
  let dir: string;
  let server: NatsServer;
  let setup: OperatorSetup;
  let service: NatsConnection;
  let agentA: NatsConnection;

  const writeCreds = (name: string, creds: string) => {
    const path = join(dir, `${name}.creds`);
    writeFileSync(path, creds, { mode: 0o600 });
    return path;
  };

  const connectAgent = async (cluster: string, publicKey: string, seed: string, maxAttempts = 3) => {
    const jwt = await mintAgentJwt(cluster, publicKey, { accountSeed: setup.account.seed });
    return connectNats({
      servers: server.url,
      name: `agent-${cluster}`,
      credsFile: writeCreds(`agent-${cluster}-${publicKey.slice(0, 6)}`, formatCreds(jwt, seed)),
      inboxPrefix: agentInboxPrefix(cluster),
      maxAttempts,
      initialDelayMs: 50,
    });
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'driftless-nats-auth-'));
    setup = await generateOperatorSetup();
    mkdirSync(join(dir, 'resolver'));
    const confPath = join(dir, 'nats.conf');
    writeFileSync(confPath, renderServerConfig(setup, { resolverDir: join(dir, 'resolver') }));
    server = await startNatsServer({ args: ['-c', confPath] });

    const svc = await mintUserCreds({ accountSeed: setup.account.seed, name: 'repo-watcher', permissions: servicePermissions() });
    service = await connectNats({ servers: server.url, name: 'repo-watcher', credsFile: writeCreds('service', svc.creds) });
    const { desired } = await provision(service);
    await desired.put(kvKeys.desired('a', 'cart'), JSON.stringify({ v: 'a' }));
    await desired.put(kvKeys.desired('b', 'cart'), JSON.stringify({ v: 'b' }));

    const user = createUser();
    agentA = await connectAgent('a', user.getPublicKey(), new TextDecoder().decode(user.getSeed()));
  });

  after(async () => {
    await agentA?.close().catch(() => undefined);
    await service?.close().catch(() => undefined);
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets an agent watch and read its own cluster\'s keys', async () => {
    const kv: KV = await openKv(jetstream(agentA), 'desired');
    const entry = await withTimeout(kv.get(kvKeys.desired('a', 'cart')));
    assert.equal(entry?.json<{ v: string }>().v, 'a');
    const watch = await withTimeout(kv.watch({ key: kvKeys.desiredOf('a') }));
    const seen: string[] = [];
    for await (const e of watch) {
      seen.push(e.key);
      if (e.delta === 0) break;
    }
    watch.stop();
    assert.deepEqual(seen, ['a.cart']);
  });

  it('refuses another cluster\'s keys, writes, and events in another cluster\'s name', async () => {
    const kv = await openKv(jetstream(agentA), 'desired');
    await assert.rejects(withTimeout(kv.get(kvKeys.desired('b', 'cart'))));
    await assert.rejects(
      withTimeout(
        (async () => {
          const w = await kv.watch({ key: kvKeys.desiredOf('b') });
          for await (const e of w) return e;
          return undefined;
        })(),
      ),
    );
    await assert.rejects(withTimeout(kv.put(kvKeys.desired('a', 'cart'), 'x')));
    const js = jetstream(agentA);
    await assert.rejects(withTimeout(js.publish(subjects.agent('b', 'cart', 'applied'), '{}')));
    const ack = await withTimeout(js.publish(subjects.agent('a', 'cart', 'applied'), '{}'));
    assert.equal(ack.stream, 'DRIFTLESS_EVENTS');
  });

  it('refuses publishing desired state and deleting keys or streams, and nothing changes', async () => {
    const js = jetstream(agentA);
    const kv = await openKv(js, 'desired');
    // Desired state is the repo-watcher's alone: not as an event, not as a KV write, not even for its own cluster.
    await assert.rejects(withTimeout(js.publish(subjects.desired('a', 'cart', 'changed'), '{}')), isPermissionViolation);
    await assert.rejects(withTimeout(kv.put(kvKeys.desired('a', 'cart'), 'x')), isPermissionViolation);
    await assert.rejects(withTimeout(kv.delete(kvKeys.desired('a', 'cart'))), isPermissionViolation);
    await assert.rejects(withTimeout(kv.purge(kvKeys.desired('b', 'cart'))), isPermissionViolation);
    const jsm = await jetstreamManager(agentA, { checkAPI: false });
    await assert.rejects(withTimeout(jsm.streams.delete('KV_desired')), isPermissionViolation);
    await assert.rejects(withTimeout(jsm.streams.delete('DRIFTLESS_EVENTS')), isPermissionViolation);
    await assert.rejects(withTimeout(jsm.streams.purge('KV_desired')), isPermissionViolation);

    // Seen from the control plane, every key, stream and message is as it was.
    const svcKv = await openKv(jetstream(service), 'desired');
    assert.equal((await svcKv.get(kvKeys.desired('a', 'cart')))?.json<{ v: string }>().v, 'a');
    assert.equal((await svcKv.get(kvKeys.desired('b', 'cart')))?.json<{ v: string }>().v, 'b');
    const svcJsm = await jetstreamManager(service);
    assert.equal((await svcJsm.streams.info('KV_desired')).state.messages, 2);
    const landed = await svcJsm.streams.getMessage('DRIFTLESS_EVENTS', { last_by_subj: subjects.desired('a', 'cart', 'changed') }).catch(() => null);
    assert.equal(landed, null, 'no desired-state event reached the stream');
  });

  it('refuses the shared inbox prefix', async () => {
    const user = createUser();
    const jwt = await mintAgentJwt('a', user.getPublicKey(), { accountSeed: setup.account.seed });
    const nc = await connectNats({
      servers: server.url,
      name: 'agent-a-shared-inbox',
      credsFile: writeCreds('shared-inbox', formatCreds(jwt, new TextDecoder().decode(user.getSeed()))),
    });
    try {
      // Without its own prefix the agent cannot even receive a reply.
      await assert.rejects(withTimeout(openKv(jetstream(nc), 'desired').then((kv) => kv.get('a.cart'))));
    } finally {
      await nc.close();
    }
  });

  it('cuts off a revoked agent and refuses it on reconnect', async () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const jwt = await mintAgentJwt('a', user.getPublicKey(), { accountSeed: setup.account.seed });
    const credsFile = writeCreds('to-revoke', formatCreds(jwt, seed));
    const victim = await connectNats({ servers: server.url, name: 'agent-a-victim', credsFile, inboxPrefix: agentInboxPrefix('a') });
    const sys = await mintSystemUser(setup);
    const sysConn = await connectNats({ servers: server.url, name: 'sys', credsFile: writeCreds('sys', sys.creds) });
    try {
      const closed = victim.closed();
      const revoked = await revokeUsers(setup, {}, [user.getPublicKey()], Math.floor(Date.now() / 1000) + 1);
      assert.ok(revoked.revocations[user.getPublicKey()]);
      await pushAccountJwt(sysConn, revoked.jwt);
      // The server drops the revoked user; its reconnects are refused until the client gives up.
      const outcome = await withTimeout(closed, 20_000);
      assert.ok(outcome instanceof Error, 'the connection closes with an error');
      assert.ok(victim.isClosed());
      await assert.rejects(
        connectNats({ servers: server.url, name: 'agent-a-again', credsFile, inboxPrefix: agentInboxPrefix('a'), maxAttempts: 2, initialDelayMs: 10 }),
        ForbiddenError,
      );
      // Other agents of the same cluster keep working.
      const kv = await openKv(jetstream(agentA), 'desired');
      assert.equal((await withTimeout(kv.get('a.cart')))?.json<{ v: string }>().v, 'a');
    } finally {
      await sysConn.close();
    }
  });

  it('says clearly that bad credentials are refused', async () => {
    const other = await generateOperatorSetup();
    const user = createUser();
    const jwt = await mintAgentJwt('a', user.getPublicKey(), { accountSeed: other.account.seed });
    await assert.rejects(
      connectNats({
        servers: server.url,
        name: 'intruder',
        credsFile: writeCreds('intruder', formatCreds(jwt, new TextDecoder().decode(user.getSeed()))),
        maxAttempts: 2,
        initialDelayMs: 10,
      }),
      (err: Error) => err instanceof ForbiddenError && /author/i.test(err.message),
    );
  });
});
