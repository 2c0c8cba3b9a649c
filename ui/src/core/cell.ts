/**
 * What one (component, cluster) cell says: the applied version, the desired one when it
 * differs, and a tone from sync and health. Tone always comes with an icon and words, never
 * colour alone.
 */
import type { Health, Sync } from '../api/types.js';
import type { FleetCell } from './fleet-cell.js';

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

export function toneOf(cell: FleetCell): Tone {
  return toneFrom(cell.sync, cell.health, cell.appliedVersion !== null);
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

export function cellView(cell: FleetCell): CellView {
  const tone = toneOf(cell);
  const applied = cell.appliedVersion;
  const desired = cell.sync !== 'Removed' && cell.desiredVersion !== null && cell.desiredVersion !== applied ? cell.desiredVersion : null;
  const parts = [
    `${cell.component} on ${cell.cluster}`,
    applied === null ? 'nothing applied' : `applied ${applied}`,
    ...(desired === null ? [] : [`desired ${desired}`]),
    TONE_WORD[tone],
    ...(cell.isDrifted ? ['drifted'] : []),
    ...(cell.isSkewed ? [`versions differ within ${cell.stage ?? 'its stage'}`] : []),
  ];
  return { tone, applied, desired, isDrifted: cell.isDrifted, isSkewed: cell.isSkewed, label: parts.join(', ') };
}
