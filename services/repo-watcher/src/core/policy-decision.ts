/**
 * Decides, purely, which stages a commit may publish under the change policy in force: who
 * authored and signed it, which protected paths it touches, and how many clusters of each stage
 * it changes or removes components from (the blast-radius brake).
 */
import {
  CLUSTER_PINS_DIR,
  POLICY_FILE,
  VERSIONS_DIR,
  brakeOf,
  brakeViolations,
  changeRulesOf,
  gatesOf,
  isAuthorAllowed,
  pathRulesFor,
  type PathRule,
  type Policy,
} from '@driftless/envrepo';
import type { SignatureVerdict } from '@driftless/git';
import type { PublishedEntry } from './checkpoint.js';
import type { DesiredPut, DesiredRemoval, PublishPlan } from './plan.js';
import { ChangeRule, type HoldReason, type StageHold } from './policy-state.js';

export interface ClusterSets {
  changed: Set<string>;
  removed: Set<string>;
}

/** Per stage, the clusters a plan changes and the clusters it removes a component from. */
export function clustersByStage(plan: Pick<PublishPlan, 'puts' | 'removals'>, stageOf: (cluster: string) => string | undefined): Map<string, ClusterSets> {
  const byStage = new Map<string, ClusterSets>();
  const sets = (stage: string) => {
    let found = byStage.get(stage);
    if (!found) byStage.set(stage, (found = { changed: new Set(), removed: new Set() }));
    return found;
  };
  for (const put of plan.puts) sets(put.pair.stage).changed.add(put.pair.cluster);
  for (const removal of plan.removals) {
    const stage = stageOf(removal.cluster);
    if (stage === undefined) continue;
    sets(stage).changed.add(removal.cluster);
    sets(stage).removed.add(removal.cluster);
  }
  return byStage;
}

/** Stages whose version files (`versions/<stage>.yaml`, `versions/clusters/<cluster>.yaml`) a commit touches. */
export function stagesOfVersionFiles(paths: readonly string[], stageOf: (cluster: string) => string | undefined): Set<string> {
  const stages = new Set<string>();
  const pin = new RegExp(`^${CLUSTER_PINS_DIR}/([^/]+)\\.ya?ml$`);
  const stageFile = new RegExp(`^${VERSIONS_DIR}/([^/]+)\\.ya?ml$`);
  for (const path of paths) {
    const cluster = pin.exec(path)?.[1];
    const stage = cluster === undefined ? stageFile.exec(path)?.[1] : stageOf(cluster);
    if (stage !== undefined) stages.add(stage);
  }
  return stages;
}

export interface CommitFacts {
  shortSha: string;
  authorEmail: string;
  /** A commit the watcher wrote itself (a promotion): exempt from author rules and the brake. */
  isOwnCommit: boolean;
  changedPaths: readonly string[];
  /** The stages the commit changes, with the clusters it changes or removes components from. */
  stages: ReadonlyMap<string, ClusterSets>;
  /** Every stage known (clusters, policy, released): a commit touching no stage but a protected path is held on all. */
  knownStages: ReadonlySet<string>;
  /** The policy in force for a stage (read at the stage's released commit). */
  policyOf(stage: string): Policy;
  /** The commit's signature checked against the keys of that policy. */
  signatureOf(stage: string): SignatureVerdict;
}

export interface StageDecision extends StageHold {
  reasons: HoldReason[];
}

function list(values: readonly string[]): string {
  return values.join(', ');
}

function where(rule: PathRule): string {
  return `${POLICY_FILE}${rule.line === undefined ? '' : `:${rule.line}`}`;
}

/** Why a signature does not satisfy `signedBy`, or undefined when it does. */
function signatureProblem(verdict: SignatureVerdict, signedBy: readonly string[], what: string, facts: CommitFacts): string | undefined {
  const wanted = `a signature by one of ${list(signedBy)}`;
  switch (verdict.status) {
    case 'valid':
      return signedBy.includes(verdict.keyName) ? undefined : `commit ${facts.shortSha} is signed by key ${verdict.keyName}, but ${what} needs ${wanted}`;
    case 'unsigned':
      return `commit ${facts.shortSha} by ${facts.authorEmail} is not signed; ${what} needs ${wanted}`;
    case 'unknown-key':
      return `commit ${facts.shortSha} is ${verdict.reason}; ${what} needs ${wanted}`;
    case 'bad':
      return `commit ${facts.shortSha} has a bad signature (${verdict.reason}); ${what} needs ${wanted}`;
  }
}

/** The reasons a commit may not publish one stage under that stage's policy. */
function reasonsFor(stage: string, facts: CommitFacts, pathStages: ReadonlySet<string>): HoldReason[] {
  const policy = facts.policyOf(stage);
  const reasons: HoldReason[] = [];
  const add = (rule: ChangeRule, message: string) => reasons.push({ rule, stage, message });
  const sets = facts.stages.get(stage);

  // Change rules of the stage.
  const rules = changeRulesOf(policy, stage);
  if (sets !== undefined && !facts.isOwnCommit && !isAuthorAllowed(rules.authors, facts.authorEmail)) {
    add(ChangeRule.author, `author ${facts.authorEmail} may not change stage ${stage} (allowed authors: ${list(rules.authors ?? [])})`);
  }
  if (sets !== undefined && rules.signedBy !== undefined) {
    const problem = signatureProblem(facts.signatureOf(stage), rules.signedBy, `stage ${stage}`, facts);
    if (problem !== undefined) add(ChangeRule.signature, problem);
  }
  if (pathStages.has(stage)) {
    // Path rules: who may change particular files at all.
    for (const { rule, paths } of pathRulesFor(policy, facts.changedPaths)) {
      const files = list(paths);
      if (rule.authors !== undefined && !facts.isOwnCommit && !isAuthorAllowed(rule.authors, facts.authorEmail)) {
        add(ChangeRule.path, `${files} may be changed only by ${list(rule.authors)}, not by ${facts.authorEmail} (rule for "${rule.path}" at ${where(rule)})`);
      }
      if (rule.signedBy !== undefined) {
        const problem = signatureProblem(facts.signatureOf(stage), rule.signedBy, `changing ${files} (rule for "${rule.path}" at ${where(rule)})`, facts);
        if (problem !== undefined) add(ChangeRule.signature, problem);
      }
    }
  }
  if (sets !== undefined && !facts.isOwnCommit) {
    // The blast-radius brake: this stage alone, then the whole commit against the default brake.
    const counts = { changed: sets.changed.size, removed: sets.removed.size };
    for (const reason of brakeViolations(brakeOf(policy, stage), counts)) add(ChangeRule.brake, `on stage ${stage}, the commit ${reason}`);
    const total = totals(facts.stages);
    if (facts.stages.size > 1 && policy.brake !== undefined) {
      for (const reason of brakeViolations(policy.brake, total)) add(ChangeRule.brake, `across all stages, the commit ${reason}`);
    }
  }
  return reasons;
}

/** Clusters the commit changes and removes components from, over all stages. */
export function totals(stages: ReadonlyMap<string, ClusterSets>): { changed: number; removed: number } {
  let changed = 0;
  let removed = 0;
  for (const sets of stages.values()) {
    changed += sets.changed.size;
    removed += sets.removed.size;
  }
  return { changed, removed };
}

/**
 * The stages a commit is held on, each with its reasons. A broken path rule holds the stages the
 * commit changes, or every stage when it changes none or edits policy.yaml,
 * so a change to the policy itself can never come into force unchecked.
 */
export function decideCommit(facts: CommitFacts): StageDecision[] {
  const touched = new Set(facts.stages.keys());
  const protectedPaths = [...facts.knownStages].some((stage) => pathRulesFor(facts.policyOf(stage), facts.changedPaths).length > 0);
  // policy.yaml governs every stage, so a rule broken on it holds them all.
  const isEveryStage = touched.size === 0 || facts.changedPaths.includes(POLICY_FILE);
  const pathStages: ReadonlySet<string> = protectedPaths ? (isEveryStage ? facts.knownStages : touched) : new Set();
  const decisions: StageDecision[] = [];
  for (const stage of [...new Set([...touched, ...pathStages])].sort()) {
    const reasons = reasonsFor(stage, facts, pathStages);
    if (reasons.length === 0) continue;
    decisions.push({
      stage,
      reasons,
      isApprovable: reasons.every((r) => r.rule !== ChangeRule.signature),
      requiredApprovals: Math.max(1, gatesOf(facts.policyOf(stage), stage).approvals),
    });
  }
  return decisions;
}

/** A plan cut down to the stages allowed to publish; pairs of other stages keep their published entry. */
export function restrictPlan(
  previous: Readonly<Record<string, PublishedEntry>>,
  plan: PublishPlan,
  isPublishable: (stage: string | undefined) => boolean,
  stageOf: (cluster: string) => string | undefined,
): { plan: PublishPlan; withheldPuts: DesiredPut[]; withheldRemovals: DesiredRemoval[] } {
  const puts = plan.puts.filter((p) => isPublishable(p.pair.stage));
  const removals = plan.removals.filter((r) => isPublishable(stageOf(r.cluster)));
  const nextEntries: Record<string, PublishedEntry> = { ...previous };
  for (const put of puts) nextEntries[put.key] = { version: put.pair.version, hash: put.pair.hash };
  for (const removal of removals) delete nextEntries[removal.key];
  return {
    plan: { puts, removals, failures: plan.failures, nextEntries },
    withheldPuts: plan.puts.filter((p) => !isPublishable(p.pair.stage)),
    withheldRemovals: plan.removals.filter((r) => !isPublishable(stageOf(r.cluster))),
  };
}
