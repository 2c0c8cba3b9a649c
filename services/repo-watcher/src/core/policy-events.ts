/** The change-policy events of a commit: held (with the reasons) and released (after approval). */
import { deterministicId, makeEvent, subjects, type Envelope } from '@driftless/contracts';
import { EVENT_SOURCE, type EventContext } from './events.js';
import type { HoldReason } from './policy-state.js';

export interface HeldChange {
  stages: readonly string[];
  reasons: readonly HoldReason[];
  isApprovable: boolean;
  clusters: { changed: number; removed: number };
}

export function changeHeldEvent(ctx: EventContext, held: HeldChange): Envelope<'driftless.change.held.v1'> {
  return makeEvent({
    source: EVENT_SOURCE,
    ...(ctx.traceparent === undefined ? {} : { traceparent: ctx.traceparent }),
    ...(ctx.tracestate === undefined ? {} : { tracestate: ctx.tracestate }),
    type: 'driftless.change.held.v1',
    id: deterministicId('change.held', ctx.repo, ctx.commit.sha),
    subject: subjects.change(ctx.repo, 'held'),
    data: {
      repo: ctx.repo,
      commit: ctx.commit,
      stages: [...held.stages],
      reasons: held.reasons.map((r) => ({ rule: r.rule, stage: r.stage, message: r.message })),
      isApprovable: held.isApprovable,
      clusters: held.clusters,
    },
  });
}

export function changeReleasedEvent(repo: string, commitSha: string, stages: readonly string[], approvers: readonly string[]): Envelope<'driftless.change.released.v1'> {
  return makeEvent({
    source: EVENT_SOURCE,
    type: 'driftless.change.released.v1',
    id: deterministicId('change.released', repo, commitSha, [...stages].sort().join(',')),
    subject: subjects.change(repo, 'released'),
    data: { repo, commitSha, stages: [...stages], approvers: [...approvers] },
  });
}
