/** Turning a JetStream message back into a typed event plus the trace context it travelled with. */
import { decodeJson, type DriftlessEvent, type EventType } from '@driftless/contracts';
import { contextFromTraceParent, extractTraceContext, traceIdOf } from '@driftless/telemetry';
import type { Context } from '@opentelemetry/api';
import type { MsgHdrs } from '@nats-io/transport-node';

export interface DecodedEvent {
  event: DriftlessEvent;
  /** From the message headers, else from the envelope's traceparent, else the root context. */
  traceContext: Context;
}

/** The parts of a NATS message decoding needs (a JsMsg, a Msg or a StoredMsg all fit). */
export interface EventMessage {
  data: Uint8Array;
  headers?: MsgHdrs | undefined;
}

/**
 * Decodes a message body as a Driftless event. Throws the contracts' EventValidationError (an
 * InvalidInputError) for malformed JSON, an unknown type or a bad payload: such a message will
 * never decode, so consumers answer it with `term`.
 */
export function decodeEventMessage(msg: EventMessage, expectedType?: EventType): DecodedEvent {
  const event = decodeJson(msg.data, expectedType);
  const fromHeaders = extractTraceContext(msg.headers);
  if (traceIdOf(fromHeaders) !== undefined) return { event, traceContext: fromHeaders };
  const { traceparent, tracestate } = event;
  return {
    event,
    traceContext: contextFromTraceParent({
      ...(traceparent === undefined ? {} : { traceparent }),
      ...(tracestate === undefined ? {} : { tracestate }),
    }),
  };
}
