/**
 * Plans and commits promotions of one repository: fetch, resolve the request at the branch head,
 * render the stage with and without the edits, and for `commit` write one commit authored as the
 * requester and committed as Driftless, retrying on top of a branch that moved meanwhile. The
 * watcher is the only holder of Git write credentials, so this is the only writer.
 */
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
  type Person,
  type PromoteReply,
  type PromoteRequest,
  type PromotionGates,
  type PromotionPlan,
} from '@driftless/contracts';
import { gatesOf, loadEnvironment, loadPolicy, renderPlacements, RenderError, type Environment, type Limits, type RepoReader } from '@driftless/envrepo';
import type { CommitSigner, ReadLimits } from '@driftless/git';
import type { Logger } from '@driftless/telemetry';
import type { Counter } from '@opentelemetry/api';
import { filesToRead, resolvePromotion, type ResolvedPromotion } from './core/promote-edits.js';
import { checkMessageFields, promotionIdOf, promotionMessage } from './core/promote-message.js';
import { overlayReader } from './core/promote-overlay.js';
import { pairsToRender, planPromotion } from './core/promote-plan.js';
import type { OwnCommits } from './own-commits.js';
import type { PromoteGit } from './ports.js';

export interface PromoterDeps {
  repo: string;
  branch: string;
  git: PromoteGit;
  ownCommits: OwnCommits;
  /** Who commits promotions (the author is the requester). */
  committer: Person;
  signer?: CommitSigner;
  readLimits: ReadLimits;
  renderLimits?: Partial<Limits>;
  fetchTimeoutMs: number;
  pushTimeoutMs: number;
  /** Called with each pushed commit, so the watcher publishes it now rather than at the next poll. */
  onCommitted: (sha: string) => void;
  log: Logger;
  /** Counts answers by op and outcome. */
  promotions?: Counter;
  /** Commits tried on top of a branch that keeps moving before giving up with `conflict` (default 3). */
  maxAttempts?: number;
  /** How far back a retried commit looks for the commit it already wrote (default 200 commits). */
  historyDepth?: number;
}

interface Prepared {
  plan: PromotionPlan;
  resolved: ResolvedPromotion;
}

export class Promoter {
  // One promotion at a time per repository: two commits racing each other would only conflict.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: PromoterDeps) {}

  /** Answers a request; never throws (every failure is a reply with a code and a message). */
  handle(request: PromoteRequest): Promise<PromoteReply> {
    const run = this.queue.then(() => this.handleNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handleNow(request: PromoteRequest): Promise<PromoteReply> {
    const { log, repo } = this.deps;
    const started = performance.now();
    try {
      if (request.repo !== repo) throw new NotFoundError(`this watcher serves repository ${repo}, not ${request.repo}`);
      checkMessageFields(request);
      const reply = request.op === 'plan' ? { ok: true as const, plan: (await this.prepareAtHead(request)).plan } : await this.commit(request);
      log.info(
        { repo, promotionId: request.promotionId, op: request.op, stage: request.stage, commitSha: 'commitSha' in reply ? reply.commitSha : undefined, durationMs: Math.round(performance.now() - started) },
        'promotion handled',
      );
      this.deps.promotions?.add(1, { repo, op: request.op, outcome: request.op === 'plan' ? 'planned' : 'commitSha' in reply && reply.commitSha ? 'committed' : 'unchanged' });
      return reply;
    } catch (err) {
      const reply = replyOf(err);
      this.deps.promotions?.add(1, { repo, op: request.op, outcome: reply.code });
      if (reply.code === 'internal') log.error({ err, repo, promotionId: request.promotionId }, 'promotion failed');
      else log.info({ repo, promotionId: request.promotionId, op: request.op, code: reply.code, reason: reply.message }, 'promotion refused');
      return reply;
    }
  }

  private async commit(request: PromoteRequest): Promise<PromoteReply> {
    const { git, branch } = this.deps;
    const maxAttempts = this.deps.maxAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const { headSha, prepared } = await this.fetchAndPrepare(request);
      // A retried request whose commit already landed gets that commit back, not a second one.
      const existing = await this.findCommitOf(request.promotionId, headSha);
      if (existing !== undefined) return { ok: true, plan: prepared.plan, commitSha: existing };
      if (prepared.resolved.edits.size === 0) return { ok: true, plan: prepared.plan };
      try {
        const sha = await git.commitFilesAndPush(
          {
            branch,
            changes: [...prepared.resolved.edits].map(([path, content]) => ({ path, content })),
            message: promotionMessage(request, prepared.resolved.components, prepared.resolved.clusters),
            author: request.requester,
            committer: this.deps.committer,
            expectedParentSha: headSha,
            ...(this.deps.signer ? { signer: this.deps.signer } : {}),
            // Recorded before anyone can fetch it, so the change policy always knows it as ours.
            beforePush: (newSha) => this.deps.ownCommits.record(newSha),
          },
          { timeoutMs: this.deps.pushTimeoutMs },
        );
        this.deps.onCommitted(sha);
        return { ok: true, plan: prepared.plan, commitSha: sha };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        if (attempt >= maxAttempts) {
          throw new ConflictError(`branch ${branch} kept moving: gave up after ${attempt} attempts (${err.message})`, { cause: err });
        }
        this.deps.log.info({ repo: this.deps.repo, promotionId: request.promotionId, attempt, reason: err.message }, 'promotion push conflicted; retrying on the new head');
      }
    }
  }

  private async prepareAtHead(request: PromoteRequest): Promise<Prepared> {
    return (await this.fetchAndPrepare(request)).prepared;
  }

  private async fetchAndPrepare(request: PromoteRequest): Promise<{ headSha: string; prepared: Prepared }> {
    const { git, branch, repo } = this.deps;
    await git.fetch({ timeoutMs: this.deps.fetchTimeoutMs });
    const headSha = await git.resolveBranch(branch);
    if (headSha === undefined) throw new UnavailableError(`branch ${branch} of repository ${repo} does not exist`);
    return { headSha, prepared: await this.prepare(request, headSha, await git.reader(headSha, this.deps.readLimits)) };
  }

  private async prepare(request: PromoteRequest, headSha: string, reader: RepoReader): Promise<Prepared> {
    const before = await this.load(reader, headSha);
    const texts = new Map<string, string | undefined>();
    for (const path of filesToRead(before, request.stage)) {
      const bytes = await reader.readFile(path);
      texts.set(path, bytes === undefined ? undefined : new TextDecoder().decode(bytes));
    }
    const resolved = resolvePromotion(request, before, texts);
    const edited = overlayReader(reader, resolved.edits);
    const after = await this.load(edited, headSha);
    const [renderedBefore, renderedAfter] = await Promise.all([
      renderPlacements(before, reader, pairsToRender(before.placements, resolved)),
      renderPlacements(after, edited, pairsToRender(after.placements, resolved)),
    ]);
    const plan = planPromotion({ repo: this.deps.repo, baseSha: headSha, resolved, before, after, renderedBefore, renderedAfter, gates: await this.gates(reader, before, request.stage, headSha) });
    return { plan, resolved };
  }

  private async load(reader: RepoReader, headSha: string): Promise<Environment> {
    try {
      return await loadEnvironment(reader, this.deps.renderLimits);
    } catch (err) {
      if (err instanceof RenderError) throw new InvalidInputError(`the environment at ${headSha.slice(0, 12)} does not load: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private async gates(reader: RepoReader, model: Environment, stage: string, headSha: string): Promise<PromotionGates> {
    try {
      return gatesOf((await loadPolicy(reader, { stages: model.stages, ...(this.deps.renderLimits ? { limits: this.deps.renderLimits } : {}) })).policy, stage);
    } catch (err) {
      // Planning with no gates because the policy is broken would let a promotion skip them.
      if (err instanceof RenderError) throw new InvalidInputError(`the change policy at ${headSha.slice(0, 12)} does not load: ${err.message}`, { cause: err });
      throw err;
    }
  }

  private async findCommitOf(promotionId: string, headSha: string): Promise<string | undefined> {
    const recent = await this.deps.git.recentCommits(headSha, this.deps.historyDepth ?? 200);
    return recent.find((c) => promotionIdOf(c.message) === promotionId)?.sha;
  }
}

/** A failure as a reply: domain errors keep their meaning, anything else is `internal`. */
function replyOf(err: unknown): Extract<PromoteReply, { ok: false }> {
  const message = (err as Error | undefined)?.message || String(err);
  if (err instanceof NotFoundError) return { ok: false, code: 'not_found', message };
  if (err instanceof InvalidInputError) return { ok: false, code: 'invalid', message };
  if (err instanceof ConflictError) return { ok: false, code: 'conflict', message };
  if (err instanceof UnavailableError) return { ok: false, code: 'unavailable', message };
  return { ok: false, code: 'internal', message: `promotion failed: ${message}` };
}
