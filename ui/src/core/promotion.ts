/** Promotions in words: status badges, what it moves, approvals and wave progress, and which actions apply. */
import type { PromotionStatus, PromotionSummary } from '../api/promotion-types.js';
import type { Tone } from './cell.js';

export const STATUS_TONE: Record<PromotionStatus, Tone> = {
  requested: 'pending',
  waiting: 'pending',
  committing: 'progressing',
  committed: 'healthy',
  rejected: 'failed',
  halted: 'degraded',
};

export const STATUS_ICON: Record<PromotionStatus, string> = {
  requested: '○',
  waiting: '…',
  committing: '↻',
  committed: '✓',
  rejected: '✕',
  halted: '⚠',
};

export const STATUS_WORD: Record<PromotionStatus, string> = {
  requested: 'Requested',
  waiting: 'Waiting',
  committing: 'Committing',
  committed: 'Committed',
  rejected: 'Rejected',
  halted: 'Halted',
};

const OPEN: readonly PromotionStatus[] = ['requested', 'waiting', 'committing'];

export const isOpen = (status: PromotionStatus): boolean => OPEN.includes(status);

/** Approvals count only before the first commit (the API answers 409 after that). */
export const isApprovable = (status: PromotionStatus): boolean => status === 'requested' || status === 'waiting';

/** Rejecting stops anything that has not finished, a wave rollout included. */
export const isRejectable = (status: PromotionStatus): boolean => isOpen(status);

/** "cart@1.2.0, payment@3.1.0 → prod" (a rollback says so). */
export function whatMoves(p: Pick<PromotionSummary, 'components' | 'stage' | 'kind'>): string {
  const components = p.components.map((c) => `${c.component}@${c.version}`).join(', ');
  return `${p.kind === 'rollback' ? 'Roll back ' : ''}${components} → ${p.stage}`;
}

/** "1 of 2": approvals given of those the stage asks for; "none needed" when the stage asks for none. */
export function approvalsText(p: Pick<PromotionSummary, 'approvals' | 'approvalsNeeded'>): string {
  if (p.approvalsNeeded === 0) return p.approvals.length === 0 ? 'none needed' : `${p.approvals.length} (none needed)`;
  return `${p.approvals.length} of ${p.approvalsNeeded}`;
}

/** "2 of 3 waves committed", or "single commit" / "not committed yet" without waves. */
export function wavesText(p: Pick<PromotionSummary, 'waves' | 'commits'>): string {
  if (p.waves.length === 0) return p.commits.length === 0 ? 'not committed yet' : 'committed in one commit';
  const done = p.waves.filter((w) => w.commitSha !== null).length;
  return `${done} of ${p.waves.length} waves committed`;
}

/** The gates the plan carries, in words: "24 h soak, 2 approvals, 1 time window, rollbacks exempt". */
export function gatesText(gates: PromotionSummary['gates']): string {
  const parts: string[] = [];
  parts.push(gates.soakSeconds === 0 ? 'no soak' : `${durationText(gates.soakSeconds)} soak`);
  parts.push(gates.approvals === 0 ? 'no approvals' : `${gates.approvals} approval${gates.approvals === 1 ? '' : 's'}`);
  parts.push(gates.windows.length === 0 ? 'any time' : `${gates.windows.length} time window${gates.windows.length === 1 ? '' : 's'}`);
  if (gates.isRollbackExempt) parts.push('rollbacks exempt');
  return parts.join(', ');
}

export function durationText(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Ledger kinds that change what the promotions page shows. */
export const isPromotionKind = (kind: string): boolean => kind.startsWith('promotion_') || kind.startsWith('change_');

/** "token:alice" → "alice" for display; other actors as they are. */
export const personOf = (actor: string): string => (actor.startsWith('token:') ? actor.slice('token:'.length) : actor);
