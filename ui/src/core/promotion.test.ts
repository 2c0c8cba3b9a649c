import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { approvalsText, durationText, gatesText, isApprovable, isPromotionKind, isRejectable, personOf, wavesText, whatMoves } from './promotion.js';

describe('promotion wording', () => {
  it('names what moves where, and says when it is a rollback', () => {
    assert.equal(whatMoves({ kind: 'promote', stage: 'prod', components: [{ component: 'cart', version: '1.2.0' }] }), 'cart@1.2.0 → prod');
    assert.equal(
      whatMoves({ kind: 'rollback', stage: 'prod', components: [{ component: 'cart', version: '1.0.0' }, { component: 'payment', version: '3.1.0' }] }),
      'Roll back cart@1.0.0, payment@3.1.0 → prod',
    );
  });

  it('counts approvals against what the stage asks for', () => {
    const approval = { approver: 'token:bob', role: 'operator' as const, comment: null, approvedAt: '2026-11-27T10:00:00Z' };
    assert.equal(approvalsText({ approvals: [approval], approvalsNeeded: 2 }), '1 of 2');
    assert.equal(approvalsText({ approvals: [], approvalsNeeded: 0 }), 'none needed');
  });

  it('counts committed waves', () => {
    const wave = (n: number, sha: string | null) => ({ wave: n, clusters: [`prod-${n}`], commitSha: sha, committedAt: null });
    assert.equal(wavesText({ waves: [wave(1, 'abc'), wave(2, null), wave(3, null)], commits: [] }), '1 of 3 waves committed');
    assert.equal(wavesText({ waves: [], commits: [] }), 'not committed yet');
  });

  it('says the gates in words', () => {
    assert.equal(gatesText({ soakSeconds: 86_400, approvals: 2, windows: [], isRollbackExempt: true }), '1 d soak, 2 approvals, any time, rollbacks exempt');
    assert.equal(gatesText({ soakSeconds: 0, approvals: 1, windows: [{ days: ['mon'], start: '09:00', end: '16:00', timezone: 'UTC' }], isRollbackExempt: false }), 'no soak, 1 approval, 1 time window');
    assert.equal(durationText(90), '90 s');
    assert.equal(durationText(3600), '1 h');
  });

  it('offers approval only while waiting, rejection until it is finished', () => {
    assert.equal(isApprovable('waiting'), true);
    assert.equal(isApprovable('committing'), false);
    assert.equal(isRejectable('committing'), true);
    assert.equal(isRejectable('committed'), false);
  });

  it('recognises the kinds that change the page, and names token callers', () => {
    assert.equal(isPromotionKind('promotion_approved'), true);
    assert.equal(isPromotionKind('change_held'), true);
    assert.equal(isPromotionKind('applied'), false);
    assert.equal(personOf('token:alice'), 'alice');
    assert.equal(personOf('ada@example.com'), 'ada@example.com');
  });
});
