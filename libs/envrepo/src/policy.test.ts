import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse } from 'yaml';
import {
  NO_POLICY,
  PolicyFileSchema,
  RenderError,
  brakeOf,
  brakeViolations,
  changeRulesOf,
  gatesOf,
  isAuthorAllowed,
  loadPolicy,
  matchesPath,
  memoryReader,
  parseDuration,
  pathRulesFor,
  policyJsonSchema,
} from './index.js';
import { repoPath } from './testdata/repos.js';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKc3S2Tj0XH5Sg8O7VnF8m0eGgqZ1k0I8uQ3nN4rZp2B alice@example.com';
const GPG_KEY = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZ0000000\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n';

const POLICY = `apiVersion: driftless.dev/v1alpha1
kind: Policy
keys:
  alice: { ssh: "${SSH_KEY}" }
  bob:
    gpg: |
${GPG_KEY.split('\n').map((line) => `      ${line}`).join('\n')}
stages:
  test:
    gates: { soak: 10m }
  prod:
    gates:
      soak: 1h30m
      approvals: 2
      windows: [{ days: [mon, tue, wed, thu], start: "09:00", end: "16:00", timezone: Europe/Berlin }]
      rollbackExempt: true
    changes:
      authors: ["*@example.com"]
      signedBy: [alice, bob]
    brake: { maxClustersChanged: 3 }
paths:
  - { path: policy.yaml, authors: ["platform-lead@example.com"] }
  - { path: "versions/prod.yaml", signedBy: [alice] }
  - { path: "components/**", authors: ["*@example.com"] }
brake: { maxClustersRemoved: 5, maxClustersChanged: 50 }
`;

async function policyError(text: string): Promise<RenderError> {
  try {
    await loadPolicy(memoryReader({ 'policy.yaml': text }));
  } catch (err) {
    assert.ok(err instanceof RenderError, `expected a RenderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected loadPolicy to fail');
}

describe('loadPolicy', () => {
  it('reads keys, gates, change rules, path rules and brakes', async () => {
    const { policy, warnings } = await loadPolicy(memoryReader({ 'policy.yaml': POLICY }), { stages: ['dev', 'test', 'prod'] });
    assert.deepEqual(warnings, []);
    assert.equal(policy.isDeclared, true);
    assert.deepEqual(policy.keys.get('alice'), { name: 'alice', kind: 'ssh', publicKey: SSH_KEY });
    assert.equal(policy.keys.get('bob')?.kind, 'gpg');
    assert.match(policy.keys.get('bob')?.publicKey ?? '', /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.deepEqual(gatesOf(policy, 'prod'), {
      soakSeconds: 5400,
      approvals: 2,
      windows: [{ days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' }],
      isRollbackExempt: true,
    });
    assert.deepEqual(gatesOf(policy, 'test'), { soakSeconds: 600, approvals: 0, windows: [], isRollbackExempt: false });
    assert.deepEqual(changeRulesOf(policy, 'prod'), { authors: ['*@example.com'], signedBy: ['alice', 'bob'] });
    assert.deepEqual(changeRulesOf(policy, 'dev'), {});
    assert.deepEqual(
      policy.paths.map((r) => [r.path, r.line]),
      [
        ['policy.yaml', 27],
        ['versions/prod.yaml', 28],
        ['components/**', 29],
      ],
    );
  });

  it('gives no gates and no restrictions when there is no policy.yaml', async () => {
    const { policy, warnings } = await loadPolicy(memoryReader({ 'driftless.yaml': 'x: 1' }));
    assert.equal(policy, NO_POLICY);
    assert.deepEqual(warnings, []);
    assert.deepEqual(gatesOf(policy, 'prod'), { soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false });
    assert.deepEqual(brakeOf(policy, 'prod'), {});
  });

  it('takes the limits a stage leaves out of its brake from the default brake', async () => {
    const { policy } = await loadPolicy(memoryReader({ 'policy.yaml': POLICY }));
    assert.deepEqual(brakeOf(policy, 'prod'), { maxClustersRemoved: 5, maxClustersChanged: 3 });
    assert.deepEqual(brakeOf(policy, 'dev'), { maxClustersRemoved: 5, maxClustersChanged: 50 });
  });

  it('warns about policy for a stage driftless.yaml does not have', async () => {
    const { warnings } = await loadPolicy(memoryReader({ 'policy.yaml': POLICY }), { stages: ['dev', 'tset', 'prod'] });
    assert.deepEqual(warnings, ['policy.yaml:14: stages.test: there is no stage "test" (did you mean "tset"?); stages are dev, tset, prod; its policy applies to nothing']);
  });

  it('names the line and path of an unknown signing key', async () => {
    const err = await policyError(POLICY.replace('signedBy: [alice, bob]', 'signedBy: [alice, bobb]'));
    assert.equal(err.file, 'policy.yaml');
    assert.equal(err.line, 24);
    assert.equal(err.reason, 'stages.prod.changes.signedBy[1]: unknown key "bobb" (did you mean "bob"?); keys are alice, bob; list the key under keys first');
    assert.match(err.message, /^policy\.yaml:24: stages\.prod\.changes\.signedBy\[1\]: unknown key "bobb"/);
  });

  it('reports every problem at once, in line order', async () => {
    let text = POLICY.replace('soak: 1h30m', 'soak: 90 minutes');
    text = text.replace('timezone: Europe/Berlin', 'timezone: Europe/Berlni');
    text = text.replace('start: "09:00", end: "16:00"', 'start: "17:00", end: "16:00"');
    text = text.replace('approvals: 2', 'aprovals: 2');
    text = text.replace('{ path: "versions/prod.yaml", signedBy: [alice] }', '{ path: "../versions/prod.yaml" }');
    const err = await policyError(text);
    assert.deepEqual(
      err.problems.map((p) => `${p.line}: ${p.path}: ${p.reason}`),
      [
        '18: stages.prod.gates.soak: "90 minutes" is not a duration: use whole numbers with s, m, h or d, e.g. 90s, 10m, 1h30m, 2d',
        '19: stages.prod.gates.aprovals: unknown field "aprovals" (did you mean "approvals"?); fields are soak, approvals, windows, rollbackExempt',
        '20: stages.prod.gates.windows[0].timezone: unknown time zone "Europe/Berlni": use an IANA name such as Europe/Berlin or UTC',
        '20: stages.prod.gates.windows[0].end: must be after start (17:00); for a window over midnight, give two windows',
        '28: paths[1].path: "../versions/prod.yaml" must be a plain repository path: no empty, "." or ".." parts',
        '28: paths[1]: restricts nothing: give authors and/or signedBy',
      ],
    );
  });

  it('refuses a key with both or neither of ssh and gpg, and keys that are not keys', async () => {
    const both = await policyError(POLICY.replace(`alice: { ssh: "${SSH_KEY}" }`, `alice: { ssh: "${SSH_KEY}", gpg: "x" }`));
    assert.equal(both.reason, 'keys.alice: give exactly one of ssh or gpg, not ssh and gpg');
    const notSsh = await policyError(POLICY.replace(SSH_KEY, 'AAAAC3Nza alice'));
    assert.match(notSsh.reason, /^keys\.alice\.ssh: is not an OpenSSH public key line/);
    const notGpg = await policyError(POLICY.replace('-----BEGIN PGP PUBLIC KEY BLOCK-----', 'BEGIN'));
    assert.match(notGpg.reason, /^keys\.bob\.gpg: is not an ASCII-armoured OpenPGP public key/);
  });

  it('keeps the safety limits of the other repository files', async () => {
    const bomb = `apiVersion: driftless.dev/v1alpha1\nkind: Policy\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`;
    const aliases = await policyError(bomb);
    assert.match(aliases.reason, /alias bomb/);
    await assert.rejects(loadPolicy(memoryReader({ 'policy.yaml': POLICY }), { limits: { maxFileBytes: 100 } }), /more than the limit of 100/);
    const wrongKind = await policyError(POLICY.replace('kind: Policy', 'kind: Environment'));
    assert.equal(wrongKind.reason, 'kind: must be "Policy", not "Environment"');
    const empty = await policyError('# nothing\n');
    assert.match(empty.reason, /policy\.yaml is empty/);
  });
});

describe('policy checks', () => {
  it('matches author emails against globs, case-insensitively; no list allows anyone', () => {
    assert.ok(isAuthorAllowed(['*@example.com'], 'Alice@Example.com'));
    assert.ok(!isAuthorAllowed(['*@example.com'], 'mallory@example.com.evil.org'));
    assert.ok(!isAuthorAllowed(['*@example.com'], 'mallory@evil.org'));
    assert.ok(isAuthorAllowed(undefined, 'anyone@anywhere'));
    assert.ok(!isAuthorAllowed(['a.b@example.com'], 'axb@example.com'), 'a dot is a dot, not any character');
  });

  it('matches paths: * within a folder, ** across folders', () => {
    assert.ok(matchesPath('versions/*.yaml', 'versions/prod.yaml'));
    assert.ok(!matchesPath('versions/*.yaml', 'versions/clusters/prod-eu.yaml'));
    assert.ok(matchesPath('versions/**', 'versions/clusters/prod-eu.yaml'));
    assert.ok(matchesPath('**/prod.yaml', 'prod.yaml'));
    assert.ok(matchesPath('**/prod.yaml', 'a/b/prod.yaml'));
    assert.ok(!matchesPath('policy.yaml', 'x/policy.yaml'));
  });

  it('lists the path rules a change matches, with the paths each matched', async () => {
    const { policy } = await loadPolicy(memoryReader({ 'policy.yaml': POLICY }));
    const matched = pathRulesFor(policy, ['policy.yaml', 'components/cart/deploy.yaml', 'versions/dev.yaml']);
    assert.deepEqual(
      matched.map((m) => [m.rule.path, m.paths]),
      [
        ['policy.yaml', ['policy.yaml']],
        ['components/**', ['components/cart/deploy.yaml']],
      ],
    );
  });

  it('says why counts trip a brake, and nothing at the limit', () => {
    assert.deepEqual(brakeViolations({ maxClustersChanged: 3, maxClustersRemoved: 1 }, { changed: 3, removed: 1 }), []);
    assert.deepEqual(brakeViolations({ maxClustersChanged: 3, maxClustersRemoved: 1 }, { changed: 4, removed: 2 }), [
      "removes components from 2 clusters, more than the brake's maxClustersRemoved of 1",
      "changes 4 clusters, more than the brake's maxClustersChanged of 3",
    ]);
    assert.deepEqual(brakeViolations({}, { changed: 1000, removed: 1000 }), []);
  });

  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('1d2h3m4s'), 93784);
  });
});

describe('the policy JSON schema for editors', () => {
  it('is exactly what docs/schemas/policy.schema.json holds (run `npm run schema -w @driftless/envrepo` after changing it)', () => {
    const committed = readFileSync(repoPath('docs/schemas/policy.schema.json'), 'utf8');
    assert.equal(committed, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
  });

  it('accepts the example policy', () => {
    assert.ok(TypeCompiler.Compile(PolicyFileSchema).Check(parse(POLICY)));
  });
});
