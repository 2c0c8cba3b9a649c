/**
 * W3C trace context through NATS message headers and the event envelope. The W3C propagator is
 * used directly rather than the global one, so context flows even when no SDK was started
 * (tests, tools) or the exporter is switched off.
 */
import {
  ROOT_CONTEXT,
  context as contextApi,
  trace,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/** Anything headers can be written to: NATS `MsgHdrs`, a Map adapter, a plain object wrapper. */
export interface HeaderSetter {
  set(key: string, value: string): void;
}
/** Anything headers can be read from; NATS `MsgHdrs.get` returns '' for a missing key. */
export interface HeaderGetter {
  get(key: string): string | undefined;
}

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

export const w3cPropagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

const setter: TextMapSetter<HeaderSetter> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const KNOWN_KEYS = [TRACEPARENT, TRACESTATE, 'baggage'];
const getter: TextMapGetter<HeaderGetter> = {
  keys: () => KNOWN_KEYS,
  get: (carrier, key) => {
    const value = carrier.get(key);
    return value === undefined || value === '' ? undefined : value;
  },
};

/** Writes the trace context of `ctx` (the active context by default) into `headers`. */
export function injectTraceContext(headers: HeaderSetter, ctx: Context = contextApi.active()): void {
  w3cPropagator.inject(ctx, headers, setter);
}

/** Reads a trace context from `headers`; without headers or a valid traceparent it returns the root context. */
export function extractTraceContext(headers: HeaderGetter | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!headers) return base;
  return w3cPropagator.extract(base, headers, getter);
}

export interface TraceParent {
  traceparent?: string;
  tracestate?: string;
}

/** The `traceparent`/`tracestate` strings of `ctx` (the active context by default), as the envelope carries them. */
export function currentTraceParent(ctx: Context = contextApi.active()): TraceParent {
  const fields = new Map<string, string>();
  injectTraceContext({ set: (k, v) => fields.set(k, v) }, ctx);
  const traceparent = fields.get(TRACEPARENT);
  const tracestate = fields.get(TRACESTATE);
  return {
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
  };
}

/** The context an envelope's `traceparent`/`tracestate` describe (root if absent or malformed). */
export function contextFromTraceParent(parent: TraceParent, base: Context = ROOT_CONTEXT): Context {
  const fields = new Map<string, string>();
  if (parent.traceparent !== undefined) fields.set(TRACEPARENT, parent.traceparent);
  if (parent.tracestate !== undefined) fields.set(TRACESTATE, parent.tracestate);
  return extractTraceContext({ get: (k) => fields.get(k) }, base);
}

/** The trace id carried by `ctx`, or undefined when it carries none. */
export function traceIdOf(ctx: Context): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
