/** What a handler decides for a message: the nats.js ack discipline as a value. */

export type Outcome =
  /** Done; never deliver again. */
  | { kind: 'ack' }
  /** Not now; deliver again after `delayMs`. */
  | { kind: 'nak'; delayMs: number }
  /** Never deliverable (e.g. it does not decode); drop it and log `reason`. */
  | { kind: 'term'; reason: string };

export type OutcomeKind = Outcome['kind'];

export const Outcome = {
  ack: (): Outcome => ({ kind: 'ack' }),
  nak: (delayMs = 0): Outcome => ({ kind: 'nak', delayMs: Math.max(0, Math.round(delayMs)) }),
  term: (reason: string): Outcome => ({ kind: 'term', reason }),
} as const;
