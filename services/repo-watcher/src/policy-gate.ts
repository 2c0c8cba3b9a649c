/**
 * The change policy's I/O around the pure decision: reads policy.yaml at the commits that govern
 * each stage (cached by sha), checks the commit's own policy.yaml when it changes, verifies the
 * commit's signature against the keys of the policy in force, and asks whether the watcher wrote
 * the commit itself.
 */
import type { Commit } from '@driftless/contracts';
import { NO_POLICY, POLICY_FILE, RenderError, loadPolicy, type Policy } from '@driftless/envrepo';
import { verifyCommitSignature, type CommitSignatureReader, type ReadLimits, type SignatureVerdict, type SignedCommit } from '@driftless/git';
import type { Logger } from '@driftless/telemetry';
import { decideCommit, type ClusterSets, type StageDecision } from './core/policy-decision.js';
import { releasedShaOf, type PolicyState } from './core/policy-state.js';
import type { OwnCommits } from './own-commits.js';
import type { GitSource } from './ports.js';

const MAX_CACHED_POLICIES = 32;

type PolicyAt = { ok: true; policy: Policy } | { ok: false; reason: string };

export interface PolicyGateDeps {
  repo: string;
  git: Pick<GitSource, 'reader'>;
  signatures: CommitSignatureReader;
  ownCommits: OwnCommits;
  readLimits: ReadLimits;
  log: Logger;
}

export interface CommitToCheck {
  commit: Commit;
  /** Paths the commit changes (against its parent, or the last processed commit). */
  changedPaths: readonly string[];
  /** Stages the commit changes, with the clusters it changes and removes components from. */
  stages: ReadonlyMap<string, ClusterSets>;
  knownStages: ReadonlySet<string>;
  state: PolicyState;
  /** Nothing was published before this commit (the brake does not apply). */
  isFirstPublish: boolean;
  /** Older commits folded into this one (more arrived at once than one sync processes one by one): their authors and signatures are checked too. */
  foldedCommits?: readonly Commit[];
}

export class PolicyGate {
  private readonly policies = new Map<string, Promise<PolicyAt>>();

  constructor(private readonly deps: PolicyGateDeps) {}

  /** policy.yaml at one commit, or why it cannot be used. Content problems never throw; outages do. */
  async policyAt(sha: string): Promise<PolicyAt> {
    let found = this.policies.get(sha);
    if (found === undefined) {
      found = this.load(sha);
      this.policies.set(sha, found);
      found.catch(() => this.policies.delete(sha));
      if (this.policies.size > MAX_CACHED_POLICIES) this.policies.delete(this.policies.keys().next().value as string);
    }
    return found;
  }

  private async load(sha: string): Promise<PolicyAt> {
    try {
      const { policy, warnings } = await loadPolicy(await this.deps.git.reader(sha, this.deps.readLimits), { limits: { maxFileBytes: this.deps.readLimits.maxFileBytes } });
      for (const warning of warnings) this.deps.log.warn({ repo: this.deps.repo, revision: sha, warning }, 'policy warning');
      return { ok: true, policy };
    } catch (err) {
      if (err instanceof RenderError) return { ok: false, reason: err.message };
      throw err;
    }
  }

  /**
   * The stages `check.commit` is held on, with the reasons (none: it may publish everywhere), and
   * why its own policy.yaml cannot be used if it cannot (then it publishes nothing at all).
   */
  async evaluate(check: CommitToCheck): Promise<{ decisions: StageDecision[]; invalidOwnPolicy: string | undefined }> {
    const { commit, state } = check;
    const { repo, log } = this.deps;

    // The commit's own policy.yaml: it must load before it can ever govern anything.
    // Checked on every commit, so a broken file can never be released and become the policy in force.
    let invalidOwnPolicy: string | undefined;
    let own: Policy | undefined;
    const loadedOwn = await this.policyAt(commit.sha);
    if (loadedOwn.ok) own = loadedOwn.policy;
    else invalidOwnPolicy = `the commit's ${POLICY_FILE} cannot be used, so nothing is published until a commit fixes it: ${loadedOwn.reason}`;

    if (check.isFirstPublish) {
      // Nothing was ever published, so no policy is in force yet: the first commit is trusted as it is.
      log.info({ repo, revision: commit.sha }, 'first commit published without a policy in force; its policy.yaml governs what follows');
      return { decisions: [], invalidOwnPolicy };
    }

    // The policy in force per stage: at the stage's released commit, never the commit itself.
    const inForce = new Map<string, Policy>();
    for (const stage of check.knownStages) {
      const sha = releasedShaOf(state, stage);
      if (sha === undefined) {
        // Nothing was ever published: the first commit is trusted with its own policy.
        inForce.set(stage, own ?? NO_POLICY);
        continue;
      }
      const loaded = await this.policyAt(sha);
      if (loaded.ok) inForce.set(stage, loaded.policy);
      else {
        // Only a policy released before enforcement existed can be unreadable; fall back to the commit's own.
        log.error({ repo, revision: commit.sha, releasedSha: sha, stage, reason: loaded.reason }, 'policy in force cannot be read; using the commit\'s own');
        inForce.set(stage, own ?? NO_POLICY);
      }
    }
    const policyOf = (stage: string) => inForce.get(stage) ?? NO_POLICY;

    // The commit itself, and any older commits folded into it, each under its own author and signature.
    const checked = [commit, ...(check.foldedCommits ?? [])];
    const perCommit: StageDecision[][] = [];
    for (const one of checked) perCommit.push(await this.decideOne(one, check, inForce, policyOf));
    const decisions = mergeDecisions(perCommit);
    return { decisions, invalidOwnPolicy };
  }

  /** One commit's decisions: its signature verified once per distinct policy in force that asks for one. */
  private async decideOne(commit: Commit, check: CommitToCheck, inForce: ReadonlyMap<string, Policy>, policyOf: (stage: string) => Policy): Promise<StageDecision[]> {
    const verdicts = new Map<Policy, SignatureVerdict>();
    let signed: Promise<SignedCommit | undefined> | undefined;
    for (const policy of new Set(inForce.values())) {
      if (!needsSignature(policy)) continue;
      signed ??= this.deps.signatures.read(commit.sha);
      const keys = [...policy.keys.values()].map((k) => ({ name: k.name, kind: k.kind, publicKey: k.publicKey }));
      verdicts.set(policy, await verifyCommitSignature(await signed, keys));
    }
    return decideCommit({
      shortSha: commit.sha.slice(0, 12),
      authorEmail: commit.author.email,
      isOwnCommit: await this.deps.ownCommits.has(commit.sha),
      changedPaths: check.changedPaths,
      stages: check.stages,
      knownStages: check.knownStages,
      policyOf,
      signatureOf: (stage) => verdicts.get(policyOf(stage)) ?? { status: 'unsigned', reason: 'the signature was not checked' },
    });
  }
}

/** Decisions of several commits checked as one change, per stage: every distinct reason, the strictest verdict. */
function mergeDecisions(perCommit: readonly StageDecision[][]): StageDecision[] {
  const byStage = new Map<string, StageDecision>();
  for (const decisions of perCommit) {
    for (const decision of decisions) {
      const known = byStage.get(decision.stage);
      if (known === undefined) {
        byStage.set(decision.stage, { ...decision, reasons: [...decision.reasons] });
        continue;
      }
      for (const reason of decision.reasons) {
        if (!known.reasons.some((r) => r.rule === reason.rule && r.message === reason.message)) known.reasons.push(reason);
      }
      known.isApprovable &&= decision.isApprovable;
      known.requiredApprovals = Math.max(known.requiredApprovals, decision.requiredApprovals);
    }
  }
  return [...byStage.values()].sort((a, b) => (a.stage < b.stage ? -1 : a.stage > b.stage ? 1 : 0));
}

function needsSignature(policy: Policy): boolean {
  return [...policy.stages.values()].some((s) => s.changes.signedBy !== undefined) || policy.paths.some((r) => r.signedBy !== undefined);
}
