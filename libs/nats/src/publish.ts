/**
 * Publishing an event: the envelope as JSON, `Nats-Msg-Id` set to the envelope's deterministic
 * id so the stream drops a re-publish, and the trace context in the headers.
 */
import type { DriftlessEvent, Envelope } from '@driftless/contracts';
import { contextFromTraceParent, injectTraceContext, traceIdOf } from '@driftless/telemetry';
import { context as otelContext, type Context } from '@opentelemetry/api';
import type { JetStreamClient, PubAck } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { toDomainError } from './errors.js';
import { wireSubject } from './names.js';

/** Header naming the event type, so tools can filter without decoding bodies. */
export const EVENT_TYPE_HEADER = 'Driftless-Event-Type';

export interface PublishOptions {
  /** The NATS subject; defaults to the envelope's `subject` (with `subjectPrefix`). */
  subject?: string;
  /** The installation's subject prefix (see `ResourceNames.subjectPrefix`). */
  subjectPrefix?: string;
  /** How long to wait for the stream's acknowledgement (default 5 s). */
  timeoutMs?: number;
  /** Trace context to propagate; the active context by default, else the envelope's traceparent. */
  context?: Context;
}

/**
 * Publishes `envelope` to JetStream and returns the stream's acknowledgement; `duplicate` is true
 * when the same event id was already stored within the duplicate window. Failures are domain
 * errors: UnavailableError (retry later), ForbiddenError, InvalidInputError (too large).
 */
export async function publishEvent(js: JetStreamClient, envelope: DriftlessEvent | Envelope, options: PublishOptions = {}): Promise<PubAck> {
  const subject = options.subject ?? wireSubject(envelope.subject, options.subjectPrefix);
  const body = new TextEncoder().encode(JSON.stringify(envelope));
  const headers = natsHeaders();
  headers.set(EVENT_TYPE_HEADER, envelope.type);
  injectTraceContext(headers, traceContextFor(envelope, options.context));
  try {
    return await js.publish(subject, body, { msgID: envelope.id, headers, timeout: options.timeoutMs ?? 5_000 });
  } catch (err) {
    throw toDomainError(err, `publishing ${envelope.type} ${envelope.id} to ${subject}`);
  }
}

function traceContextFor(envelope: DriftlessEvent | Envelope, explicit: Context | undefined): Context {
  if (explicit) return explicit;
  const active = otelContext.active();
  if (traceIdOf(active) !== undefined) return active;
  const { traceparent, tracestate } = envelope;
  return contextFromTraceParent({
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
  });
}
