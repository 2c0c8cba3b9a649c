import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { connectNats } from '@driftless/nats';
import { NATS_SERVER_BINARY, freePort } from '@driftless/nats/testing';
import { eventually } from '@driftless/testkit';

const script = join(dirname(fileURLToPath(import.meta.url)), 'generate.ts');
const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8' });

describe('npm run nats:auth', () => {
  const out = mkdtempSync(join(tmpdir(), 'driftless-nats-auth-gen-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('writes a configuration nats-server accepts and creds that connect', async () => {
    const port = await freePort();
    const result = run('--out', out, '--port', String(port), '--store-dir', join(out, 'js'), '--resolver-dir', join(out, 'resolver'));
    assert.equal(result.status, 0, result.stderr);
    assert.equal(statSync(join(out, 'secrets/account.seed')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(out, 'nats-server.conf'), 'utf8'), /resolver: \{\n {2}type: full/);
    const server = spawn(NATS_SERVER_BINARY, ['-c', join(out, 'nats-server.conf'), '-a', '127.0.0.1'], { stdio: 'ignore' });
    try {
      const url = `nats://127.0.0.1:${port}`;
      const nc = await eventually(() => connectNats({ servers: url, name: 'audit', credsFile: join(out, 'creds/audit.creds'), maxAttempts: 1 }), {
        what: 'nats-server with the generated configuration',
      });
      try {
        // JetStream is enabled for the DRIFTLESS account: account info answers without an error.
        const reply = (await nc.request('$JS.API.INFO', '', { timeout: 2000 })).json<{ error?: unknown; type?: string }>();
        assert.equal(reply.error, undefined);
        assert.equal(reply.type, 'io.nats.jetstream.api.v1.account_info_response');
      } finally {
        await nc.close();
      }
    } finally {
      server.kill();
    }
  });

  it('refuses to overwrite existing material and explains how', () => {
    const result = run('--out', out);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /refusing to overwrite.*--force/);
  });

  it('rejects bad arguments with usage', () => {
    assert.match(run().stderr, /--out DIR is required/);
    assert.match(run('--out', out, '--port', 'http').stderr, /--port must be a TCP port/);
    assert.equal(run('--help').status, 0);
  });
});
