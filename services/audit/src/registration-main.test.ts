/**
 * The audit process with and without NATS operator mode: with the generated material it
 * registers clusters over HTTP; without it it says so loudly once and answers 503; with only
 * part of the material it refuses to start and names what is missing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '@driftless/nats/testing';
import { eventually } from '@driftless/testkit';
import { startRegistrationEnv, type RegistrationEnv } from './testing/registration.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const ADMIN_TOKEN = `dla_${'r'.repeat(40)}`;

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the audit process and NATS operator mode', () => {
  let env: RegistrationEnv;
  let base: Record<string, string>;

  before(async () => {
    env = await startRegistrationEnv({ label: 'audit_registration_main' });
    base = {
      DRIFTLESS_AUDIT_POSTGRES_URL: env.db.url,
      DRIFTLESS_NATS_URL: env.server.url,
      DRIFTLESS_NATS_CREDS_FILE: join(env.dir, 'audit.creds'),
      DRIFTLESS_AUDIT_CONSUMER: 'audit-main-registration',
      DRIFTLESS_HTTP_HOST: '127.0.0.1',
      DRIFTLESS_AUDIT_ADMIN_TOKEN: ADMIN_TOKEN,
      DRIFTLESS_LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    await env?.close();
  });

  const serve = async (extra: Record<string, string>) => {
    const port = await freePort();
    const proc = run({ ...base, ...extra, DRIFTLESS_HTTP_PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, { timeoutMs: 60_000, intervalMs: 200, what: `readiness (${proc.output()})` });
    const register = (name: string) =>
      fetch(`${url}/v1/clusters`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, stage: 'prod' }),
      });
    return { proc, register };
  };

  it('registers clusters with the generated material', async () => {
    const { proc, register } = await serve({
      DRIFTLESS_NATS_ACCOUNT_SEED_FILE: env.files.accountSeedFile,
      DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE: env.files.operatorSigningSeedFile,
      DRIFTLESS_NATS_ACCOUNT_JWT_FILE: env.files.accountJwtFile,
      DRIFTLESS_NATS_SYSTEM_CREDS_FILE: env.files.systemCredsFile,
      DRIFTLESS_AGENT_NATS_URL: 'tls://nats.example.com:4222',
      DRIFTLESS_AUDIT_PUBLIC_URL: 'https://driftless.example.com',
    });
    try {
      const res = await register('from-main');
      assert.equal(res.status, 201);
      const body = (await res.json()) as { bootstrapToken: { helmInstallCommand: string } };
      assert.match(body.bootstrapToken.helmInstallCommand, /--set nats\.url=tls:\/\/nats\.example\.com:4222/);
      assert.match(body.bootstrapToken.helmInstallCommand, /--set enrollment\.apiUrl=https:\/\/driftless\.example\.com/);
      assert.match(proc.output(), /NATS operator mode: cluster registration and agent enrollment enabled/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('without the material: says so loudly once and answers 503', async () => {
    const { proc, register } = await serve({});
    try {
      const res = await register('dev-only');
      assert.equal(res.status, 503);
      assert.match(((await res.json()) as { detail: string }).detail, /operator mode is not configured/);
      assert.equal(proc.output().match(/NATS OPERATOR MODE IS NOT CONFIGURED/g)?.length, 1);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await proc.exited, 0);
  });

  it('with part of the material: refuses to start and names what is missing', async () => {
    const proc = run({ ...base, DRIFTLESS_NATS_ACCOUNT_SEED_FILE: env.files.accountSeedFile, DRIFTLESS_HTTP_PORT: String(await freePort()) });
    assert.equal(await proc.exited, 1);
    const output = proc.output();
    assert.match(output, /invalid configuration \(3 problems\)/);
    for (const name of ['DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE', 'DRIFTLESS_NATS_ACCOUNT_JWT_FILE', 'DRIFTLESS_NATS_SYSTEM_CREDS_FILE']) assert.ok(output.includes(`${name} is required in operator mode`), name);
  });
});
