/**
 * Approving commits the repo-watcher held (change policy, blast-radius brake): the approval is
 * published as `driftless.change.approved.v1`, which the watcher consumes to release the commit
 * and the ledger records. Nobody approves their own commit, and holds no approval can release
 * (an unsigned commit where signatures are required) are refused.
 */
import { ConflictError, deterministicId, ForbiddenError, makeEvent, NotFoundError, subjects } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import { personOf } from './core/promotion.js';
import type { PromotionCaller } from './promotions.js';
import type { HeldChange, HeldChanges, TokenPeople } from './promotion-ports.js';
import type { EventPublisher } from './registration-ports.js';

export const CHANGE_EVENT_SOURCE = 'audit/changes';

export interface ChangeApprovalsDeps {
  held: HeldChanges;
  people: TokenPeople;
  events: EventPublisher;
  now?: () => Date;
  log?: Logger;
}

export class ChangeApprovals {
  constructor(private readonly deps: ChangeApprovalsDeps) {}

  list(query: { repo?: string; isReleasedIncluded: boolean; limit: number }): Promise<HeldChange[]> {
    return this.deps.held.list(query);
  }

  async get(sha: string): Promise<HeldChange> {
    const held = await this.deps.held.get(sha);
    if (!held) throw new NotFoundError(`the ledger records no held commit ${sha}`);
    return held;
  }

  async approve(sha: string, caller: PromotionCaller, comment: string | null): Promise<HeldChange & { approver: string }> {
    const held = await this.get(sha);
    const approver = `token:${caller.name}`;
    if (held.releasedAt !== null) throw new ConflictError(`commit ${sha} was already released at ${held.releasedAt.toISOString()}`);
    if (!held.isApprovable) {
      throw new ConflictError(`commit ${sha} cannot be released by an approval: ${held.reasons.map((r) => `${r.stage}: ${r.message}`).join('; ')}`);
    }
    const person = personOf(caller.name, await this.deps.people.emailOf(caller.id));
    if (person.email.toLowerCase() === held.commit.author.email.toLowerCase()) {
      throw new ForbiddenError(`${approver} (${person.email}) authored commit ${sha} and cannot approve it: approvals must come from someone else`);
    }
    if (held.approvers.includes(approver)) throw new ConflictError(`${approver} has already approved commit ${sha}`);
    const data = { repo: held.repo, commitSha: held.commit.sha, approver, ...(comment === null ? {} : { comment }) };
    await this.deps.events.publish(
      makeEvent({
        type: 'driftless.change.approved.v1',
        source: CHANGE_EVENT_SOURCE,
        subject: subjects.changeApprovals(held.repo),
        id: deterministicId('driftless.change.approved.v1', held.repo, held.commit.sha, approver),
        time: (this.deps.now ?? (() => new Date()))(),
        data,
      }),
    );
    this.deps.log?.info({ repo: held.repo, commitSha: sha, approver }, 'held change approved');
    return { ...held, approvers: [...held.approvers, approver], approver };
  }
}
