/**
 * Pure questions asked of a Policy: a stage's gates, change rules and brake; whether an author
 * email or a file path matches a rule; whether cluster counts trip a brake.
 */
import type { PromotionGates } from '@driftless/contracts';
import type { BrakeLimits, ChangeRules, PathRule, Policy } from './policy.js';

export const NO_GATES: PromotionGates = Object.freeze({ soakSeconds: 0, approvals: 0, windows: [], isRollbackExempt: false });

/** The stage's gates; a stage the policy does not mention has none (no soak, no approvals, any time). */
export function gatesOf(policy: Policy, stage: string): PromotionGates {
  return policy.stages.get(stage)?.gates ?? NO_GATES;
}

/** Who may change the stage; empty rules when the policy does not restrict it. */
export function changeRulesOf(policy: Policy, stage: string): ChangeRules {
  return policy.stages.get(stage)?.changes ?? {};
}

/** The stage's brake, each limit it leaves out taken from the policy's default brake. */
export function brakeOf(policy: Policy, stage: string): BrakeLimits {
  const own = policy.stages.get(stage)?.brake;
  const maxClustersRemoved = own?.maxClustersRemoved ?? policy.brake?.maxClustersRemoved;
  const maxClustersChanged = own?.maxClustersChanged ?? policy.brake?.maxClustersChanged;
  return {
    ...(maxClustersRemoved === undefined ? {} : { maxClustersRemoved }),
    ...(maxClustersChanged === undefined ? {} : { maxClustersChanged }),
  };
}

function escape(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

const globCache = new Map<string, RegExp>();

/**
 * A glob as a regular expression: `**` matches across folders, `*` anything but `/`, `?` one such
 * character. `docs/**` matches everything under docs; `**\/x.yaml` an x.yaml in any folder.
 */
function globRegExp(pattern: string, flags: string): RegExp {
  const cacheKey = `${flags}\0${pattern}`;
  let re = globCache.get(cacheKey);
  if (re === undefined) {
    let source = '';
    for (let i = 0; i < pattern.length; i++) {
      const char = pattern[i] as string;
      if (char === '*' && pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else if (char === '*') source += '[^/]*';
      else if (char === '?') source += '[^/]';
      else source += escape(char);
    }
    re = new RegExp(`^${source}$`, flags);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(cacheKey, re);
  }
  return re;
}

/** Whether a repository path matches a path glob (case-sensitive, like Git paths). */
export function matchesPath(pattern: string, path: string): boolean {
  return globRegExp(pattern, '').test(path);
}

/** Whether an author email matches one of the globs (case-insensitive); an absent list allows anyone. */
export function isAuthorAllowed(authors: readonly string[] | undefined, email: string): boolean {
  if (authors === undefined) return true;
  return authors.some((glob) => globRegExp(glob, 'i').test(email.trim()));
}

/** The path rules matching at least one changed path, each with the paths it matched. */
export function pathRulesFor(policy: Policy, changedPaths: readonly string[]): { rule: PathRule; paths: string[] }[] {
  const matched: { rule: PathRule; paths: string[] }[] = [];
  for (const rule of policy.paths) {
    const paths = changedPaths.filter((path) => matchesPath(rule.path, path));
    if (paths.length > 0) matched.push({ rule, paths });
  }
  return matched;
}

export interface ClusterCounts {
  /** Clusters whose desired state the change alters. */
  readonly changed: number;
  /** Clusters from which the change removes at least one component. */
  readonly removed: number;
}

/** Why the counts trip the brake (empty when they do not). */
export function brakeViolations(limits: BrakeLimits, counts: ClusterCounts): string[] {
  const reasons: string[] = [];
  if (limits.maxClustersRemoved !== undefined && counts.removed > limits.maxClustersRemoved) {
    reasons.push(`removes components from ${counts.removed} clusters, more than the brake's maxClustersRemoved of ${limits.maxClustersRemoved}`);
  }
  if (limits.maxClustersChanged !== undefined && counts.changed > limits.maxClustersChanged) {
    reasons.push(`changes ${counts.changed} clusters, more than the brake's maxClustersChanged of ${limits.maxClustersChanged}`);
  }
  return reasons;
}

