import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeConfig, field, loadConfig } from './index.js';

const spec = {
  natsUrls: field.urls({ env: 'T_NATS_URL', doc: 'NATS servers', example: 'nats://127.0.0.1:4222', protocols: ['nats:', 'tls:'], default: ['nats://127.0.0.1:4222'] }),
  cluster: field.string({ env: 'T_CLUSTER', doc: 'cluster name', example: 'prod-eu', pattern: /^[a-z0-9-]+$/ }),
  concurrency: field.integer({ env: 'T_CONCURRENCY', doc: 'parallel reconciles', example: '4', min: 1, max: 64, default: 4 }),
  isDriftCorrectionEnabled: field.boolean({ env: 'T_DRIFT', doc: 'heal drift', example: 'true', default: true }),
  logLevel: field.oneOf(['debug', 'info', 'warn'], { env: 'T_LOG', doc: 'log level', example: 'info', default: 'info' }),
  token: field.string({ env: 'T_TOKEN', doc: 'bootstrap token', example: 'dl_...', isSecret: true }),
};

describe('loadConfig', () => {
  it('applies defaults and parses values into a frozen typed object', () => {
    const config = loadConfig(spec, { T_CLUSTER: 'prod-eu', T_CONCURRENCY: '8', T_DRIFT: 'off', T_TOKEN: 's3cret' });
    assert.deepEqual(config.natsUrls, ['nats://127.0.0.1:4222']);
    assert.equal(config.concurrency, 8);
    assert.equal(config.isDriftCorrectionEnabled, false);
    assert.equal(config.logLevel, 'info');
    assert.ok(Object.isFrozen(config));
    const n: number = config.concurrency; // typed
    assert.equal(n, 8);
  });

  it('lists every problem at once with the variable, the reason and an example, never a secret', () => {
    try {
      loadConfig(spec, { T_NATS_URL: 'http://x', T_CLUSTER: 'Prod_EU', T_CONCURRENCY: '0', T_DRIFT: 'maybe', T_LOG: 'loud', T_TOKEN: '' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 6);
      assert.match(err.message, /T_NATS_URL="http:\/\/x" "http:\/\/x" must use nats: or tls:/);
      assert.match(err.message, /T_CLUSTER="Prod_EU" must match/);
      assert.match(err.message, /T_CONCURRENCY="0" must be at least 1 \(e\.g\. T_CONCURRENCY=4\)/);
      assert.match(err.message, /T_DRIFT="maybe" must be true or false/);
      assert.match(err.message, /T_LOG="loud" must be one of debug, info, warn/);
      assert.match(err.message, /T_TOKEN is required/);
    }
    assert.throws(() => loadConfig(spec, { T_CLUSTER: 'a', T_TOKEN: 'x', T_CONCURRENCY: 'lots' }), /T_CONCURRENCY="lots" must be a whole number/);
    assert.throws(
      () => loadConfig({ token: field.string({ env: 'T_TOKEN', doc: 'x', example: 'y', isSecret: true, minLength: 10 }) }, { T_TOKEN: 'short' }),
      (err: Error) => !err.message.includes('short') && err.message.includes('<secret>'),
    );
  });

  it('describes itself for --help', () => {
    const text = describeConfig(spec);
    assert.match(text, /T_CLUSTER \(required\)/);
    assert.match(text, /T_CONCURRENCY \(default 4\)/);
  });
});
