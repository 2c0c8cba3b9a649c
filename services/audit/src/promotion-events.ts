/**
 * The ledger's view of a promotion: each step as its contract event, published on NATS so it
 * reaches the hash-chained ledger through normal ingest. Ids are deterministic per step, so a
 * step published twice (a retry, a second replica) is recorded once.
 */
import { deterministicId, makeEvent, subjects, type DriftlessEvent, type PromotionStep } from '@driftless/contracts';
import type { Pending } from './core/promotion-gates.js';
import type { PromotionCommit } from './core/promotion.js';
import type { PromotionRecord } from './promotion-ports.js';

export const PROMOTION_EVENT_SOURCE = 'audit/promotions';

type Promotion = Pick<PromotionRecord, 'id' | 'kind' | 'repo' | 'stage' | 'components' | 'requester' | 'reason' | 'commits' | 'createdAt'>;

function base(p: Promotion) {
  return { promotionId: p.id, toStage: p.stage, components: p.components.map((c) => ({ ...c })), actor: p.requester, kind: p.kind, repo: p.repo };
}

/** A promotion of several components is published under the first one's subject (the ledger accepts any of them). */
function subjectOf(p: Promotion, step: PromotionStep): string {
  return subjects.promotion(p.components[0]?.component ?? '', step);
}

export const promotionEvents = {
  requested: (p: Promotion): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.requested.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'requested'),
      id: deterministicId('driftless.promotion.requested.v1', p.id),
      time: p.createdAt,
      data: { ...base(p), ...(p.reason === null ? {} : { reason: p.reason }) },
    }),
  waiting: (p: Promotion, pending: readonly Pending[], time: Date): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.waiting.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'waiting'),
      id: deterministicId('driftless.promotion.waiting.v1', p.id, p.commits.length, JSON.stringify(pending)),
      time,
      data: { ...base(p), pending: pending.map((x) => ({ ...x })) },
    }),
  approved: (p: Promotion, approver: string, comment: string | null, time: Date): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.approved.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'approved'),
      id: deterministicId('driftless.promotion.approved.v1', p.id, approver),
      time,
      data: { ...base(p), approver, ...(comment === null ? {} : { comment }) },
    }),
  committed: (p: Promotion, commit: PromotionCommit, waves: number | null): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.committed.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'committed'),
      id: deterministicId('driftless.promotion.committed.v1', p.id, commit.sha),
      time: commit.at,
      data: {
        ...base(p),
        commitSha: commit.sha,
        ...(commit.wave === null ? {} : { wave: commit.wave }),
        ...(waves === null ? {} : { waves }),
        ...(commit.clusters === null ? {} : { clusters: [...commit.clusters] }),
      },
    }),
  rejected: (p: Promotion, reason: string, rejectedBy: string | null, time: Date): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.rejected.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'rejected'),
      id: deterministicId('driftless.promotion.rejected.v1', p.id),
      time,
      data: { ...base(p), reason, ...(rejectedBy === null ? {} : { rejectedBy }) },
    }),
  halted: (p: Promotion, reason: string, wave: number, clusters: readonly string[], time: Date): DriftlessEvent =>
    makeEvent({
      type: 'driftless.promotion.halted.v1',
      source: PROMOTION_EVENT_SOURCE,
      subject: subjectOf(p, 'halted'),
      id: deterministicId('driftless.promotion.halted.v1', p.id),
      time,
      data: { ...base(p), reason, wave, clusters: [...clusters] },
    }),
};
