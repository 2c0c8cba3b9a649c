/**
 * What one (component, cluster) cell says: the applied version, the desired one when it
 * differs, and a tone from sync and health. Tone always comes with an icon and words, never
 * colour alone.
 */
import type { Health, InventoryItem, Sync } from '../api/types.js';

export const Tone = {
  healthy: 'healthy',
  progressing: 'progressing',
  degraded: 'degraded',
  failed: 'failed',
  missing: 'missing',
  unknown: 'unknown',
  removed: 'removed',
  pending: 'pending',
} as const;
export type Tone = (typeof Tone)[keyof typeof Tone];

export const TONE_ICON: Record<Tone, string> = {
  healthy: '✓',
  progressing: '↻',
  degraded: '✕',
  failed: '✕',
  missing: '∅',
  unknown: '?',
  removed: '–',
  pending: '…',
};

export const TONE_WORD: Record<Tone, string> = {
  healthy: 'Healthy',
  progressing: 'Progressing',
  degraded: 'Degraded',
  failed: 'Apply failed',
  missing: 'Missing',
  unknown: 'Health unknown',
  removed: 'Removed',
  pending: 'Waiting to apply',
};

export interface CellView {
  tone: Tone;
  applied: string | null;
  /** The desired version, only when it differs from the applied one. */
  desired: string | null;
  isDrifted: boolean;
  isSkewed: boolean;
  /** Everything the cell shows, in words (its accessible name). */
  label: string;
}

export function toneOf(item: InventoryItem): Tone {
  return toneFrom(item.sync, item.health?.status ?? null, item.applied !== null);
}

/** The tone of a placement (blast radius) or an inventory item, from its sync and health. */
export function toneFrom(sync: Sync, health: Health | null, hasApplied: boolean): Tone {
  if (sync === 'Removed') return Tone.removed;
  if (sync === 'Failed') return Tone.failed;
  switch (health) {
    case 'Healthy':
      return Tone.healthy;
    case 'Progressing':
      return Tone.progressing;
    case 'Degraded':
      return Tone.degraded;
    case 'Missing':
      return Tone.missing;
    case 'Unknown':
    case null:
      return !hasApplied && sync === 'OutOfSync' ? Tone.pending : Tone.unknown;
  }
}

export function cellView(item: InventoryItem): CellView {
  const tone = toneOf(item);
  const applied = item.applied?.version ?? null;
  const wanted = item.desired && !item.desired.isRemoved ? item.desired.version : null;
  const desired = wanted !== null && wanted !== applied ? wanted : null;
  const isDrifted = item.drift?.status === 'Drifted';
  const isSkewed = item.skew.isAppliedSkewed || item.skew.isDesiredSkewed;
  const parts = [
    `${item.component} on ${item.cluster}`,
    applied === null ? 'nothing applied' : `applied ${applied}`,
    ...(desired === null ? [] : [`desired ${desired}`]),
    TONE_WORD[tone],
    ...(isDrifted ? ['drifted'] : []),
    ...(isSkewed ? [`versions differ within ${item.stage ?? 'its stage'}`] : []),
  ];
  return { tone, applied, desired, isDrifted, isSkewed, label: parts.join(', ') };
}
