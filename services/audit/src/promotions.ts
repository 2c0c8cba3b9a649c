/**
 * Promotions as steps over the ports: plan (ask the repo-watcher what a promotion would change),
 * request (record it and tell the ledger), approve and reject. The engine moves requested
 * promotions through their gates and commits; this module only records what people decide.
 */
import { randomBytes } from 'node:crypto';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnavailableError,
  type PromoteReply,
  type PromoteRequest,
  type PromotionPlan,
} from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import { isRoleAtLeast, Role } from './core/roles.js';
import {
  DEFAULT_WAVE_TIMEOUT_S,
  personOf,
  PromotionStatus,
  rollbackVersion,
  splitWaves,
  targetClusters,
  TargetError,
  type PromotionKind,
} from './core/promotion.js';
import type { EventPublisher } from './registration-ports.js';
import { promotionEvents } from './promotion-events.js';
import type { Approval } from './core/promotion-gates.js';
import type { LedgerFacts, PromoteCommander, PromotionQuery, PromotionRecord, PromotionStore, TokenPeople } from './promotion-ports.js';

/** The API caller: its token's id, name and role. */
export interface PromotionCaller {
  id: string;
  name: string;
  role: Role;
}

export interface PromotionInput {
  components: readonly { component: string; version?: string }[];
  toStage: string;
  kind: PromotionKind;
  repo?: string;
  clusters?: readonly string[];
  selector?: string;
  wave?: number;
  waveTimeoutSeconds?: number;
  reason?: string;
}

export interface PlannedPromotion {
  repo: string;
  plan: PromotionPlan;
  /** The clusters the promotion moves (all of the stage unless limited), and their waves. */
  targets: string[];
  waves: string[][];
}

export interface PromotionsDeps {
  store: PromotionStore;
  facts: LedgerFacts;
  people: TokenPeople;
  commander: PromoteCommander;
  events: EventPublisher;
  /** Called after anything that may let a promotion move on (the engine looks at once). */
  onChange?: () => void;
  now?: () => Date;
  log?: Logger;
}

const actorOf = (caller: PromotionCaller) => `token:${caller.name}`;
const newPromotionId = () => `pr_${randomBytes(6).toString('hex')}`;

/** The repo-watcher's refusal as the API's error. */
export function errorOfReply(reply: Extract<PromoteReply, { ok: false }>, what: string): Error {
  const message = `the repo-watcher refused to ${what}: ${reply.message}`;
  switch (reply.code) {
    case 'invalid':
      return new InvalidInputError(message);
    case 'not_found':
      return new NotFoundError(message);
    case 'conflict':
      return new ConflictError(message);
    case 'unavailable':
    case 'internal':
      return new UnavailableError(message);
  }
}

export class Promotions {
  private readonly now: () => Date;

  constructor(private readonly deps: PromotionsDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  private async repoOf(input: PromotionInput): Promise<string> {
    if (input.repo !== undefined) return input.repo;
    const repos = new Set<string>();
    for (const { component } of input.components) {
      const found = await this.deps.facts.reposOf(component);
      if (found.length === 0) throw new NotFoundError(`no environment repository deploys component "${component}" (the ledger has never seen it)`);
      if (found.length > 1) throw new InvalidInputError(`component "${component}" is deployed from several repositories (${found.join(', ')}); name one with "repo"`);
      repos.add(found[0] ?? '');
    }
    if (repos.size > 1) throw new InvalidInputError(`the components come from different repositories (${[...repos].join(', ')}); promote them separately`);
    return [...repos][0] ?? '';
  }

  /** A rollback without versions returns each component to the version its stage ran before. */
  private async versionsOf(input: PromotionInput): Promise<{ component: string; version?: string }[]> {
    if (input.kind !== 'rollback') return input.components.map((c) => ({ ...c }));
    const out: { component: string; version: string }[] = [];
    for (const c of input.components) {
      if (c.version !== undefined) {
        out.push({ component: c.component, version: c.version });
        continue;
      }
      const history = await this.deps.facts.stageHistory(input.toStage, c.component);
      const target = rollbackVersion(history);
      if (history.length === 0) throw new NotFoundError(`the ledger has no version of ${c.component} on stage ${input.toStage} to roll back from`);
      if (!target) throw new ConflictError(`${c.component} has only ever run ${history[0] ?? '?'} on stage ${input.toStage}: there is no earlier version to roll back to; name one with --to`);
      out.push({ component: c.component, version: target.target });
    }
    return out;
  }

  private async person(caller: PromotionCaller) {
    return personOf(caller.name, await this.deps.people.emailOf(caller.id));
  }

  /** Asks the repo-watcher what the promotion would change (nothing is recorded). */
  async plan(input: PromotionInput, caller: PromotionCaller, promotionId = newPromotionId()): Promise<PlannedPromotion> {
    const repo = await this.repoOf(input);
    const components = await this.versionsOf(input);
    const request: PromoteRequest = {
      op: 'plan',
      promotionId,
      kind: input.kind,
      repo,
      stage: input.toStage,
      components,
      requester: await this.person(caller),
      ...(input.reason === undefined ? {} : { reason: input.reason }),
    };
    let reply: PromoteReply;
    try {
      reply = await this.deps.commander.send(request);
    } catch (err) {
      if (err instanceof UnavailableError) {
        throw new UnavailableError(`no repo-watcher of repository "${repo}" answered the promotion plan (${err.message}); is the repo-watcher running?`, { cause: err });
      }
      throw err;
    }
    if (!reply.ok) throw errorOfReply(reply, `plan the promotion to ${input.toStage}`);
    let targets: string[];
    try {
      targets = targetClusters(reply.plan.clusters, {
        ...(input.clusters === undefined ? {} : { clusters: input.clusters }),
        ...(input.selector === undefined ? {} : { selector: input.selector }),
      });
    } catch (err) {
      if (err instanceof TargetError) throw new InvalidInputError(`cannot promote to ${input.toStage}: ${err.message}`);
      throw err;
    }
    if (targets.length === 0) throw new InvalidInputError(`stage ${input.toStage} has no clusters to promote to`);
    const isLimited = input.clusters !== undefined || input.selector !== undefined;
    const waves = input.wave !== undefined ? splitWaves(targets, input.wave) : isLimited ? [targets] : [];
    return { repo, plan: reply.plan, targets, waves };
  }

  /** Records a promotion and tells the ledger; the engine takes it from there. */
  async request(input: PromotionInput, caller: PromotionCaller): Promise<PromotionRecord> {
    if (!isRoleAtLeast(caller.role, Role.operator)) throw new ForbiddenError(`promotions need the operator role; token "${caller.name}" has the ${caller.role} role`);
    const id = newPromotionId();
    const planned = await this.plan(input, caller, id);
    // Two open promotions of one component into one stage would race each other's commits.
    const names = new Set(planned.plan.components.map((c) => c.component));
    const busy = (await this.deps.store.open()).find((p) => p.repo === planned.repo && p.stage === input.toStage && p.components.some((c) => names.has(c.component)));
    if (busy) {
      throw new ConflictError(
        `promotion ${busy.id} (${busy.components.map((c) => `${c.component} ${c.version}`).join(', ')}) into ${busy.stage} is still ${busy.status}; wait for it or reject it first`,
      );
    }
    const unchanged = planned.plan.components.filter((c) => c.currentVersion === c.version).map((c) => `${c.component} ${c.version}`);
    if (planned.plan.changes.length === 0 && input.clusters === undefined && input.selector === undefined) {
      throw new ConflictError(`nothing to promote: stage ${input.toStage} already runs ${unchanged.join(', ') || 'these versions'} everywhere`);
    }
    const record = await this.deps.store.create({
      id,
      kind: input.kind,
      repo: planned.repo,
      stage: input.toStage,
      components: planned.plan.components.map((c) => ({ component: c.component, version: c.version })),
      clusters: input.clusters === undefined ? null : [...input.clusters],
      selector: input.selector ?? null,
      waveSize: input.wave ?? null,
      waveTimeoutS: input.waveTimeoutSeconds ?? DEFAULT_WAVE_TIMEOUT_S,
      waves: planned.waves,
      requester: actorOf(caller),
      requesterPerson: await this.person(caller),
      reason: input.reason ?? null,
      plan: planned.plan,
      createdAt: this.now(),
    });
    this.deps.log?.info({ promotionId: id, stage: record.stage, components: record.components, actor: record.requester }, 'promotion requested');
    await this.publishSoon(promotionEvents.requested(record), id);
    this.deps.onChange?.();
    return record;
  }

  /** The engine publishes the requested step again if this fails, so a NATS hiccup loses nothing. */
  private async publishSoon(event: Parameters<EventPublisher['publish']>[0], promotionId: string): Promise<void> {
    try {
      await this.deps.events.publish(event);
    } catch (err) {
      this.deps.log?.warn({ promotionId, type: event.type, reason: (err as Error).message }, 'could not publish a promotion step yet; the engine will');
    }
  }

  async get(id: string): Promise<PromotionRecord> {
    const p = await this.deps.store.get(id);
    if (!p) throw new NotFoundError(`no promotion has the id "${id}"`);
    return p;
  }

  approvals(id: string): Promise<Approval[]> {
    return this.deps.store.approvals(id);
  }

  list(query: PromotionQuery) {
    return this.deps.store.list(query);
  }

  approvalsOf(ids: readonly string[]): Promise<Map<string, Approval[]>> {
    return this.deps.store.approvalsOf(ids);
  }

  async approve(id: string, caller: PromotionCaller, comment: string | null): Promise<PromotionRecord> {
    const p = await this.get(id);
    const approver = actorOf(caller);
    const person = await this.person(caller);
    if (approver === p.requester || person.email === p.requesterPerson.email) {
      throw new ForbiddenError(`${approver} requested promotion ${id} and cannot approve it: approvals must come from other operators`);
    }
    const isOpen = (p.status === PromotionStatus.requested || p.status === PromotionStatus.waiting) && p.commits.length === 0;
    if (!isOpen) throw new ConflictError(`promotion ${id} is ${p.status}${p.commits.length > 0 ? ' and already committing' : ''}: only a waiting promotion can be approved`);
    const at = this.now();
    const result = await this.deps.store.addApproval(id, [PromotionStatus.requested, PromotionStatus.waiting], { approver, role: caller.role, comment, at });
    if (result === 'duplicate') throw new ConflictError(`${approver} has already approved promotion ${id}`);
    if (result === 'closed') throw new ConflictError(`promotion ${id} is no longer waiting: only a waiting promotion can be approved`);
    this.deps.log?.info({ promotionId: id, approver }, 'promotion approved');
    await this.deps.events.publish(promotionEvents.approved(p, approver, comment, at));
    this.deps.onChange?.();
    return this.get(id);
  }

  async reject(id: string, caller: PromotionCaller, reason: string): Promise<PromotionRecord> {
    const p = await this.get(id);
    const by = actorOf(caller);
    const rejected = await this.deps.store.transition(id, [PromotionStatus.requested, PromotionStatus.waiting], {
      status: PromotionStatus.rejected,
      statusReason: reason,
      decidedBy: by,
      pending: [],
    });
    if (!rejected) throw new ConflictError(`promotion ${id} is ${p.status}: only a requested or waiting promotion can be rejected`);
    this.deps.log?.info({ promotionId: id, actor: by }, 'promotion rejected');
    await this.deps.events.publish(promotionEvents.rejected(rejected, reason, by, rejected.updatedAt));
    return rejected;
  }
}
