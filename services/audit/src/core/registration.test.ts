import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '@driftless/contracts';
import { bootstrapExpiry, checkClusterAttributes, decideEnrollment, helmInstallCommand, helmSetValue, shellQuote, type TokenFacts } from './registration.js';

const NOW = new Date('2026-11-27T12:00:00Z');
const fresh: TokenFacts = { cluster: 'a', expiresAt: new Date(NOW.getTime() + 1000), usedAt: null, voidedAt: null, clusterRevokedAt: null };

describe('enrollment rules', () => {
  it('allows a fresh token and refuses each kind of bad one with its reason', () => {
    assert.deepEqual(decideEnrollment(fresh, NOW), { isAllowed: true });
    const refusal = (facts: TokenFacts | undefined) => {
      const d = decideEnrollment(facts, NOW);
      return d.isAllowed ? 'allowed' : d.refusal;
    };
    assert.equal(refusal(undefined), 'unknown_token');
    assert.equal(refusal({ ...fresh, usedAt: NOW }), 'used_token');
    assert.equal(refusal({ ...fresh, voidedAt: NOW }), 'voided_token');
    assert.equal(refusal({ ...fresh, expiresAt: NOW }), 'expired_token', 'expiry is exclusive');
    // A revoked cluster is the most useful thing to tell, whatever else is true of the token.
    assert.equal(refusal({ ...fresh, usedAt: NOW, expiresAt: new Date(0), clusterRevokedAt: NOW }), 'revoked_cluster');
    assert.equal(refusal({ ...fresh, usedAt: NOW, expiresAt: new Date(0) }), 'used_token');
  });

  it('bounds the token lifetime', () => {
    assert.equal(bootstrapExpiry(NOW).toISOString(), '2026-11-27T13:00:00.000Z');
    assert.equal(bootstrapExpiry(NOW, 60).toISOString(), '2026-11-27T12:01:00.000Z');
    assert.throws(() => bootstrapExpiry(NOW, 59), InvalidInputError);
    assert.throws(() => bootstrapExpiry(NOW, 8 * 24 * 3600), /one week/);
    assert.throws(() => bootstrapExpiry(NOW, 1.5), InvalidInputError);
  });

  it('checks labels and value names, listing every problem', () => {
    checkClusterAttributes({ region: 'eu', 'topology.kubernetes.io/zone': 'eu-1a', empty: '' }, { replicas: 3, _x: true });
    assert.throws(
      () => checkClusterAttributes({ 'a b': 'x', ok: 'not ok' }, { '1st': 1 }),
      (err: Error) => err instanceof InvalidInputError && /label key "a b"/.test(err.message) && /label ok=/.test(err.message) && /value key "1st"/.test(err.message),
    );
  });
});

describe('the agent install command', () => {
  it('escapes helm --set values and quotes for the shell', () => {
    assert.equal(helmSetValue('nats://a:4222,nats://b:4222'), 'nats://a:4222\\,nats://b:4222');
    assert.equal(shellQuote('plain-word_1.2/x:y'), 'plain-word_1.2/x:y');
    assert.equal(shellQuote("it's"), `'it'"'"'s'`);
    const command = helmInstallCommand({
      cluster: 'prod-eu',
      chart: 'oci://registry.example.com/charts/driftless-agent',
      natsUrls: ['tls://n1:4222', 'tls://n2:4222'],
      apiUrl: 'https://driftless.example.com',
      bootstrapToken: 'dlb_abc-DEF_123',
    });
    assert.equal(
      command,
      [
        'helm install driftless-agent oci://registry.example.com/charts/driftless-agent',
        '-n driftless-system --create-namespace',
        '--set cluster=prod-eu',
        "--set 'nats.url=tls://n1:4222\\,tls://n2:4222'",
        '--set enrollment.apiUrl=https://driftless.example.com',
        '--set enrollment.bootstrapToken=dlb_abc-DEF_123',
      ].join(' \\\n  '),
    );
  });
});
