/**
 * Per-object apply decisions. An object is written only when something says it must be: it is new,
 * its manifest changed since the last successful apply, it is missing from the cluster, or another
 * writer took fields it owns. A resync of an unchanged, undrifted component therefore writes nothing.
 */
import type { DriftFinding } from './drift.js';

/** What the agent knows about the live object; `undefined` when it does not know (not observed yet). */
export interface LiveView {
  exists: boolean;
  drift: readonly DriftFinding[];
}

export const ApplyReason = {
  new: 'new',
  changed: 'changed',
  missing: 'missing',
  drift: 'drift',
  unverified: 'unverified',
} as const;
export type ApplyReason = (typeof ApplyReason)[keyof typeof ApplyReason];

export type ObjectDecision =
  | { action: 'apply'; reason: ApplyReason }
  | { action: 'unchanged' }
  /** Drifted, but correction is off for this component: report only. */
  | { action: 'report-drift' };

export interface ObjectFacts {
  desiredHash: string;
  /** The hash the inventory records as last applied, if any. */
  appliedHash: string | undefined;
  live: LiveView | undefined;
  isDriftCorrectionEnabled: boolean;
}

export function decideObject({ desiredHash, appliedHash, live, isDriftCorrectionEnabled }: ObjectFacts): ObjectDecision {
  if (appliedHash === undefined) return { action: 'apply', reason: ApplyReason.new };
  if (appliedHash !== desiredHash) return { action: 'apply', reason: ApplyReason.changed };
  // Same manifest as last applied: only the live object can make a write necessary.
  if (live === undefined) return { action: 'apply', reason: ApplyReason.unverified };
  if (!live.exists) return isDriftCorrectionEnabled ? { action: 'apply', reason: ApplyReason.missing } : { action: 'report-drift' };
  if (live.drift.length > 0) return isDriftCorrectionEnabled ? { action: 'apply', reason: ApplyReason.drift } : { action: 'report-drift' };
  return { action: 'unchanged' };
}
