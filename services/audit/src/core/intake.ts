/**
 * First look at a batch of raw messages: which are valid events, which are duplicates within the
 * batch, and which must go to the dead-letter table — with a reason a person can act on.
 * A message whose payload names another cluster or component than the subject it arrived on is
 * refused: NATS permissions bind an agent to its own subjects, so the subject is the trusted part.
 */
import { decodeJson, subjects, type DriftlessEvent, type PromotionStep } from '@driftless/contracts';

export interface RawMessage {
  subject: string;
  data: Uint8Array;
  /** Position in the stream; identifies a message that has no usable event id. */
  seq: number;
  /** NATS headers; `traceparent` there is used when the envelope has none. */
  headers?: { get(key: string): string } | undefined;
}

export type Intake =
  | { kind: 'event'; index: number; event: DriftlessEvent }
  | { kind: 'duplicate'; index: number; eventId: string }
  | { kind: 'dead'; index: number; eventId: string | null; reason: string };

/** Where an event must have been published, given its payload; null when any subject of its family fits. */
export function expectedSubject(event: DriftlessEvent): string | ((subject: string) => boolean) {
  switch (event.type) {
    case 'driftless.desired.changed.v1':
      return subjects.desired(event.data.cluster, event.data.component, 'changed');
    case 'driftless.desired.removed.v1':
      return subjects.desired(event.data.cluster, event.data.component, 'removed');
    case 'driftless.render.failed.v1':
      return subjects.repo(event.data.repo, 'render-failed');
    case 'driftless.repo.rewritten.v1':
      return subjects.repo(event.data.repo, 'rewritten');
    case 'driftless.agent.applied.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'applied');
    case 'driftless.agent.apply_failed.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'apply-failed');
    case 'driftless.agent.drift_detected.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'drift-detected');
    case 'driftless.agent.drift_corrected.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'drift-corrected');
    case 'driftless.agent.health_changed.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'health-changed');
    case 'driftless.agent.prune_blocked.v1':
      return subjects.agent(event.data.cluster, event.data.component, 'prune-blocked');
    case 'driftless.cluster.registered.v1':
      return subjects.cluster(event.data.cluster, 'registered');
    case 'driftless.cluster.revoked.v1':
      return subjects.cluster(event.data.cluster, 'revoked');
    case 'driftless.cluster.heartbeat.v1':
      return subjects.cluster(event.data.cluster, 'heartbeat');
    case 'driftless.promotion.requested.v1':
    case 'driftless.promotion.approved.v1':
    case 'driftless.promotion.committed.v1':
    case 'driftless.promotion.rejected.v1':
    case 'driftless.promotion.waiting.v1':
    case 'driftless.promotion.halted.v1': {
      // A promotion of several components is published under one of them.
      const step = event.type.split('.')[2] as PromotionStep;
      const allowed = new Set(event.data.components.map((c) => subjects.promotion(c.component, step)));
      return (subject) => allowed.has(subject);
    }
    case 'driftless.change.held.v1':
      return subjects.change(event.data.repo, 'held');
    case 'driftless.change.approved.v1':
      return subjects.change(event.data.repo, 'approved');
    case 'driftless.change.released.v1':
      return subjects.change(event.data.repo, 'released');
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text Postgres cannot store as sent, or null: U+0000 (refused in text and jsonb, so such an event
 * would block the batch forever) and a lone UTF-16 surrogate (`"\ud800"` in the JSON; jsonb refuses
 * it, and a text column would silently get U+FFFD, so the row would no longer match its hash).
 */
function unstorable(value: unknown): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? 'a U+0000 character' : LONE_SURROGATE.test(value) ? 'a lone UTF-16 surrogate (not valid Unicode)' : null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = unstorable(item);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const found = unstorable(key) ?? unstorable(record[key]);
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * Whether the JSON text has a `\u` escape. Only an escape can put U+0000 or a lone surrogate into
 * a parsed value (a raw control character is not valid JSON, and the UTF-8 decoder turns encoded
 * surrogates into U+FFFD), so without one the walk through the value can be skipped.
 */
function hasUnicodeEscape(data: Uint8Array): boolean {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes('\\u');
}

function idOf(data: Uint8Array): string | null {
  try {
    const value = JSON.parse(new TextDecoder().decode(data)) as unknown;
    const id = (value as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 && id.length <= 256 && !id.includes('\u0000') ? id : null;
  } catch {
    return null;
  }
}

/** Sorts a batch into events to record, in-batch duplicates to ack, and dead letters. */
export function sortBatch(messages: readonly RawMessage[]): Intake[] {
  const seen = new Set<string>();
  return messages.map((msg, index): Intake => {
    let event: DriftlessEvent;
    try {
      event = decodeJson(msg.data);
    } catch (err) {
      return { kind: 'dead', index, eventId: idOf(msg.data), reason: (err as Error).message };
    }
    const bad = hasUnicodeEscape(msg.data) ? unstorable(event) : null;
    if (bad !== null) return { kind: 'dead', index, eventId: unstorable(event.id) === null ? event.id : null, reason: `event contains ${bad}, which cannot be stored` };
    let expected: ReturnType<typeof expectedSubject>;
    try {
      expected = expectedSubject(event);
    } catch (err) {
      return { kind: 'dead', index, eventId: event.id, reason: (err as Error).message };
    }
    const fits = typeof expected === 'string' ? expected === msg.subject : expected(msg.subject);
    if (!fits) {
      const where = typeof expected === 'string' ? ` (its payload belongs on "${expected}")` : '';
      return { kind: 'dead', index, eventId: event.id, reason: `${event.type} arrived on subject "${msg.subject}"${where}` };
    }
    if (seen.has(event.id)) return { kind: 'duplicate', index, eventId: event.id };
    seen.add(event.id);
    const traceparent = msg.headers?.get('traceparent');
    if (event.traceparent === undefined && traceparent) return { kind: 'event', index, event: { ...event, traceparent } };
    return { kind: 'event', index, event };
  });
}
