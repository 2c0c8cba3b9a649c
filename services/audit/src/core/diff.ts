/**
 * Which components changed version on a cluster between two points in its history, given what
 * was desired (or applied) for each component at either point.
 */

export interface VersionAt {
  version: string | null;
  hash: string | null;
  commitSha: string | null;
  /** The component was removed from the cluster at this point. */
  isRemoved: boolean;
}

export const ChangeKind = { added: 'added', removed: 'removed', changed: 'changed' } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface ComponentChange {
  component: string;
  change: ChangeKind;
  from: VersionAt | null;
  to: VersionAt | null;
}

function isPresent(v: VersionAt | undefined): v is VersionAt {
  return v !== undefined && !v.isRemoved;
}

/** Compares two snapshots (component → version) and lists the differences, by component name. */
export function diffSnapshots(from: ReadonlyMap<string, VersionAt>, to: ReadonlyMap<string, VersionAt>): ComponentChange[] {
  const names = [...new Set([...from.keys(), ...to.keys()])].sort();
  const changes: ComponentChange[] = [];
  for (const component of names) {
    const a = from.get(component);
    const b = to.get(component);
    const before = isPresent(a) ? a : null;
    const after = isPresent(b) ? b : null;
    if (!before && !after) continue;
    if (!before) changes.push({ component, change: ChangeKind.added, from: null, to: after });
    else if (!after) changes.push({ component, change: ChangeKind.removed, from: before, to: b ?? null });
    else if (before.version !== after.version || before.hash !== after.hash) changes.push({ component, change: ChangeKind.changed, from: before, to: after });
  }
  return changes;
}
