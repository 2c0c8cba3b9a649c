/**
 * Building the agent's events: the v1 payloads, the subject from contracts' builders, a
 * deterministic id (so a re-publish of the same event deduplicates), and the trace context.
 */
import {
  AgentStep,
  deterministicId,
  makeEvent,
  subjects,
  type EventData,
  type Envelope,
} from '@driftless/contracts';

export type AgentEventType =
  | 'driftless.agent.applied.v1'
  | 'driftless.agent.apply_failed.v1'
  | 'driftless.agent.drift_detected.v1'
  | 'driftless.agent.drift_corrected.v1'
  | 'driftless.agent.health_changed.v1'
  | 'driftless.agent.prune_blocked.v1';

const STEP_OF: Record<AgentEventType, AgentStep> = {
  'driftless.agent.applied.v1': AgentStep.applied,
  'driftless.agent.apply_failed.v1': AgentStep.applyFailed,
  'driftless.agent.drift_detected.v1': AgentStep.driftDetected,
  'driftless.agent.drift_corrected.v1': AgentStep.driftCorrected,
  'driftless.agent.health_changed.v1': AgentStep.healthChanged,
  'driftless.agent.prune_blocked.v1': AgentStep.pruneBlocked,
};

export interface EventContext {
  /** CloudEvents source, e.g. `driftless-agent/prod-eu`. */
  source: string;
  time: Date;
  traceparent?: string;
  tracestate?: string;
}

function traceFields(ctx: EventContext): { traceparent?: string; tracestate?: string } {
  return {
    ...(ctx.traceparent === undefined ? {} : { traceparent: ctx.traceparent }),
    ...(ctx.tracestate === undefined ? {} : { tracestate: ctx.tracestate }),
  };
}

export function agentEvent<T extends AgentEventType>(type: T, data: EventData<T> & { cluster: string; component: string }, ctx: EventContext): Envelope<T> {
  const subject = subjects.agent(data.cluster, data.component, STEP_OF[type]);
  const time = ctx.time.toISOString();
  return makeEvent({
    type,
    source: ctx.source,
    subject,
    data,
    time: ctx.time,
    // The time is part of the id: the same transition twice is two events, one event re-sent is one.
    id: deterministicId(type, subject, time, JSON.stringify(data)),
    ...traceFields(ctx),
  });
}

export function heartbeatEvent(data: EventData<'driftless.cluster.heartbeat.v1'>, ctx: EventContext): Envelope<'driftless.cluster.heartbeat.v1'> {
  const subject = subjects.cluster(data.cluster, 'heartbeat');
  const time = ctx.time.toISOString();
  return makeEvent({
    type: 'driftless.cluster.heartbeat.v1',
    source: ctx.source,
    subject,
    data,
    time: ctx.time,
    id: deterministicId('driftless.cluster.heartbeat.v1', subject, time),
    ...traceFields(ctx),
  });
}

/** The content hash standing for "no objects" (a removed component), in the contracts' `sha256:` form. */
export const EMPTY_STATE_HASH = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
