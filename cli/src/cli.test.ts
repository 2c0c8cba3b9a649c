/**
 * Every command of the `driftless` binary, run as a child process against a running audit
 * service (real HTTP on a free port, real Postgres, NATS in operator mode), plus help, colour
 * and the progress line through `runCli` with terminal-like streams.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startRegistrationEnv, clock, commit, events, type RegistrationEnv } from '@driftless/audit/testing';
import { createUserKeyPair } from '@driftless/nats-auth';
import { COMMANDS, runCli } from './cli.js';
import type { Io } from './io.js';

const BIN = fileURLToPath(new URL('../bin/driftless.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v;
    execFile(process.execPath, [BIN, ...args], { env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A terminal-like stream for in-process runs. */
function capture(isTTY: boolean) {
  let text = '';
  return { stream: { isTTY, write: (chunk: string) => (text += chunk) }, text: () => text };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const c1 = commit(1, 'ada@example.com');
const c2 = commit(2, 'bob@example.com');

describe('the driftless CLI against a running audit service', () => {
  let env: RegistrationEnv;
  let apiUrl: string;
  let cli: (args: readonly string[], extra?: Record<string, string | undefined>) => Promise<Run>;

  before(async () => {
    env = await startRegistrationEnv({ label: 'cli' });
    apiUrl = await env.app.listen({ host: '127.0.0.1', port: 0 });
    cli = (args, extra = {}) => run(args, { DRIFTLESS_API_URL: apiUrl, DRIFTLESS_TOKEN: env.adminToken, NO_COLOR: undefined, ...extra });
    // A small fleet: cart on two clusters (one drifted), pay on one, two commits.
    const tick = clock(Date.now() - 3600_000);
    await env.record([
      events.desiredChanged({ cluster: 'dev-1', component: 'cart', stage: 'dev', version: '1.0.0', commit: c1, apps: ['shop'], time: tick() }),
      events.desiredChanged({ cluster: 'prod-us', component: 'cart', stage: 'prod', version: '1.0.0', commit: c1, apps: ['shop'], time: tick() }),
      events.desiredChanged({ cluster: 'dev-1', component: 'pay', stage: 'dev', version: '2.0.0', commit: c1, apps: ['shop'], time: tick() }),
      events.applied({ cluster: 'dev-1', component: 'cart', version: '1.0.0', commitSha: c1.sha, time: tick() }),
      events.applied({ cluster: 'prod-us', component: 'cart', version: '1.0.0', commitSha: c1.sha, time: tick() }),
      events.healthChanged({ cluster: 'dev-1', component: 'cart', version: '1.0.0', from: null, to: 'Healthy', time: tick() }),
      events.desiredChanged({ cluster: 'dev-1', component: 'cart', stage: 'dev', version: '1.1.0', commit: c2, apps: ['shop'], time: tick() }),
    ]);
  });

  after(async () => {
    await env?.close();
  });

  it('registers a cluster: prints the one-time token and the install command, and the token enrolls an agent', async () => {
    const res = await cli(['cluster', 'add', 'prod-eu', '--stage', 'prod', '--label', 'region=eu', '--value', 'replicas=3', '--value', 'zip="01234"']);
    assert.equal(res.code, 0, res.stderr);
    const token = /\b(dlb_[A-Za-z0-9_-]{43})\b/.exec(res.stdout)?.[1];
    assert.ok(token, res.stdout);
    assert.match(res.stdout, /Registered cluster prod-eu \(stage prod, labels region=eu\)/);
    assert.match(res.stdout, /helm install driftless-agent .*\\\n\s+-n driftless-system/s);
    assert.ok(res.stdout.includes(`--set enrollment.bootstrapToken=${token}`));
    assert.ok(!res.stdout.includes('\u001b['), 'no colour when not on a terminal');
    const [row] = await env.db.sql<{ cluster_values: unknown }[]>`select cluster_values from cluster_registrations where cluster = 'prod-eu'`;
    assert.deepEqual(row?.cluster_values, { replicas: 3, zip: '01234' });

    const enrolled = await fetch(`${apiUrl}/v1/agents/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ bootstrapToken: token, publicKey: createUserKeyPair().publicKey }),
    });
    assert.equal(enrolled.status, 200);
  });

  it('prints JSON for scripts with -o json', async () => {
    const res = await cli(['-o', 'json', 'cluster', 'add', 'prod-ap', '--stage', 'prod', '--ttl', '2h']);
    assert.equal(res.code, 0, res.stderr);
    const body = JSON.parse(res.stdout) as { cluster: { name: string }; bootstrapToken: { token: string; expiresAt: string } };
    assert.equal(body.cluster.name, 'prod-ap');
    const ttlMs = Date.parse(body.bootstrapToken.expiresAt) - Date.now();
    assert.ok(ttlMs > 3600_000 && ttlMs <= 7200_000, `the token lives two hours (${ttlMs} ms left)`);
  });

  it('refuses bad command lines with exit code 2 and the usage', async () => {
    const name = await cli(['cluster', 'add', 'Prod_EU', '--stage', 'prod']);
    assert.equal(name.code, 2);
    assert.match(name.stderr, /cluster name "Prod_EU" is not a DNS label: use 1-63 lowercase letters, digits or '-'/);
    assert.match(name.stderr, /Usage: driftless cluster add NAME --stage STAGE/);
    const stage = await cli(['cluster', 'add', 'x']);
    assert.equal(stage.code, 2);
    assert.match(stage.stderr, /--stage STAGE is required/);
    const flag = await cli(['inventory', '--colour']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option --colour/);
    const missing = await cli(['blast-radius']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing COMPONENT/);
    const unknown = await cli(['deploy']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "deploy"/);
    const sha = await cli(['commit', 'abc123']);
    assert.equal(sha.code, 2);
    assert.match(sha.stderr, /full commit SHA/);
    const [row] = await env.db.sql`select count(*)::int as n from cluster_registrations where cluster in ('x', 'prod_eu')`;
    assert.equal(row?.['n'], 0, 'nothing reached the API');
  });

  it('lists clusters, issues another bootstrap token, and revokes', async () => {
    const list = await cli(['cluster', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+STAGE\s+STATUS/);
    assert.match(list.stdout, /\nprod-eu\s+prod\s+registered\s+region=eu/);
    const json = JSON.parse((await cli(['cluster', 'list', '--stage', 'prod', '-o', 'json'])).stdout) as { name: string }[];
    assert.deepEqual(json.map((c) => c.name).sort(), ['prod-ap', 'prod-eu', 'prod-us']);

    const token = await cli(['cluster', 'token', 'prod-eu', '--ttl', '30m']);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /dlb_[A-Za-z0-9_-]{43}/);

    const revoke = await cli(['cluster', 'revoke', 'prod-eu', '--reason', 'moved to prod-ap']);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, /Revoked cluster prod-eu: 1 agent credential no longer work/);
    const [reg] = await env.db.sql`select revoke_reason from cluster_registrations where cluster = 'prod-eu'`;
    assert.equal(reg?.['revoke_reason'], 'moved to prod-ap');
    const again = await cli(['cluster', 'revoke', 'prod-eu']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already revoked/);
    const nope = await cli(['cluster', 'revoke', 'nope']);
    assert.equal(nope.code, 1);
    assert.equal(nope.stderr, 'driftless: cluster "nope" was never registered, so it holds no credentials to revoke\n');
    const listed = await cli(['cluster', 'list']);
    assert.match(listed.stdout, /\nprod-eu\s+prod\s+revoked/);
  });

  it('shows the inventory, the history, the blast radius and what a commit did', async () => {
    const inventory = await cli(['inventory', '--cluster', 'dev-1']);
    assert.equal(inventory.code, 0, inventory.stderr);
    assert.match(inventory.stdout, /^CLUSTER\s+COMPONENT\s+STAGE\s+DESIRED\s+APPLIED/);
    assert.match(inventory.stdout, /\ndev-1\s+cart\s+dev\s+1\.1\.0\s+1\.0\.0\s+OutOfSync\s+Healthy/);
    assert.match(inventory.stdout, /\ndev-1\s+pay\s+dev\s+2\.0\.0\s+-/);
    assert.ok(!inventory.stdout.includes('prod-us'));
    const inventoryJson = JSON.parse((await cli(['inventory', '--component', 'cart', '-o', 'json'])).stdout) as { cluster: string }[];
    assert.deepEqual(inventoryJson.map((i) => i.cluster), ['dev-1', 'prod-us']);

    const history = await cli(['history', '--cluster', 'dev-1', '--component', 'cart', '--since', '24h']);
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^TIME\s+KIND\s+CLUSTER\s+COMPONENT\s+VERSION\s+COMMIT\s+ACTOR/);
    assert.match(lines[1] ?? '', /desired_changed\s+dev-1\s+cart\s+1\.1\.0\s+0{12}\s+bob@example\.com/, 'newest first');
    assert.equal(lines.length, 5, history.stdout);
    const byActor = JSON.parse((await cli(['history', '--actor', 'bob@example.com', '-o', 'json'])).stdout) as { toVersion: string }[];
    assert.deepEqual(byActor.map((t) => t.toVersion), ['1.1.0']);
    const future = await cli(['history', '--since', '2999-01-01T00:00:00Z']);
    assert.match(future.stdout, /no transitions match/);
    const registered = JSON.parse((await cli(['history', '--actor', 'token:test-admin', '-o', 'json'])).stdout) as { kind: string }[];
    assert.ok(registered.every((t) => t.kind.startsWith('cluster_')));

    const radius = await cli(['blast-radius', 'cart']);
    assert.equal(radius.code, 0, radius.stderr);
    assert.match(radius.stdout, /Clusters:\s+2/);
    assert.match(radius.stdout, /Stages:\s+dev, prod/);
    assert.match(radius.stdout, /\nprod-us\s+prod\s+shop\s+1\.0\.0\s+1\.0\.0\s+Synced/);
    const none = await cli(['blast-radius', 'ghost']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^driftless: component "ghost" has never been seen on any cluster\n$/);

    const report = await cli(['commit', c1.sha]);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /Author:\s+ada <ada@example\.com>/);
    assert.match(report.stdout, /\nprod-us\s+cart\s+prod\s+1\.0\.0\s+applied/);
    assert.match(report.stdout, /\ndev-1\s+pay\s+dev\s+2\.0\.0\s+pending/);
    assert.match(report.stdout, /Progress:\s+1 pending, 2 applied, 0 failed/);
    const unknownSha = await cli(['commit', 'f'.repeat(40)]);
    assert.equal(unknownSha.code, 1);
    assert.match(unknownSha.stderr, /is not in the audit log/);
  });

  it('creates, lists and revokes API tokens; a revoked or bad token fails in one line naming the API', async () => {
    const created = await cli(['token', 'create', '--name', 'ci', '--role', 'viewer']);
    assert.equal(created.code, 0, created.stderr);
    const secret = /\b(dla_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
    const id = /Id:\s+(tok_[0-9a-f]+)/.exec(created.stdout)?.[1];
    assert.ok(secret && id, created.stdout);
    assert.equal((await cli(['token', 'create', '--name', 'x', '--role', 'root'])).code, 2);

    const asViewer = await cli(['inventory'], { DRIFTLESS_TOKEN: secret });
    assert.equal(asViewer.code, 0, asViewer.stderr);
    const forbidden = await cli(['token', 'list'], { DRIFTLESS_TOKEN: secret });
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /^driftless: not allowed: this route needs the admin role; token "ci" has the viewer role\n$/);

    const list = await cli(['token', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`\\n${id}\\s+ci\\s+viewer\\s+\\S+ \\S+\\s+token:test-admin\\s+\\d{4}-\\d{2}-\\d{2} `), 'last use shown');
    assert.ok(!list.stdout.includes(secret) && !list.stdout.includes(env.adminToken), 'no secret listed');

    const revoked = await cli(['token', 'revoke', id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.match(revoked.stdout, new RegExp(`Revoked token ${id} "ci"`));
    const refused = await cli(['inventory', '--token', secret]);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.split('\n').length, 2, 'one line');
    assert.match(refused.stderr, new RegExp(`^driftless: the API at ${apiUrl.replace(/[.]/g, '\\.')} refused the token`));
    const all = JSON.parse((await cli(['token', 'list', '--all', '-o', 'json'])).stdout) as { id: string; revokedAt: string | null }[];
    assert.ok(all.find((t) => t.id === id)?.revokedAt);
    const noToken = await cli(['inventory'], { DRIFTLESS_TOKEN: '' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /needs a token: set DRIFTLESS_TOKEN or pass --token/);
  });

  it('says in one line that the API is unreachable, with its URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const res = await cli(['cluster', 'list', '--api-url', url]);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, `driftless: cannot reach the Driftless API at ${url} (connect ECONNREFUSED ${url.slice('http://'.length)}); check --api-url or DRIFTLESS_API_URL\n`);
    assert.equal(res.stdout, '');
  });

  it('verifies the audit log, and exits 1 once a row was tampered with', async () => {
    const intact = await cli(['audit', 'verify']);
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /^intact: \d+ rows checked/);
    // The ledger refuses updates; a tamperer with superuser rights goes around its trigger.
    await env.db.sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update transitions set to_version = '9.9.9' where seq = 2`;
    });
    const broken = await cli(['audit', 'verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^BROKEN: row 2 /);
    const json = JSON.parse((await cli(['audit', 'verify', '-o', 'json'])).stdout) as { isIntact: boolean };
    assert.equal(json.isIntact, false);
  });
});

describe('help, colour and progress', () => {
  it('has --help with an example for every command, exit 0', async () => {
    for (const command of COMMANDS) {
      const out = capture(false);
      const err = capture(false);
      const code = await runCli([...command.path, '--help'], { stdout: out.stream, stderr: err.stream, env: {} });
      assert.equal(code, 0, command.path.join(' '));
      assert.match(out.text(), new RegExp(`^Usage: driftless ${command.path.join(' ')}`));
      assert.match(out.text(), /\nExamples?:\n {2}driftless /);
      assert.equal(err.text(), '');
    }
    for (const argv of [['--help'], ['help'], ['cluster', '--help']]) {
      const out = capture(false);
      assert.equal(await runCli(argv, { stdout: out.stream, stderr: capture(false).stream, env: {} }), 0);
      assert.match(out.text(), /Usage: driftless/);
    }
    const err = capture(false);
    assert.equal(await runCli([], { stdout: capture(false).stream, stderr: err.stream, env: {} }), 2, 'no command is a usage error');
    assert.match(err.text(), /a command is required/);
  });

  it('colours tables on a terminal only, and shows a progress line while waiting', async () => {
    // A server that answers after the progress delay, so the line must appear and then be erased.
    const { createServer: createHttpServer } = await import('node:http');
    const server = createHttpServer((_req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [], nextCursor: null })), 200);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    try {
      const tty = capture(true);
      const ttyErr = capture(true);
      const io: Io = { stdout: tty.stream, stderr: ttyErr.stream, env: { DRIFTLESS_API_URL: url, DRIFTLESS_TOKEN: 'x'.repeat(20) }, progressDelayMs: 0 };
      assert.equal(await runCli(['cluster', 'list'], io), 0);
      assert.ok(tty.text().includes('\u001b[2m'), 'dim "no clusters" note on a terminal');
      assert.match(ttyErr.text(), /⠋ GET \/v1\/clusters … \d+\.\ds/);
      assert.ok(ttyErr.text().endsWith('\r\u001b[K'), 'the progress line is erased');

      const noColour = capture(true);
      const quietErr = capture(false);
      assert.equal(await runCli(['cluster', 'list'], { ...io, stdout: noColour.stream, stderr: quietErr.stream, env: { ...io.env, NO_COLOR: '1' } }), 0);
      assert.ok(!noColour.text().includes('\u001b['), 'NO_COLOR turns colour off');
      assert.equal(quietErr.text(), '', 'no progress line when stderr is not a terminal');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
