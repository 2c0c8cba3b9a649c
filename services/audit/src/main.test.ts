import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { connectNats, type ResourceNames } from '@driftless/nats';
import { freePort, isolatedNames, removeResources } from '@driftless/nats/testing';
import { NATS_URL, POSTGRES_URL, eventually } from '@driftless/testkit';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const ADMIN_TOKEN = `dla_${'x'.repeat(40)}`;

function run(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('the audit process', () => {
  let db: ScratchDatabase;
  let names: ResourceNames;
  before(async () => {
    db = await createScratchDatabase(POSTGRES_URL, 'audit_main');
    names = isolatedNames('main');
  });
  after(async () => {
    const nc = await connectNats({ servers: NATS_URL, name: 'audit-main-cleanup' });
    await removeResources(nc, names);
    await nc.close();
    await db.drop();
  });

  it('refuses a bad configuration with every problem listed and no stack trace', async () => {
    const proc = run({ DRIFTLESS_AUDIT_POSTGRES_URL: 'mysql://x', DRIFTLESS_HTTP_PORT: 'eighty', DRIFTLESS_AUDIT_ADMIN_TOKEN: 'short' });
    assert.equal(await proc.exited, 1);
    const { stderr } = proc.output();
    assert.match(stderr, /invalid configuration \(3 problems\)/);
    assert.match(stderr, /DRIFTLESS_AUDIT_POSTGRES_URL="mysql:\/\/x" must use postgres: or postgresql:/);
    assert.match(stderr, /DRIFTLESS_HTTP_PORT="eighty" must be a whole number/);
    assert.match(stderr, /DRIFTLESS_AUDIT_ADMIN_TOKEN=<secret> must be at least 32 characters/);
    assert.ok(!stderr.includes('short') && !/\n\s+at /.test(stderr));
  });

  it('says which Postgres it cannot reach, in one line', async () => {
    const port = await freePort();
    const proc = run({ DRIFTLESS_AUDIT_POSTGRES_URL: `postgres://audit:pw@127.0.0.1:${port}/audit`, DRIFTLESS_AUDIT_POSTGRES_CONNECT_ATTEMPTS: '2' });
    assert.equal(await proc.exited, 1);
    const { stderr } = proc.output();
    assert.match(stderr, new RegExp(`audit: cannot run: cannot connect to Postgres at 127\\.0\\.0\\.1:${port}/audit after 2 attempts: .*ECONNREFUSED`));
    assert.ok(!stderr.includes(':pw@'));
  });

  it('starts, serves the API with the bootstrap admin token, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const proc = run({
      DRIFTLESS_AUDIT_POSTGRES_URL: db.url,
      DRIFTLESS_NATS_URL: NATS_URL,
      DRIFTLESS_EVENTS_STREAM: names.eventsStream,
      DRIFTLESS_NATS_SUBJECT_PREFIX: names.subjectPrefix,
      DRIFTLESS_AUDIT_CONSUMER: 'audit-main-test',
      DRIFTLESS_HTTP_HOST: '127.0.0.1',
      DRIFTLESS_HTTP_PORT: String(port),
      DRIFTLESS_AUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      DRIFTLESS_LOG_LEVEL: 'warn',
    });
    try {
      await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, { timeoutMs: 60_000, intervalMs: 200, what: 'readiness' });
      const anonymous = await fetch(`http://127.0.0.1:${port}/v1/clusters`);
      assert.equal(anonymous.status, 401);
      const admin = await fetch(`http://127.0.0.1:${port}/v1/audit/verify`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.equal(admin.status, 200);
      assert.equal(((await admin.json()) as { isIntact: boolean }).isIntact, true);
      const [stored] = await db.sql<{ token_hash: string }[]>`select token_hash from api_tokens where id = 'bootstrap-admin'`;
      assert.ok(stored && stored.token_hash !== ADMIN_TOKEN && /^[0-9a-f]{64}$/.test(stored.token_hash), 'only the hash is stored');
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });
});
