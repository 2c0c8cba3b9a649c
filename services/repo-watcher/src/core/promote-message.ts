/**
 * The commit message of a promotion: a subject saying what moved where, then trailers naming
 * the promotion and the person who asked. The `Promotion:` trailer is how a retried commit finds
 * the one it already wrote.
 */
import { InvalidInputError, type PromoteRequest } from '@driftless/contracts';
import type { PromotedComponent } from './promote-edits.js';

export const PROMOTION_TRAILER = 'Promotion';

// Line breaks or other control characters in a trailer would let a request write its own trailers.
const hasControlCharacter = (value: string) => [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** Refuses identity and id values that cannot go into a commit header or trailer as they are. */
export function checkMessageFields(request: PromoteRequest): void {
  const fields: [string, string][] = [
    ['promotionId', request.promotionId],
    ['requester.name', request.requester.name],
    ['requester.email', request.requester.email],
  ];
  for (const [name, value] of fields) {
    if (value.trim() === '') throw new InvalidInputError(`${name} is empty`);
    if (hasControlCharacter(value)) throw new InvalidInputError(`${name} contains a line break or another control character`);
    if (name.startsWith('requester.') && /[<>]/.test(value)) throw new InvalidInputError(`${name} contains "<" or ">", which a Git identity cannot hold`);
  }
}

export function promotionMessage(request: PromoteRequest, components: readonly PromotedComponent[], clusters: readonly string[] | undefined): string {
  const subject =
    request.kind === 'rollback'
      ? `rollback ${components.map((c) => `${c.component} to ${c.version}`).join(', ')} on ${request.stage}`
      : `promote ${components.map((c) => `${c.component} ${c.version}`).join(', ')} to ${request.stage}`;
  const label = request.wave === undefined ? 'clusters' : `wave ${request.wave}${request.waves === undefined ? '' : ` of ${request.waves}`}`;
  const scope = clusters === undefined ? '' : ` (${label}: ${clusters.join(', ')})`;
  const trailers = [`${PROMOTION_TRAILER}: ${request.promotionId}`, `Requested-by: ${request.requester.name} <${request.requester.email}>`];
  // A trailer is one line: the reason's own line breaks become spaces.
  const reason = request.reason?.replace(/\s+/g, ' ').trim();
  if (reason) trailers.push(`Reason: ${reason}`);
  return `${subject}${scope}\n\n${trailers.join('\n')}\n`;
}

/** The promotion id in a commit message's `Promotion:` trailer, if it has one. */
export function promotionIdOf(message: string): string | undefined {
  for (const line of message.split('\n').reverse()) {
    if (line.startsWith(`${PROMOTION_TRAILER}: `)) return line.slice(PROMOTION_TRAILER.length + 2).trim();
  }
  return undefined;
}
