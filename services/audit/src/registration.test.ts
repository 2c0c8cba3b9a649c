/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-explicit-any -- response bodies are checked by value */
/**
 * Registration end to end through the real HTTP API, Postgres and a nats-server in operator
 * mode: register, enroll, prove the agent's isolation with the credentials the API issued,
 * refuse reused, expired and unknown bootstrap tokens (and log each refusal), revoke and see
 * the agent cut off, and manage API tokens without ever showing a stored secret.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ForbiddenError, kvKeys, subjects } from '@driftless/contracts';
import { connectNats, openKv } from '@driftless/nats';
import { createUserKeyPair, formatCreds } from '@driftless/nats-auth';
import { eventually } from '@driftless/testkit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PgAuditQueries } from './adapters/pg-queries.js';
import { PgApiTokenStore } from './adapters/pg-api-tokens.js';
import { PgRegistrationStore } from './adapters/pg-registrations.js';
import { JetStreamEventPublisher } from './adapters/nats-registration.js';
import { buildApp } from './http/app.js';
import { Registrar } from './registrar.js';
import { startRegistrationEnv, type RegistrationEnv } from './testing/registration.js';

const withTimeout = <T>(p: Promise<T>, ms = 3000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
const isPermissionViolation = (err: unknown) => err instanceof Error && /permission/i.test(`${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`);

describe('cluster registration, enrollment and revocation', () => {
  let env: RegistrationEnv;
  let clockMs = Date.parse('2026-11-27T12:00:00.000Z');
  const agents: NatsConnection[] = [];

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, options: { body?: unknown; token?: string | null } = {}) => {
    const token = options.token === undefined ? env.adminToken : options.token;
    const res = await env.app.inject({
      method,
      url,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    });
    return { status: res.statusCode, type: String(res.headers['content-type']), body: res.body, json: () => res.json() };
  };

  const enroll = (bootstrapToken: string, publicKey: string) => call('POST', '/v1/agents/enroll', { body: { bootstrapToken, publicKey }, token: null });

  /** Enrolls through the API and connects with the issued credentials, as the agent does. */
  const enrollAndConnect = async (bootstrapToken: string) => {
    const keys = createUserKeyPair();
    const res = await enroll(bootstrapToken, keys.publicKey);
    assert.equal(res.status, 200, res.body);
    const enrolled = res.json();
    const credsFile = env.writeCreds(`agent-${enrolled.cluster}-${keys.publicKey.slice(1, 9)}`, formatCreds(enrolled.jwt, keys.seed));
    const nc = await connectNats({ servers: enrolled.natsUrls, name: `agent-${enrolled.cluster}`, credsFile, inboxPrefix: enrolled.inboxPrefix, maxAttempts: 2, initialDelayMs: 50 });
    agents.push(nc);
    return { nc, credsFile, enrolled, keys };
  };

  const register = async (name: string, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/v1/clusters', { body: { name, stage: 'prod', ...extra } });
    assert.equal(res.status, 201, res.body);
    return res.json();
  };

  const attempts = async (cluster: string | null) =>
    (await env.db.sql<{ outcome: string }[]>`select outcome from enrollment_attempts where cluster is not distinct from ${cluster} order by id`).map((r) => r.outcome);

  before(async () => {
    env = await startRegistrationEnv({ label: 'audit_registration', now: () => new Date(clockMs), publicUrl: 'https://driftless.example.com' });
    const { desired } = env.provisioned;
    for (const cluster of ['a', 'b']) await desired.put(kvKeys.desired(cluster, 'cart'), JSON.stringify({ v: cluster }));
  });

  after(async () => {
    for (const nc of agents) await nc.close().catch(() => undefined);
    await env?.close();
  });

  it('answers 503 with a problem document when operator mode is not configured', async () => {
    const registrar = new Registrar({
      store: new PgRegistrationStore(env.db.sql),
      issuer: undefined,
      events: new JetStreamEventPublisher(env.provisioned.js),
      agent: { natsUrls: [env.server.url], chart: 'x', subjectPrefix: '', defaultTtlS: 3600 },
    });
    const tokens = new PgApiTokenStore(env.db.sql);
    const devApp = await buildApp({ queries: new PgAuditQueries(env.db.sql), tokens, tokenAdmin: tokens, registrar });
    try {
      for (const [method, url, payload] of [
        ['POST', '/v1/clusters', { name: 'dev-1', stage: 'dev' }],
        ['POST', '/v1/agents/enroll', { bootstrapToken: 'dlb_'.padEnd(40, 'x'), publicKey: createUserKeyPair().publicKey }],
        ['DELETE', '/v1/clusters/dev-1', undefined],
      ] as const) {
        const res = await devApp.inject({ method, url, headers: { authorization: `Bearer ${env.adminToken}` }, ...(payload ? { payload } : {}) });
        assert.equal(res.statusCode, 503, `${method} ${url}`);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        assert.match(res.json().detail, /operator mode is not configured/);
      }
      const [row] = await env.db.sql`select count(*)::int as n from cluster_registrations`;
      assert.equal(row?.['n'], 0, 'nothing was registered');
    } finally {
      await devApp.close();
    }
  });

  it('registers a cluster: one-time token stored hashed, install command, listed at once, ledger entry with the caller', async () => {
    const res = await register('a', { labels: { region: 'eu' }, values: { replicas: 3, tier: 'gold' } });
    assert.equal(res.cluster.name, 'a');
    assert.equal(res.cluster.registeredBy, 'token:test-admin');
    assert.deepEqual(res.cluster.values, { replicas: 3, tier: 'gold' });
    const token: string = res.bootstrapToken.token;
    assert.match(token, /^dlb_[A-Za-z0-9_-]{43}$/);
    assert.equal(res.bootstrapToken.expiresAt, new Date(clockMs + 3600_000).toISOString(), 'one hour by default');
    const command: string = res.bootstrapToken.helmInstallCommand;
    assert.match(command, /^helm install driftless-agent deploy\/helm\/driftless-agent/);
    for (const part of ['--set cluster=a', `--set nats.url=${env.server.url}`, '--set enrollment.apiUrl=https://driftless.example.com', `--set enrollment.bootstrapToken=${token}`]) {
      assert.ok(command.includes(part), `install command has ${part}: ${command}`);
    }

    const [stored] = await env.db.sql<{ token_hash: string }[]>`select token_hash from bootstrap_tokens where cluster = 'a'`;
    assert.equal(stored?.token_hash, createHash('sha256').update(token).digest('hex'));
    const dump = JSON.stringify(await env.db.sql`select * from bootstrap_tokens`);
    assert.ok(!dump.includes(token), 'the token itself is stored nowhere');

    const listed = await call('GET', '/v1/clusters');
    const a = listed.json().items.find((c: any) => c.name === 'a');
    assert.equal(a?.stage, 'prod');
    assert.deepEqual(a?.labels, { region: 'eu' });
    assert.ok(!listed.body.includes(token));

    const ledger = await eventually(
      async () => {
        const page = (await call('GET', '/v1/transitions?cluster=a&kind=cluster_registered')).json();
        return page.items.length === 1 ? page.items[0] : undefined;
      },
      { timeoutMs: 30_000, what: 'the registration in the ledger' },
    );
    assert.equal(ledger.actor, 'token:test-admin');
    assert.equal(ledger.stage, 'prod');
    assert.equal(ledger.source, 'audit/registration');
  });

  it('refuses bad registrations with the rule, duplicates, and callers who are not admins', async () => {
    const bad = await call('POST', '/v1/clusters', { body: { name: 'Prod_EU', stage: 'prod' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json().detail, /name/);
    const label = await call('POST', '/v1/clusters', { body: { name: 'x', stage: 'prod', labels: { 'bad key!': 'v' } } });
    assert.equal(label.status, 400);
    assert.match(label.json().detail, /label key "bad key!"/);
    const ttl = await call('POST', '/v1/clusters', { body: { name: 'x', stage: 'prod', ttlSeconds: 5 } });
    assert.equal(ttl.status, 400);
    const duplicate = await call('POST', '/v1/clusters', { body: { name: 'a', stage: 'dev' } });
    assert.equal(duplicate.status, 409);
    assert.match(duplicate.json().detail, /already registered/);

    const tokens = new PgApiTokenStore(env.db.sql);
    const operator = (await tokens.create('an-operator', 'operator', 'test')).secret;
    assert.equal((await call('POST', '/v1/clusters', { body: { name: 'x', stage: 'prod' }, token: operator })).status, 403);
    assert.equal((await call('DELETE', '/v1/clusters/a', { token: operator })).status, 403);
    assert.equal((await call('POST', '/v1/clusters', { body: { name: 'x', stage: 'prod' }, token: null })).status, 401);
    const [row] = await env.db.sql`select count(*)::int as n from cluster_registrations where cluster = 'x'`;
    assert.equal(row?.['n'], 0);
  });

  it('enrolls an agent whose credentials reach only its own cluster, and refuses the token a second time', async () => {
    const registered = await call('POST', '/v1/clusters/a/bootstrap-tokens', { body: {} });
    assert.equal(registered.status, 201, registered.body);
    const token = registered.json().token;
    const { nc, enrolled } = await enrollAndConnect(token);
    assert.equal(enrolled.cluster, 'a');
    assert.equal(enrolled.inboxPrefix, '_INBOX_a');
    assert.deepEqual(enrolled.natsUrls, [env.server.url]);

    const js = jetstream(nc);
    const kv = await openKv(js, 'desired');
    assert.equal((await withTimeout(kv.get(kvKeys.desired('a', 'cart'))))?.json<{ v: string }>().v, 'a');
    await assert.rejects(withTimeout(kv.get(kvKeys.desired('b', 'cart'))));
    await assert.rejects(withTimeout(js.publish(subjects.agent('b', 'cart', 'applied'), '{}')), isPermissionViolation);
    await assert.rejects(withTimeout(js.publish(subjects.desired('a', 'cart', 'changed'), '{}')), isPermissionViolation);
    await assert.rejects(withTimeout(kv.put(kvKeys.desired('a', 'cart'), 'x')), isPermissionViolation);
    await assert.rejects(withTimeout(kv.delete(kvKeys.desired('a', 'cart'))), isPermissionViolation);
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    await assert.rejects(withTimeout(jsm.streams.delete('KV_desired')), isPermissionViolation);
    const ack = await withTimeout(js.publish(subjects.agent('a', 'cart', 'applied'), '{}'));
    assert.equal(ack.stream, 'DRIFTLESS_EVENTS');
    assert.equal((await env.provisioned.desired.get(kvKeys.desired('a', 'cart')))?.json<{ v: string }>().v, 'a', 'the key is untouched');

    // Second use, even with another key.
    const again = await enroll(token, createUserKeyPair().publicKey);
    assert.equal(again.status, 403);
    assert.match(again.json().detail, /already used/);
    assert.deepEqual(await attempts('a'), ['enrolled', 'used_token']);
    const [credential] = await env.db.sql`select cluster, revoked_at from agent_credentials where public_key is not null and cluster = 'a'`;
    assert.equal(credential?.['revoked_at'], null);
  });

  it('refuses an expired or unknown bootstrap token and records each refusal', async () => {
    const res = await register('c', { ttlSeconds: 60 });
    clockMs += 61_000;
    const expired = await enroll(res.bootstrapToken.token, createUserKeyPair().publicKey);
    assert.equal(expired.status, 403);
    assert.match(expired.json().detail, /expired at/);
    const unknown = await enroll(`dlb_${'A'.repeat(43)}`, createUserKeyPair().publicKey);
    assert.equal(unknown.status, 403);
    assert.match(unknown.json().detail, /not valid/);
    assert.deepEqual(await attempts('c'), ['expired_token']);
    assert.deepEqual(await attempts(null), ['unknown_token']);

    const log = await call('GET', '/v1/agents/enrollments');
    assert.equal(log.status, 200);
    const outcomes = log.json().items.map((i: any) => i.outcome);
    assert.deepEqual(outcomes.slice(0, 2), ['unknown_token', 'expired_token'], 'newest first');
    assert.ok(!/"jwt"|dlb_/.test(log.body), 'the log holds no token and no credential');
    const malformed = await call('POST', '/v1/agents/enroll', { body: { bootstrapToken: res.bootstrapToken.token, publicKey: 'not-a-key' }, token: null });
    assert.equal(malformed.status, 400);
  });

  it('revokes a cluster: its agent is cut off and refused, and later revocations keep earlier ones', async () => {
    const victim = agents[0];
    assert.ok(victim && !victim.isClosed());
    const closed = victim.closed();
    const res = await call('DELETE', '/v1/clusters/a?reason=decommissioned');
    assert.equal(res.status, 200, res.body);
    assert.equal(res.json().revokedCredentials, 1);
    assert.equal(res.json().cluster.revokedBy, 'token:test-admin');
    assert.ok((await withTimeout(closed, 20_000)) instanceof Error, 'the server closed the revoked connection');
    const credsFile = join(env.dir, readdirSync(env.dir).find((f) => f.startsWith('agent-a-')) ?? 'missing');
    const reconnect = () => connectNats({ servers: env.server.url, name: 'agent-a-again', credsFile, inboxPrefix: '_INBOX_a', maxAttempts: 1 });
    await assert.rejects(reconnect(), ForbiddenError);

    // The cluster list and the ledger say so.
    const listed = (await call('GET', '/v1/clusters/a')).json();
    assert.ok(listed.revokedAt);
    const ledger = await eventually(
      async () => (await call('GET', '/v1/transitions?cluster=a&kind=cluster_revoked')).json().items[0],
      { timeoutMs: 30_000, what: 'the revocation in the ledger' },
    );
    assert.equal(ledger.actor, 'token:test-admin');
    assert.equal(ledger.detail.reason, 'decommissioned');

    // No more tokens for a revoked cluster; repeating the revocation is safe.
    assert.equal((await call('POST', '/v1/clusters/a/bootstrap-tokens', { body: {} })).status, 409);
    const repeat = await call('DELETE', '/v1/clusters/a');
    assert.equal(repeat.status, 200);
    assert.equal(repeat.json().wasAlreadyRevoked, true);
    assert.equal((await call('DELETE', '/v1/clusters/never-registered')).status, 404);

    // Revoking another cluster re-signs the account: a's revocation must survive it.
    const b = await register('b');
    const agentB = await enrollAndConnect(b.bootstrapToken.token);
    assert.equal((await call('DELETE', '/v1/clusters/b')).status, 200);
    await withTimeout(agentB.nc.closed(), 20_000);
    await assert.rejects(reconnect(), ForbiddenError);
    const stored = await env.db.sql`select cluster from nats_revocations order by cluster`;
    assert.deepEqual(stored.map((r) => r['cluster']), ['a', 'b']);

    // Registered again, the cluster gets a working agent; the old credential stays revoked.
    const again = await register('a');
    const fresh = await enrollAndConnect(again.bootstrapToken.token);
    const kv = await openKv(jetstream(fresh.nc), 'desired');
    assert.equal((await withTimeout(kv.get(kvKeys.desired('a', 'cart'))))?.json<{ v: string }>().v, 'a');
    await assert.rejects(reconnect(), ForbiddenError);
  });

  it('pushes the stored revocations again at start, so a server restored from its configuration refuses revoked agents', async () => {
    const credsFile = join(env.dir, readdirSync(env.dir).find((f) => f.startsWith('agent-b-')) ?? 'missing');
    const connectB = () => connectNats({ servers: env.server.url, name: 'agent-b-again', credsFile, inboxPrefix: '_INBOX_b', maxAttempts: 1 });
    // The server loses its account updates and starts again from the preloaded (revocation-free) JWT.
    await env.server.stop();
    const resolverDir = join(env.dir, 'resolver');
    for (const f of readdirSync(resolverDir)) rmSync(join(resolverDir, f), { recursive: true, force: true });
    await env.server.start();
    const readmitted = await connectB();
    await readmitted.close();
    await eventually(async () => !env.service.isClosed() && (await env.service.rtt().then(() => true, () => false)), { what: 'the control plane reconnected' });
    const pushed = await eventually(() => env.registrar.pushStoredRevocations().catch(() => 0), { timeoutMs: 20_000, what: 'the revocations pushed' });
    assert.equal(pushed, 2);
    await assert.rejects(connectB(), ForbiddenError);
  });

  it('manages API tokens: secret shown once, last use recorded, revocation effective, no secret in any listing', async () => {
    const created = await call('POST', '/v1/tokens', { body: { name: 'ci', role: 'viewer' } });
    assert.equal(created.status, 201, created.body);
    const { token, secret } = created.json();
    assert.match(secret, /^dla_/);
    assert.equal(token.role, 'viewer');
    assert.equal(token.createdBy, 'token:test-admin');
    assert.equal(token.lastUsedAt, null);
    assert.equal((await call('POST', '/v1/tokens', { body: { name: 'ci', role: 'admin' } })).status, 409, 'active names are unique');
    assert.equal((await call('POST', '/v1/tokens', { body: { name: 'x', role: 'root' } })).status, 400);
    assert.equal((await call('POST', '/v1/tokens', { body: { name: 'x', role: 'viewer' }, token: secret })).status, 403, 'a viewer cannot create tokens');

    assert.equal((await call('GET', '/v1/inventory', { token: secret })).status, 200);
    const listed = await call('GET', '/v1/tokens');
    assert.equal(listed.status, 200);
    const ci = listed.json().items.find((t: any) => t.id === token.id);
    assert.ok(ci.lastUsedAt, 'last use recorded');
    assert.ok(!listed.body.includes(secret) && !/secret|hash/i.test(listed.body), 'no secret or hash in the listing');

    const revoked = await call('DELETE', `/v1/tokens/${token.id}`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.json().revokedBy, 'token:test-admin');
    assert.equal((await call('GET', '/v1/inventory', { token: secret })).status, 401);
    assert.equal((await call('DELETE', '/v1/tokens/tok_nope')).status, 404);
    const active = (await call('GET', '/v1/tokens')).json().items.map((t: any) => t.id);
    assert.ok(!active.includes(token.id));
    const all = (await call('GET', '/v1/tokens?includeRevoked=true')).json().items.map((t: any) => t.id);
    assert.ok(all.includes(token.id));
  });
});
