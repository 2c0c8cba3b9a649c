/**
 * Decoding a desired-state value from the KV bucket: JSON, contracts' `DesiredStateSchema` (with
 * its option defaults filled in), and a key that matches the value. Anything else is an
 * InvalidDesiredStateError naming every problem: terminal for that revision.
 */
import { Value } from '@sinclair/typebox/value';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { DesiredStateSchema, InvalidInputError, type DesiredState } from '@driftless/contracts';

export class InvalidDesiredStateError extends InvalidInputError {
  override readonly name: string = 'InvalidDesiredStateError';
}

const check = TypeCompiler.Compile(DesiredStateSchema);

export function decodeDesiredState(bytes: Uint8Array, expected: { cluster: string; component: string }): DesiredState {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new InvalidDesiredStateError(`desired state of ${expected.component} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  // Fill option defaults (drift correction on, 50 % prune share) before checking.
  value = Value.Default(DesiredStateSchema, value);
  if (!check.Check(value)) {
    const problems = [...check.Errors(value)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new InvalidDesiredStateError(`desired state of ${expected.component} does not match the schema: ${problems.join('; ')}`);
  }
  if (value.cluster !== expected.cluster || value.component !== expected.component) {
    throw new InvalidDesiredStateError(
      `desired state under key ${expected.cluster}.${expected.component} names ${value.cluster}.${value.component}; refusing to apply another cluster's or component's state`,
    );
  }
  return value;
}
