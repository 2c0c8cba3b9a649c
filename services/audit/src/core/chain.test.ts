import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical.js';
import { chainEntries, EMPTY_TIP, GENESIS_HASH, rowHash, verifyNext } from './chain.js';
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

describe('canonicalJson', () => {
  it('ignores key order and undefined members, keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }], u: undefined }), '{"a":[2,{"c":"x","d":null}],"b":1}');
    assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
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
