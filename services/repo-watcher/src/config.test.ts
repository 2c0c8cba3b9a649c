import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@driftless/config';
import { configSpec } from './config.js';

describe('watcher config', () => {
  it('parses repositories, secrets and defaults', () => {
    const config = loadConfig(configSpec, {
      DRIFTLESS_WATCHER_REPOS: 'envs=https://git.example.com/acme/envs.git#prod, local=/srv/git/envs.git',
      DRIFTLESS_WATCHER_WEBHOOK_SECRETS: 'envs=abc,*=def',
    });
    assert.deepEqual(config.repos, [
      { name: 'envs', url: 'https://git.example.com/acme/envs.git', branch: 'prod' },
      { name: 'local', url: '/srv/git/envs.git', branch: 'main' },
    ]);
    assert.deepEqual(config.webhookSecrets, { envs: 'abc', '*': 'def' });
    assert.equal(config.pollIntervalMs, 30_000);
    assert.equal(config.maxBodyBytes, 1024 * 1024);
  });

  it('lists every problem and never echoes a secret or a credential-bearing URL', () => {
    assert.throws(
      () => loadConfig(configSpec, { DRIFTLESS_WATCHER_REPOS: 'Bad_Name=/x', DRIFTLESS_WATCHER_WEBHOOK_SECRETS: 'nope', DRIFTLESS_WATCHER_POLL_INTERVAL_MS: '5' }),
      (err: Error) => err instanceof ConfigError && err.problems.length === 3 && /DNS label/.test(err.message) && err.message.includes('<secret>'),
    );
    assert.throws(() => loadConfig(configSpec, { DRIFTLESS_WATCHER_REPOS: 'envs=https://bob:pw@host/x.git' }), /credentials in its URL/);
    assert.throws(() => loadConfig(configSpec, {}), /DRIFTLESS_WATCHER_REPOS is required/);
  });
});
