/** Names that become NATS subject tokens and KV keys must be DNS labels, so they can never inject `.`, `*` or `>`. */

import { InvalidInputError } from './errors.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MAX_DNS_LABEL_LENGTH = 63;

export class InvalidNameError extends InvalidInputError {
  override readonly name: string = 'InvalidNameError';
  constructor(
    readonly what: string,
    readonly value: unknown,
  ) {
    super(
      `${what} ${JSON.stringify(value)} is not a DNS label: use 1-${MAX_DNS_LABEL_LENGTH} lowercase letters, digits or '-', starting and ending with a letter or digit (e.g. "prod-eu")`,
    );
  }
}

export function isDnsLabel(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_DNS_LABEL_LENGTH && DNS_LABEL.test(value);
}

/** Returns the value if it is a DNS label, otherwise throws an InvalidNameError naming `what` it is. */
export function assertDnsLabel(what: string, value: unknown): string {
  if (!isDnsLabel(value)) throw new InvalidNameError(what, value);
  return value;
}
