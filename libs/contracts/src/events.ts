/**
 * The v1 event catalogue: each type's name, schema and subject, the CloudEvents-style envelope,
 * and `decode`, which turns untrusted input into a typed event or a precise validation error.
 */
import { createHash } from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { InvalidInputError } from './errors.js';
import {
  AppliedSchema,
  ApplyFailedSchema,
  ChangeApprovedSchema,
  ChangeHeldSchema,
  ChangeReleasedSchema,
  ClusterRegisteredSchema,
  ClusterRevokedSchema,
  DesiredChangedSchema,
  DesiredRemovedSchema,
  DriftCorrectedSchema,
  DriftDetectedSchema,
  HealthChangedSchema,
  HeartbeatSchema,
  PromotionApprovedSchema,
  PromotionCommittedSchema,
  PromotionHaltedSchema,
  PromotionRejectedSchema,
  PromotionRequestedSchema,
  PromotionWaitingSchema,
  PruneBlockedSchema,
  RenderFailedSchema,
  RepoRewrittenSchema,
} from './schemas.js';

export const EVENT_SCHEMAS = {
  'driftless.desired.changed.v1': DesiredChangedSchema,
  'driftless.desired.removed.v1': DesiredRemovedSchema,
  'driftless.render.failed.v1': RenderFailedSchema,
  'driftless.repo.rewritten.v1': RepoRewrittenSchema,
  'driftless.agent.applied.v1': AppliedSchema,
  'driftless.agent.apply_failed.v1': ApplyFailedSchema,
  'driftless.agent.drift_detected.v1': DriftDetectedSchema,
  'driftless.agent.drift_corrected.v1': DriftCorrectedSchema,
  'driftless.agent.health_changed.v1': HealthChangedSchema,
  'driftless.agent.prune_blocked.v1': PruneBlockedSchema,
  'driftless.cluster.registered.v1': ClusterRegisteredSchema,
  'driftless.cluster.revoked.v1': ClusterRevokedSchema,
  'driftless.cluster.heartbeat.v1': HeartbeatSchema,
  'driftless.promotion.requested.v1': PromotionRequestedSchema,
  'driftless.promotion.approved.v1': PromotionApprovedSchema,
  'driftless.promotion.committed.v1': PromotionCommittedSchema,
  'driftless.promotion.rejected.v1': PromotionRejectedSchema,
  'driftless.promotion.waiting.v1': PromotionWaitingSchema,
  'driftless.promotion.halted.v1': PromotionHaltedSchema,
  'driftless.change.held.v1': ChangeHeldSchema,
  'driftless.change.approved.v1': ChangeApprovedSchema,
  'driftless.change.released.v1': ChangeReleasedSchema,
} as const satisfies Record<string, TSchema>;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventData<T extends EventType> = Static<(typeof EVENT_SCHEMAS)[T]>;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

export const EnvelopeSchema = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1, maxLength: 256 }),
  type: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  time: Type.String({ minLength: 20 }),
  subject: Type.String({ minLength: 1 }),
  data: Type.Unknown(),
  /** W3C trace context (CloudEvents distributed-tracing extension). */
  traceparent: Type.Optional(Type.String()),
  tracestate: Type.Optional(Type.String()),
});

export interface Envelope<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  type: T;
  source: string;
  time: string;
  subject: string;
  data: EventData<T>;
  traceparent?: string;
  tracestate?: string;
}

/** Any event, discriminated by `type`. */
export type DriftlessEvent = { [T in EventType]: Envelope<T> }[EventType];

export class EventValidationError extends InvalidInputError {
  override readonly name: string = 'EventValidationError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(problems.length > 0 ? `${message}: ${problems.join('; ')}` : message);
  }
}

const envelopeCheck = TypeCompiler.Compile(EnvelopeSchema);
const dataChecks = new Map<string, TypeCheck<TSchema>>();

function dataCheck(type: EventType): TypeCheck<TSchema> {
  let check = dataChecks.get(type);
  if (!check) {
    check = TypeCompiler.Compile(EVENT_SCHEMAS[type]);
    dataChecks.set(type, check);
  }
  return check;
}

function problemsOf(check: TypeCheck<TSchema>, value: unknown, prefix: string): string[] {
  return [...check.Errors(value)].slice(0, 10).map((e) => `${prefix}${e.path || '/'}: ${e.message}`);
}

export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(EVENT_SCHEMAS, type);
}

/**
 * Validates an untrusted value as an event envelope with a known type and a matching payload.
 * With `expectedType`, anything else is refused. Throws EventValidationError listing what is wrong.
 */
export function decode<T extends EventType>(expectedType: T, value: unknown): Envelope<T>;
export function decode(expectedType: undefined, value: unknown): DriftlessEvent;
export function decode(expectedType: EventType | undefined, value: unknown): DriftlessEvent {
  if (!envelopeCheck.Check(value)) {
    throw new EventValidationError('invalid event envelope', problemsOf(envelopeCheck, value, 'envelope'));
  }
  const { type } = value;
  if (!isEventType(type)) throw new EventValidationError(`unknown event type "${type}"`, []);
  if (expectedType !== undefined && type !== expectedType) {
    throw new EventValidationError(`expected event type "${expectedType}" but got "${type}"`, []);
  }
  const check = dataCheck(type);
  if (!check.Check(value.data)) throw new EventValidationError(`invalid ${type} payload`, problemsOf(check, value.data, 'data'));
  return value as DriftlessEvent;
}

/** One decoder for every event: consumers decode thousands per second. */
const utf8 = new TextDecoder();

/** Parses JSON bytes or text and decodes it; malformed JSON is an EventValidationError too. */
export function decodeJson(bytes: Uint8Array | string, expectedType?: EventType): DriftlessEvent {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : utf8.decode(bytes));
  } catch (err) {
    throw new EventValidationError(`event is not valid JSON (${(err as Error).message})`, []);
  }
  return expectedType === undefined ? decode(undefined, value) : (decode(expectedType, value) as DriftlessEvent);
}

/** A deterministic id from the parts that make an event unique, so a re-publish deduplicates. */
export function deterministicId(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export interface NewEvent<T extends EventType> {
  type: T;
  source: string;
  subject: string;
  data: EventData<T>;
  /**
   * Deterministic id (becomes the Nats-Msg-Id). Defaults to a hash of type, subject, time and data:
   * the same transition happening twice is two events, while one envelope re-sent is deduplicated.
   */
  id?: string;
  time?: Date;
  traceparent?: string;
  tracestate?: string;
}

/** Builds an envelope, checking the payload against its schema so a bad publisher fails at the source. */
export function makeEvent<T extends EventType>(event: NewEvent<T>): Envelope<T> {
  const time = (event.time ?? new Date()).toISOString();
  const envelope: Envelope<T> = {
    specversion: '1.0',
    id: event.id ?? deterministicId(event.type, event.subject, time, JSON.stringify(event.data)),
    type: event.type,
    source: event.source,
    time,
    subject: event.subject,
    data: event.data,
    ...(event.traceparent === undefined ? {} : { traceparent: event.traceparent }),
    ...(event.tracestate === undefined ? {} : { tracestate: event.tracestate }),
  };
  return decode(event.type, envelope);
}
