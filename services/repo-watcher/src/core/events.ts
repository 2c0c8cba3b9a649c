/**
 * The events a commit produces, with ids derived only from what makes each one unique, so a
 * re-publish after a crash or restart is dropped by the stream's duplicate window and by audit.
 */
import { deterministicId, makeEvent, subjects, type Commit, type Envelope } from '@driftless/contracts';
import type { DesiredPut, DesiredRemoval } from './plan.js';
import type { RenderFailure } from './render-result.js';

export const EVENT_SOURCE = 'driftless/repo-watcher';

export interface EventContext {
  repo: string;
  commit: Commit;
  traceparent?: string;
  tracestate?: string;
  time?: Date;
}

function common(ctx: EventContext) {
  return {
    source: EVENT_SOURCE,
    ...(ctx.time === undefined ? {} : { time: ctx.time }),
    ...(ctx.traceparent === undefined ? {} : { traceparent: ctx.traceparent }),
    ...(ctx.tracestate === undefined ? {} : { tracestate: ctx.tracestate }),
  };
}

export function desiredChangedEvent(ctx: EventContext, put: DesiredPut): Envelope<'driftless.desired.changed.v1'> {
  const { pair } = put;
  return makeEvent({
    ...common(ctx),
    type: 'driftless.desired.changed.v1',
    id: deterministicId('desired.changed', ctx.repo, pair.cluster, pair.component, ctx.commit.sha, pair.hash),
    subject: subjects.desired(pair.cluster, pair.component, 'changed'),
    data: {
      repo: ctx.repo,
      cluster: pair.cluster,
      component: pair.component,
      stage: pair.stage,
      apps: [...pair.apps],
      commit: ctx.commit,
      previous: put.previous,
      version: pair.version,
      hash: pair.hash,
      objectCount: pair.objects.length,
    },
  });
}

export function desiredRemovedEvent(ctx: EventContext, removal: DesiredRemoval): Envelope<'driftless.desired.removed.v1'> {
  return makeEvent({
    ...common(ctx),
    type: 'driftless.desired.removed.v1',
    id: deterministicId('desired.removed', ctx.repo, removal.cluster, removal.component, ctx.commit.sha),
    subject: subjects.desired(removal.cluster, removal.component, 'removed'),
    data: { repo: ctx.repo, cluster: removal.cluster, component: removal.component, commit: ctx.commit, previous: removal.previous },
  });
}

export function renderFailedEvent(ctx: EventContext, failure: RenderFailure): Envelope<'driftless.render.failed.v1'> {
  return makeEvent({
    ...common(ctx),
    type: 'driftless.render.failed.v1',
    id: deterministicId('render.failed', ctx.repo, ctx.commit.sha, failure.cluster ?? '', failure.component ?? '', failure.file ?? '', failure.reason),
    subject: subjects.repo(ctx.repo, 'render-failed'),
    data: {
      repo: ctx.repo,
      commit: ctx.commit,
      ...(failure.cluster === undefined ? {} : { cluster: failure.cluster }),
      ...(failure.component === undefined ? {} : { component: failure.component }),
      ...(failure.file === undefined ? {} : { file: failure.file }),
      ...(failure.line === undefined ? {} : { line: failure.line }),
      reason: failure.reason,
    },
  });
}

export interface Rewrite {
  branch: string;
  fromSha: string;
  reason: string;
}

export function repoRewrittenEvent(ctx: EventContext, rewrite: Rewrite): Envelope<'driftless.repo.rewritten.v1'> {
  return makeEvent({
    ...common(ctx),
    type: 'driftless.repo.rewritten.v1',
    id: deterministicId('repo.rewritten', ctx.repo, rewrite.branch, rewrite.fromSha, ctx.commit.sha),
    subject: subjects.repo(ctx.repo, 'rewritten'),
    data: { repo: ctx.repo, branch: rewrite.branch, fromSha: rewrite.fromSha, toSha: ctx.commit.sha, commit: ctx.commit, reason: rewrite.reason },
  });
}
