/**
 * Applies the change policy to one commit before anything is published: works out which stages
 * the commit changes, asks the gate which of them it is held on, keeps blocked stages at their
 * released commit (holding is sticky: commits on top wait too), and updates the policy state.
 * Also releases stages after an approval, publishing them at the current head.
 */
import type { Commit } from '@driftless/contracts';
import { POLICY_FILE, pathRulesFor } from '@driftless/envrepo';
import type { Logger } from '@driftless/telemetry';
import type { PublishedEntry } from './core/checkpoint.js';
import { planPublish, type PublishPlan } from './core/plan.js';
import { clustersByStage, restrictPlan, stagesOfVersionFiles, totals } from './core/policy-decision.js';
import type { HeldChange } from './core/policy-events.js';
import {
  ChangeRule,
  blockedStages,
  clearStages,
  dropHeld,
  emptyPolicyState,
  headEntries,
  releasedShaOf,
  type HoldReason,
  type PolicyState,
} from './core/policy-state.js';
import type { CommitRender } from './core/render-result.js';
import type { PolicyGate } from './policy-gate.js';
import type { GitSource } from './ports.js';

export interface EnforceInput {
  repo: string;
  gate: PolicyGate;
  git: Pick<GitSource, 'changedPaths' | 'isAncestor' | 'hasCommit'>;
  log: Logger;
  commit: Commit;
  /** The commit processed before this one (undefined for the first commit or after a rewrite). */
  parentSha: string | undefined;
  /** The last processed commit, whatever the branch did since. */
  checkpointSha: string | undefined;
  isRewrite: boolean;
  render: CommitRender;
  /** What is published now. */
  published: Readonly<Record<string, PublishedEntry>>;
  /** The plan against what is published, before the policy cuts it down. */
  plan: PublishPlan;
  state: PolicyState | undefined;
  /** Older commits folded into this one; checked for their authors and signatures too. */
  foldedCommits?: readonly Commit[];
}

export interface Enforced {
  plan: PublishPlan;
  state: PolicyState;
  /** Set when this commit itself breaks the policy (the change.held event to publish). */
  held: HeldChange | undefined;
  /** Stages that publish nothing for this commit (held by it or by an earlier commit). */
  blocked: string[];
}

function stageMap(state: PolicyState, render: CommitRender): Record<string, string> {
  const clusterStages = { ...state.clusterStages };
  for (const pair of render.pairs) clusterStages[pair.cluster] = pair.stage;
  return clusterStages;
}

/** Decides what one commit may publish and the policy state after it. */
export async function enforcePolicy(input: EnforceInput): Promise<Enforced> {
  const { repo, gate, git, log, commit, render, published } = input;
  const sha = commit.sha;
  let state = input.state ?? emptyPolicyState(input.checkpointSha);

  // A force-push may have taken held commits out of the history: they can no longer be released or leak.
  if (input.isRewrite && state.held.length > 0) {
    const kept = new Set<string>();
    for (const held of state.held) if ((await git.hasCommit(held.sha)) && (await git.isAncestor(held.sha, sha))) kept.add(held.sha);
    const result = dropHeld(state, (s) => kept.has(s));
    state = result.state;
    if (result.dropped.length > 0) log.warn({ repo, revision: sha, dropped: result.dropped }, 'held commits left the branch history; their holds are dropped');
  }

  const clusterStages = stageMap(state, render);
  const stageOf = (cluster: string) => clusterStages[cluster];

  // The commit's own change: against what the previous commit rendered, which for blocked stages is not what is published.
  const before = headEntries(published, state);
  const own = planPublish(before, render);
  const baseSha = input.parentSha ?? input.checkpointSha;
  const changedPaths = baseSha === undefined ? [] : await git.changedPaths(baseSha, sha);
  const stages = clustersByStage(own, stageOf);
  for (const stage of stagesOfVersionFiles(changedPaths, stageOf)) if (!stages.has(stage)) stages.set(stage, { changed: new Set(), removed: new Set() });
  const knownStages = new Set([...Object.values(clusterStages), ...Object.keys(state.released), ...stages.keys()]);

  const { decisions, invalidOwnPolicy } = await gate.evaluate({
    commit,
    changedPaths,
    stages,
    knownStages,
    state,
    isFirstPublish: input.checkpointSha === undefined,
    ...(input.foldedCommits === undefined ? {} : { foldedCommits: input.foldedCommits }),
  });
  if (decisions.length > 0) {
    const reasons = decisions.flatMap((d) => d.reasons);
    state = {
      ...state,
      held: [
        ...state.held.filter((h) => h.sha !== sha),
        {
          sha,
          heldAt: new Date().toISOString(),
          stages: decisions.map((d) => ({ stage: d.stage, isApprovable: d.isApprovable, requiredApprovals: d.requiredApprovals })),
          reasons,
          approvers: [],
        },
      ],
    };
  }

  // A stage whose held change is gone again (reverted) is released from its holds.
  state = await clearReverted(input, state, own.nextEntries, stageOf);

  // Blocked stages stay at their released commit; an unusable policy.yaml blocks everything for this commit only.
  const blocked = blockedStages(state);
  if (invalidOwnPolicy !== undefined) for (const stage of knownStages) blocked.add(stage);
  const restricted = restrictPlan(published, input.plan, (stage) => stage === undefined || !blocked.has(stage), stageOf);

  // What the head renders but blocked stages do not publish, so the next commit's own change is computed against it.
  const unpublished: Record<string, PublishedEntry | null> = {};
  const atHead = own.nextEntries;
  const afterPublish = restricted.plan.nextEntries;
  for (const key of new Set([...Object.keys(atHead), ...Object.keys(afterPublish)])) {
    const rendered = atHead[key];
    const kept = afterPublish[key];
    if (rendered?.hash !== kept?.hash || rendered?.version !== kept?.version) unpublished[key] = rendered ?? null;
  }
  const released = { ...state.released };
  for (const stage of knownStages) if (!blocked.has(stage)) released[stage] = sha;
  state = { ...state, released, clusterStages, unpublished, baseSha: blocked.size === 0 ? sha : state.baseSha };

  // Log every decision with the commit and the reasons.
  let held: HeldChange | undefined;
  if (decisions.length > 0 || invalidOwnPolicy !== undefined) {
    const policyReasons: HoldReason[] =
      invalidOwnPolicy === undefined ? [] : [...knownStages].sort().map((stage) => ({ rule: ChangeRule.path, stage, message: invalidOwnPolicy }));
    const reasons = [...policyReasons, ...decisions.flatMap((d) => d.reasons)];
    const heldStages = [...new Set(reasons.map((r) => r.stage))].sort();
    held = {
      stages: heldStages,
      reasons,
      isApprovable: invalidOwnPolicy === undefined && decisions.every((d) => d.isApprovable),
      clusters: totals(stages),
    };
    log.warn({ repo, revision: sha, stages: heldStages, reasons: reasons.map((r) => `${r.stage}: ${r.rule}: ${r.message}`), isApprovable: held.isApprovable }, 'commit held by the change policy');
  } else {
    log.info({ repo, revision: sha, stages: [...stages.keys()].sort() }, 'commit passes the change policy');
  }
  const waiting = [...blocked].filter((stage) => stages.has(stage) && !(held?.stages.includes(stage) ?? false)).sort();
  if (waiting.length > 0) log.info({ repo, revision: sha, stages: waiting, heldBy: state.held.map((h) => h.sha) }, 'commit waits behind held commits on these stages');
  return { plan: restricted.plan, state, held, blocked: [...blocked].sort() };
}

/**
 * Releases the holds on a blocked stage when the head no longer carries the held change: its pairs
 * render as published and neither policy.yaml, the stage's version files nor a protected path differ
 * from the stage's released commit.
 */
async function clearReverted(
  input: EnforceInput,
  state: PolicyState,
  head: Readonly<Record<string, PublishedEntry>>,
  stageOf: (cluster: string) => string | undefined,
): Promise<PolicyState> {
  const blocked = blockedStages(state);
  if (blocked.size === 0) return state;
  const cleared = new Set<string>();
  for (const stage of blocked) {
    const released = releasedShaOf(state, stage);
    if (released === undefined || !(await input.git.hasCommit(released))) continue;
    const stageKeys = new Set([...Object.keys(head), ...Object.keys(input.published)].filter((key) => stageOf(key.split('.')[0] ?? '') === stage));
    const isSame = [...stageKeys].every((key) => head[key]?.hash === input.published[key]?.hash && head[key]?.version === input.published[key]?.version);
    if (!isSame) continue;
    const paths = await input.git.changedPaths(released, input.commit.sha);
    const policy = await input.gate.policyAt(released);
    const isProtected = (path: string) =>
      path === POLICY_FILE || stagesOfVersionFiles([path], stageOf).has(stage) || (policy.ok && pathRulesFor(policy.policy, [path]).length > 0);
    if (paths.some(isProtected)) continue;
    cleared.add(stage);
  }
  if (cleared.size === 0) return state;
  input.log.info({ repo: input.repo, revision: input.commit.sha, stages: [...cleared].sort() }, 'held change is no longer in the head; holds on these stages are cleared');
  return clearStages(state, cleared);
}

/** A plan publishing only `stages` at the head, from a fresh render of the head. */
export function releasePlan(
  published: Readonly<Record<string, PublishedEntry>>,
  render: CommitRender,
  stages: ReadonlySet<string>,
  state: PolicyState,
): { plan: PublishPlan; state: PolicyState } {
  const clusterStages = stageMap(state, render);
  const stageOf = (cluster: string) => clusterStages[cluster];
  const full = planPublish(published, { pairs: render.pairs, failures: render.failures });
  const { plan } = restrictPlan(published, { ...full, failures: [] }, (stage) => stage !== undefined && stages.has(stage), stageOf);
  const unpublished = Object.fromEntries(Object.entries(state.unpublished).filter(([key]) => !stages.has(stageOf(key.split('.')[0] ?? '') ?? '')));
  return { plan, state: { ...state, clusterStages, unpublished } };
}
