import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConflictError, InvalidInputError } from '@driftless/contracts';
import { NATS_URL } from '@driftless/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, openKv, openObjectStore, provision, resolveNames, type ProvisionOptions } from './index.js';
import { isolatedNames, removeResources } from './testing.js';

const MiB = 1024 * 1024;
const small: ProvisionOptions = { eventsMaxBytes: 16 * MiB, desiredMaxBytes: 8 * MiB, manifestsMaxBytes: 16 * MiB };

describe('provision', () => {
  let nc: NatsConnection;
  const names = isolatedNames('prov');
  const other = isolatedNames('prov');
  before(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'provision-test' });
  });
  after(async () => {
    await removeResources(nc, names);
    await removeResources(nc, other);
    await nc.close();
  });

  it('two concurrent provisions both succeed and create file-backed resources with explicit limits', async () => {
    const [a, b] = await Promise.all([provision(nc, { ...small, names }), provision(nc, { ...small, names })]);
    assert.equal(a.names.eventsStream, names.eventsStream);
    const jsm = await jetstreamManager(nc);

    const events = await jsm.streams.info(names.eventsStream);
    assert.deepEqual(events.config.subjects, [`${names.subjectPrefix}.driftless.evt.>`]);
    assert.equal(events.config.storage, 'file');
    assert.equal(events.config.max_age, 7 * 24 * 3600 * 1e9);
    assert.equal(events.config.max_bytes, 16 * MiB);
    assert.equal(events.config.max_msg_size, MiB);
    assert.equal(events.config.duplicate_window, 120 * 1e9);

    const desired = await jsm.streams.info(`KV_${names.desired}`);
    assert.equal(desired.config.max_msgs_per_subject, 1);
    assert.equal(desired.config.storage, 'file');
    const leases = await jsm.streams.info(`KV_${names.leases}`);
    assert.equal(leases.config.max_age, 30 * 1e9);
    const manifests = await jsm.streams.info(`OBJ_${names.manifests}`);
    assert.equal(manifests.config.max_bytes, 16 * MiB);

    // The handles work, and both provisions see the same buckets.
    await a.desired.put('dev-1.cart', '{"v":1}');
    assert.equal((await b.desired.get('dev-1.cart'))?.string(), '{"v":1}');
    await a.leases.put('repo.envs', 'watcher-1');
    assert.equal((await b.leases.get('repo.envs'))?.string(), 'watcher-1');
    await a.watcherState.put('repo.envs', 'abc');
    await a.manifests.putBlob({ name: 'sha256:abc' }, new TextEncoder().encode('kind: ConfigMap'));
    assert.equal(new TextDecoder().decode((await b.manifests.getBlob('sha256:abc')) ?? new Uint8Array()), 'kind: ConfigMap');
  });

  it('openKv and openObjectStore bind to provisioned buckets without creating anything', async () => {
    const js = (await provision(nc, { ...small, names })).js;
    const desired = await openKv(js, names.desired);
    assert.equal((await desired.get('dev-1.cart'))?.string(), '{"v":1}');
    const watched: string[] = [];
    const watch = await desired.watch({ key: 'dev-1.>' });
    for await (const entry of watch) {
      watched.push(entry.key);
      break;
    }
    assert.deepEqual(watched, ['dev-1.cart']);
    const manifests = await openObjectStore(js, names.manifests);
    assert.equal(new TextDecoder().decode((await manifests.getBlob('sha256:abc')) ?? new Uint8Array()), 'kind: ConfigMap');
    // Binding does not create: a bucket that does not exist fails on first use.
    const missing = await openKv(js, 'no-such-bucket-x');
    await assert.rejects(missing.put('a', 'b'));
    const jsm = await jetstreamManager(nc);
    await assert.rejects(jsm.streams.info('KV_no-such-bucket-x'));
  });

  it('a later provision with other limits updates them and keeps the data', async () => {
    const p = await provision(nc, { ...small, names, eventsMaxAgeMs: 3600_000, leaseTtlMs: 10_000, desiredMaxBytes: 4 * MiB });
    const jsm = p.jsm;
    assert.equal((await jsm.streams.info(names.eventsStream)).config.max_age, 3600 * 1e9);
    assert.equal((await jsm.streams.info(`KV_${names.leases}`)).config.max_age, 10 * 1e9);
    assert.equal((await jsm.streams.info(`KV_${names.desired}`)).config.max_bytes, 4 * MiB);
    assert.equal((await p.desired.get('dev-1.cart'))?.string(), '{"v":1}');
  });

  it('concurrent provisions with different limits do not fail', async () => {
    const results = await Promise.allSettled([
      provision(nc, { ...small, names: other, eventsMaxAgeMs: 3600_000 }),
      provision(nc, { ...small, names: other, eventsMaxAgeMs: 7200_000 }),
      provision(nc, { ...small, names: other, leaseTtlMs: 5_000 }),
    ]);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? 'ok' : String(r.reason))), ['ok', 'ok', 'ok']);
  });

  it('refuses bad names, listing each, and a stream whose subjects another stream owns', async () => {
    assert.throws(
      () => resolveNames({ eventsStream: 'a.b', desired: 'x y', subjectPrefix: 'p.*' }),
      (err: Error) => err instanceof InvalidInputError && /eventsStream "a.b"/.test(err.message) && /desired "x y"/.test(err.message) && /subjectPrefix "p.\*"/.test(err.message),
    );
    await assert.rejects(
      provision(nc, { names, replicas: 7, eventsMaxAgeMs: -1 }),
      (err: Error) => err instanceof InvalidInputError && /eventsMaxAgeMs must be/.test(err.message) && /replicas must be at most 5/.test(err.message),
    );
    const clash = { ...isolatedNames('clash'), subjectPrefix: names.subjectPrefix };
    try {
      await assert.rejects(provision(nc, { ...small, names: clash }), (err: Error) => err instanceof ConflictError && /overlap/.test(err.message));
    } finally {
      await removeResources(nc, clash);
    }
  });
});
