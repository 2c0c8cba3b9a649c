/**
 * Enrollment against the real audit API and a nats-server in operator mode: the agent trades
 * its bootstrap token for credentials, applies its cluster's desired state with them, and when
 * the cluster is revoked it says so in one line and exits; a used or foreign token is refused.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startRegistrationEnv, type RegistrationEnv } from '@driftless/audit/testing';
import { InvalidInputError, kvKeys, UnavailableError } from '@driftless/contracts';
import { startKubeSim, type KubeSim } from '@driftless/kube-sim';
import { connectNats, openKv } from '@driftless/nats';
import { eventually } from '@driftless/testkit';
import { jetstream } from '@nats-io/jetstream';
import { enroll, EnrollmentRefusedError, planCredentials } from './enroll.js';
import { configMap } from './testing/desired.js';
import { putDesired } from './testing/harness.js';

const MAIN = join(import.meta.dirname, 'main.ts');

interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnAgent(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  child.stderr.on('data', (c: Buffer) => (output = (output + c.toString('utf8')).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { process: child, output: () => output, exited };
}

describe('agent enrollment', () => {
  let env: RegistrationEnv;
  let apiUrl: string;
  let dir: string;
  let sim: KubeSim;
  const children: Child[] = [];

  const bootstrapToken = async (cluster: string): Promise<string> => {
    const res = await env.app.inject({ method: 'POST', url: '/v1/clusters', headers: { authorization: `Bearer ${env.adminToken}` }, payload: { name: cluster, stage: 'prod' } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json<{ bootstrapToken: { token: string } }>().bootstrapToken.token;
  };
  const tokenFile = (name: string, token: string) => {
    const path = join(dir, `${name}.token`);
    writeFileSync(path, `${token}\n`);
    return path;
  };

  before(async () => {
    env = await startRegistrationEnv({ label: 'agent_enroll' });
    apiUrl = await env.app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'driftless-enroll-'));
    sim = await startKubeSim({});
    writeFileSync(join(dir, 'kubeconfig'), sim.kubeconfig);
  });

  after(async () => {
    for (const child of children) child.process.kill('SIGKILL');
    await sim?.stop();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans: existing credentials win, a token enrolls, a token without an API URL or creds path is a clear error', () => {
    const creds = join(dir, 'existing.creds');
    writeFileSync(creds, 'x');
    const token = tokenFile('plan', 'dlb_'.padEnd(47, 'x'));
    const base = { cluster: 'a', apiUrl: 'https://api.example.com', bootstrapTokenFile: token };
    assert.deepEqual(planCredentials({ ...base, natsCredsFile: creds }), { kind: 'existing', credsFile: creds });
    assert.equal(planCredentials({ ...base, natsCredsFile: join(dir, 'new.creds') }).kind, 'enroll');
    assert.equal(planCredentials({ ...base, natsCredsFile: undefined, bootstrapTokenFile: join(dir, 'none') }).kind, 'none');
    assert.throws(() => planCredentials({ ...base, apiUrl: undefined, natsCredsFile: undefined }), (err: Error) => err instanceof InvalidInputError && /DRIFTLESS_API_URL/.test(err.message) && /DRIFTLESS_NATS_CREDS_FILE/.test(err.message));
    assert.throws(() => planCredentials({ ...base, natsCredsFile: join(dir, 'missing.creds'), bootstrapTokenFile: join(dir, 'none') }), /does not exist and there is no bootstrap token/);
  });

  it('enrolls: writes a private creds file that reads its own desired state; the token does not work twice', async () => {
    await env.provisioned.desired.put(kvKeys.desired('a', 'cart'), JSON.stringify({ v: 'a' }));
    const token = tokenFile('a', await bootstrapToken('a'));
    const credsFile = join(dir, 'nats', 'a.creds');
    const enrolled = await enroll({ cluster: 'a', apiUrl, bootstrapTokenFile: token, credsFile, maxAttempts: 1 });
    assert.equal(enrolled.inboxPrefix, '_INBOX_a');
    assert.equal(statSync(credsFile).mode & 0o777, 0o600);
    assert.match(readFileSync(credsFile, 'utf8'), /-----BEGIN NATS USER JWT-----[\s\S]+-----BEGIN USER NKEY SEED-----/);
    const nc = await connectNats({ servers: env.server.url, name: 'agent-a', credsFile, inboxPrefix: enrolled.inboxPrefix, maxAttempts: 1 });
    try {
      const kv = await openKv(jetstream(nc), 'desired');
      assert.equal((await kv.get(kvKeys.desired('a', 'cart')))?.json<{ v: string }>().v, 'a');
    } finally {
      await nc.close();
    }
    await assert.rejects(
      enroll({ cluster: 'a', apiUrl, bootstrapTokenFile: token, credsFile: join(dir, 'again.creds'), maxAttempts: 1 }),
      (err: Error) => err instanceof EnrollmentRefusedError && /already used/.test(err.message),
    );
  });

  it('refuses a token of another cluster, and retries nothing after a refusal but everything while the API is away', async () => {
    const token = tokenFile('b', await bootstrapToken('b'));
    await assert.rejects(
      enroll({ cluster: 'not-b', apiUrl, bootstrapTokenFile: token, credsFile: join(dir, 'b.creds'), maxAttempts: 1 }),
      /belongs to cluster "b", but this agent is configured for cluster "not-b"/,
    );
    await assert.rejects(
      enroll({ cluster: 'c', apiUrl: 'http://127.0.0.1:9', bootstrapTokenFile: token, credsFile: join(dir, 'c.creds'), maxAttempts: 2, maxBackoffMs: 10 }),
      (err: Error) => err instanceof UnavailableError && err.message.includes('http://127.0.0.1:9/v1/agents/enroll'),
    );
  });

  it('runs as a process: enrolls, applies its desired state, and stops with one clear line when revoked', async () => {
    const cluster = 'prod-eu';
    const token = tokenFile(cluster, await bootstrapToken(cluster));
    await putDesired(env.provisioned, { cluster, component: 'web', objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }, configMap('site', 'web')] });
    const agentEnv = {
      DRIFTLESS_CLUSTER: cluster,
      DRIFTLESS_NATS_URL: env.server.url,
      DRIFTLESS_API_URL: apiUrl,
      DRIFTLESS_BOOTSTRAP_TOKEN_FILE: token,
      DRIFTLESS_NATS_CREDS_FILE: join(dir, 'process', 'agent.creds'),
      DRIFTLESS_KUBECONFIG: join(dir, 'kubeconfig'),
      DRIFTLESS_MAX_BACKOFF_MS: '1000',
      DRIFTLESS_HEARTBEAT_INTERVAL_MS: '1000',
      DRIFTLESS_LOG_LEVEL: 'warn',
    };
    const agent = spawnAgent(agentEnv);
    children.push(agent);
    await eventually(() => sim.cluster.get('v1', 'ConfigMap', 'web', 'site'), { timeoutMs: 60_000, what: `the enrolled agent applied its desired state (${agent.output()})` });
    // Its reports reach the ledger through the normal ingest: it speaks for its own cluster.
    await eventually(
      async () => (await env.db.sql`select 1 from transitions where cluster = ${cluster} and kind = 'applied'`).length > 0,
      { timeoutMs: 30_000, what: 'the applied report in the ledger' },
    );

    const revoked = await env.app.inject({ method: 'DELETE', url: `/v1/clusters/${cluster}`, headers: { authorization: `Bearer ${env.adminToken}` } });
    assert.equal(revoked.statusCode, 200, revoked.body);
    assert.equal(await agent.exited, 3);
    assert.match(agent.output(), /driftless-agent: NATS refused this agent's credentials \(.*\): cluster "prod-eu" was probably revoked/);

    // Started again with the same (revoked) credentials, it is refused at once: no enrollment, no retry loop.
    const again = spawnAgent(agentEnv);
    children.push(again);
    assert.equal(await again.exited, 3);
    assert.match(again.output(), /driftless-agent: NATS at .* refused the credentials of "driftless-agent-prod-eu"/);
  });
});
