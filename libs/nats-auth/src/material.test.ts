import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decode } from '@nats-io/jwt';
import type { Account, User } from '@nats-io/jwt';
import { InvalidInputError } from '@driftless/contracts';
import {
  accountJwtFromText,
  agentPermissions,
  createUserKeyPair,
  generateOperatorSetup,
  mintAgentJwt,
  registrationKeysFrom,
  revokeUsers,
  signAccountJwt,
  UNLIMITED_ACCOUNT,
} from './index.js';

describe('registration material', () => {
  it('reads seeds and the account JWT as the generator writes them, and mints with them', async () => {
    const setup = await generateOperatorSetup();
    const accountsJson = JSON.stringify({ account: { name: setup.account.name, publicKey: setup.account.publicKey, jwt: setup.account.jwt } }, null, 2);
    const keys = registrationKeysFrom({ accountSeed: `${setup.account.seed}\n`, operatorSigningSeed: `${setup.operatorSigningKey.seed}\n`, accountJwt: accountsJson });
    assert.equal(keys.account.publicKey, setup.account.publicKey);
    assert.equal(keys.account.name, 'DRIFTLESS');
    assert.equal(keys.operatorSigningKey.publicKey, setup.operatorSigningKey.publicKey);
    assert.equal(accountJwtFromText(`${setup.account.jwt}\n`), setup.account.jwt);

    const { publicKey } = createUserKeyPair();
    const jwt = await mintAgentJwt('a', publicKey, { accountSeed: keys.account.seed });
    const claims = decode<User>(jwt);
    assert.equal(claims.iss, setup.account.publicKey);
    assert.equal(claims.sub, publicKey);
  });

  it('refuses material from two installations, or a seed of the wrong kind', async () => {
    const one = await generateOperatorSetup();
    const other = await generateOperatorSetup();
    assert.throws(
      () => registrationKeysFrom({ accountSeed: one.account.seed, operatorSigningSeed: one.operatorSigningKey.seed, accountJwt: other.account.jwt }),
      (err: Error) => err instanceof InvalidInputError && /different installations/.test(err.message),
    );
    assert.throws(
      () => registrationKeysFrom({ accountSeed: one.operatorSigningKey.seed, operatorSigningSeed: one.operatorSigningKey.seed, accountJwt: one.account.jwt }),
      /not an account seed/,
    );
    assert.throws(() => registrationKeysFrom({ accountSeed: one.account.seed, operatorSigningSeed: one.account.seed, accountJwt: one.account.jwt }), /not an operator seed/);
    assert.throws(() => accountJwtFromText('{"account":{}}'), /no account\.jwt/);
  });

  it('keeps every earlier revocation and the account limits when it re-signs', async () => {
    const setup = await generateOperatorSetup();
    const first = await revokeUsers(setup, {}, ['UAAA'], 100);
    // The next revocation starts from the JWT now in force, not from scratch.
    const second = await revokeUsers({ ...setup, account: { ...setup.account, jwt: first.jwt } }, {}, ['UBBB'], 200);
    const claims = decode<Account>(second.jwt);
    assert.deepEqual(claims.nats.revocations, { UAAA: 100, UBBB: 200 });
    assert.deepEqual(claims.nats.limits, UNLIMITED_ACCOUNT);
    assert.equal(claims.sub, setup.account.publicKey);
    assert.equal(claims.iss, setup.operatorSigningKey.publicKey);
    // A later time for the same key wins; an earlier one never shortens a revocation.
    const again = await signAccountJwt(setup, { UAAA: 50, UCCC: 300 });
    assert.deepEqual(again.revocations, { UAAA: 50, UCCC: 300 });
    const merged = await signAccountJwt({ ...setup, account: { ...setup.account, jwt: first.jwt } }, { UAAA: 50 });
    assert.deepEqual(merged.revocations, { UAAA: 100 });
  });

  it('scopes agent subjects under an installation prefix', () => {
    const perms = agentPermissions('a', { subjectPrefix: 'staging' });
    assert.ok(perms.pub?.allow?.includes('staging.driftless.evt.agent.a.>'));
    assert.ok(perms.pub?.allow?.includes('staging.driftless.evt.cluster.a.heartbeat'));
    assert.ok(!perms.pub?.allow?.includes('driftless.evt.agent.a.>'));
  });
});
