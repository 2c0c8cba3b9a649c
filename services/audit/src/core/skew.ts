/**
 * Version skew: the same component running (or meant to run) different versions on clusters of
 * the same stage. Sometimes intended (a pinned cluster, a rollout in progress), often not — so it
 * is flagged, never corrected.
 */

/** The distinct versions of one component across the clusters of one stage. */
export interface StageVersions {
  stage: string;
  component: string;
  desiredVersions: readonly string[];
  appliedVersions: readonly string[];
}

export interface Skew {
  /** The clusters of this stage are told to run different versions. */
  isDesiredSkewed: boolean;
  /** The clusters of this stage actually run different versions. */
  isAppliedSkewed: boolean;
  desiredVersions: string[];
  appliedVersions: string[];
}

export const NO_SKEW: Skew = { isDesiredSkewed: false, isAppliedSkewed: false, desiredVersions: [], appliedVersions: [] };

function distinctSorted(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

export function skewOf(versions: StageVersions | undefined): Skew {
  if (!versions) return NO_SKEW;
  const desiredVersions = distinctSorted(versions.desiredVersions);
  const appliedVersions = distinctSorted(versions.appliedVersions);
  return { isDesiredSkewed: desiredVersions.length > 1, isAppliedSkewed: appliedVersions.length > 1, desiredVersions, appliedVersions };
}

export function skewKey(stage: string, component: string): string {
  return `${stage}/${component}`;
}
