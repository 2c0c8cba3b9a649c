import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectNats, provision, type Provisioned } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { NATS_URL } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { KvOwnCommits, MemoryOwnCommits, ownCommitKey } from './own-commits.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

describe('own commits', () => {
  let nc: NatsConnection;
  let nats: Provisioned;
  const names = isolatedNames('own');
  before(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'own-commits-test', maxAttempts: 3 });
    nats = await provision(nc, { names });
  });
  after(async () => {
    await removeResources(nc, names);
    await nc.close();
  });

  it('remembers recorded shas in the watcher-state bucket, per repository, across instances', async () => {
    await new KvOwnCommits(nats.watcherState, 'envs').record(SHA_A);
    const other = new KvOwnCommits(nats.watcherState, 'envs');
    assert.equal(await other.has(SHA_A), true);
    assert.equal(await other.has(SHA_B), false);
    assert.equal(await new KvOwnCommits(nats.watcherState, 'other').has(SHA_A), false);
    // Apart from the checkpoint key `repo.envs`.
    assert.equal(ownCommitKey('envs', SHA_A), `own-commit.envs.${SHA_A}`);
  });

  it('refuses something that is not a sha', async () => {
    await assert.rejects(new KvOwnCommits(nats.watcherState, 'envs').record('HEAD'), /"HEAD" is not a commit sha/);
    await assert.rejects(new MemoryOwnCommits().record('abc'), /"abc" is not a commit sha/);
  });

  it('has an in-memory twin', async () => {
    const own = new MemoryOwnCommits();
    await own.record(SHA_B);
    assert.equal(await own.has(SHA_B), true);
    assert.equal(await own.has(SHA_A), false);
  });
});
