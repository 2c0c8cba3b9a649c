import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical.js';
import { canonicalContent, chainEntries, EMPTY_TIP, GENESIS_HASH, rowHash, verifyNext } from './chain.js';
import { toLedgerEntry } from './ledger.js';
import { ChainVerifier } from './verify.js';
import { clock, oneOfEach } from '../testing/fixtures.js';

function rows() {
  const entries = oneOfEach('dev-1', 'cart', clock()).flatMap((e) => toLedgerEntry(e, () => 'dev') ?? []);
  return chainEntries(EMPTY_TIP, entries, new Date('2026-11-27T13:00:00.000Z'));
}

function verifyAll(list: ReturnType<typeof rows>) {
  const verifier = new ChainVerifier(EMPTY_TIP);
  for (const row of list) if (!verifier.push(row)) break;
  return verifier;
}

/** The first implementation, kept as the definition every faster one must match byte for byte. */
function referenceCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .filter((key) => record[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${referenceCanonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEY_POOL = ['a', 'b', 'B', '_', '10', '9', '01', '-1', 'é', 'ä', '\u2028', '😀', 'with space', 'quote"', 'back\\slash', 'cluster', 'component', 'version', 'hash', ''];
const STRING_POOL = ['', 'x', 'line\nbreak', 'tab\t', '"quoted"', '\\', 'ümlaut', '😀', '\u2028\u2029', '\u0001', '1.2.0'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const roll = next();
  if (depth > 3 || roll < 0.45) return pick<unknown>([null, true, false, 0, -0, 1, -1.5, 1e21, 1e-7, 2 ** 53, undefined, ...STRING_POOL]);
  if (roll < 0.65) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const record: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 6); i > 0; i--) record[pick(KEY_POOL)] = randomValue(next, depth + 1);
  return record;
}

describe('canonicalJson', () => {
  it('ignores key order and undefined members, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }], u: undefined }), '{"a":[2,{"c":"x","d":null}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  });

  it('sorts integer-like keys as strings, unlike JSON.stringify', () => {
    assert.equal(canonicalJson({ 9: 'nine', 10: 'ten', a: 1 }), '{"10":"ten","9":"nine","a":1}');
  });

  it('writes exactly what the first implementation wrote, for thousands of random values', () => {
    const next = random(20261127);
    for (let i = 0; i < 5_000; i++) {
      const value = randomValue(next, 0);
      assert.equal(canonicalJson(value), referenceCanonicalJson(value), JSON.stringify(value));
    }
  });
});

describe('row hash', () => {
  // Pinned: every stored row was hashed this way, so these bytes and digests must never change.
  const row = {
    seq: 41,
    eventId: 'evt-ü-1',
    kind: 'desired_changed',
    occurredAt: new Date('2026-11-27T10:00:00.123Z'),
    recordedAt: new Date('2026-11-27T10:00:01.000Z'),
    cluster: 'prod-1',
    component: 'cart',
    stage: 'prod',
    repo: 'envs',
    apps: ['shop', 'web "x"'],
    fromVersion: '1.0.0',
    toVersion: '1.1.0',
    fromHash: null,
    toHash: 'sha256:ab',
    commitSha: 'a'.repeat(40),
    actor: 'ada@example.com',
    traceId: null,
    source: 'repo-watcher',
    subject: 'driftless.evt.desired.prod-1.cart.changed',
    detail: { z: 1, a: { 10: 'ten', 9: 'nine', b: [1, 'two\n', null, { y: true, x: false }] }, u: undefined, é: 'accent', '\u2028': 'ls', emoji: '😀', n: -0.5e-7 },
  } as const;

  it('hashes the same content to the same digest as every earlier release', () => {
    assert.equal(
      canonicalContent(row as never),
      '[41,"evt-ü-1","desired_changed","2026-11-27T10:00:00.123Z","2026-11-27T10:00:01.000Z","prod-1","cart","prod","envs",["shop","web \\"x\\""],"1.0.0","1.1.0",null,"sha256:ab","aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","ada@example.com",null,"repo-watcher","driftless.evt.desired.prod-1.cart.changed",{"a":{"10":"ten","9":"nine","b":[1,"two\\n",null,{"x":false,"y":true}]},"emoji":"😀","n":-5e-8,"z":1,"é":"accent","\u2028":"ls"}]',
    );
    assert.equal(rowHash('f'.repeat(64), row as never), '621160a6592e9c0b3db536c29d886b4fab743e17dbe039b62eb0baa7bedd0e82');
    assert.equal(rowHash(GENESIS_HASH, { ...row, apps: null, detail: {} }), '29d360412c0c7defb7369084e2198e9e899ffab0fefeababbad3d2db578c809e');
  });
});

describe('hash chain', () => {
  it('numbers rows from the tip and links each to the previous hash', () => {
    const list = rows();
    assert.equal(list[0]?.seq, 1);
    assert.equal(list[0]?.prevHash, GENESIS_HASH);
    list.slice(1).forEach((row, i) => assert.equal(row.prevHash, list[i]?.hash));
    assert.equal(verifyAll(list).firstBreak, null);
    assert.equal(verifyAll(list).checkedRows, list.length);
  });

  it('detects a changed field, even deep in the payload', () => {
    const list = rows();
    const tampered = list.map((r) => (r.seq === 5 ? { ...r, detail: { ...r.detail, version: '9.9.9' } } : r));
    const result = verifyAll(tampered);
    assert.equal(result.firstBreak?.seq, 5);
    assert.equal(result.firstBreak?.reason, 'content_mismatch');
  });

  it('detects a row whose hash was recomputed: the next row no longer links', () => {
    const list = rows();
    const forged = { ...list[4]!, actor: 'mallory@example.com' };
    forged.hash = rowHash(forged.prevHash, forged);
    const result = verifyAll(list.map((r) => (r.seq === 5 ? forged : r)));
    assert.equal(result.firstBreak?.seq, 6);
    assert.equal(result.firstBreak?.reason, 'prev_hash_mismatch');
  });

  it('detects a deleted row as a gap and a swapped pair', () => {
    const list = rows();
    assert.equal(verifyAll(list.filter((r) => r.seq !== 7)).firstBreak?.reason, 'gap');
    const swapped = [...list];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    assert.equal(verifyAll(swapped).firstBreak?.seq, 4);
  });

  it('continues from a given tip', () => {
    const list = rows();
    const more = chainEntries({ seq: list.at(-1)!.seq, hash: list.at(-1)!.hash }, [toLedgerEntry(oneOfEach('dev-2', 'pay')[0]!, () => undefined)!], new Date());
    assert.equal(verifyNext({ seq: list.at(-1)!.seq, hash: list.at(-1)!.hash }, more[0]!), null);
  });
});
