/**
 * The operator-mode material the registering service holds, checked as it is read: the account
 * seed must be the account the JWT describes, and each seed must be of the right kind, so a
 * mixed-up file fails at start instead of minting credentials no server accepts.
 */
import { decode, fromSeed } from '@nats-io/jwt';
import type { Account } from '@nats-io/jwt';
import { createUser } from '@nats-io/nkeys';
import { InvalidInputError } from '@driftless/contracts';
import type { OperatorSetup } from './operator.js';

/** What minting agent credentials and revoking them needs. */
export type RegistrationKeys = Pick<OperatorSetup, 'account' | 'operatorSigningKey'>;

export interface RegistrationMaterialText {
  /** The DRIFTLESS account seed (`secrets/account.seed`). */
  accountSeed: string;
  /** The operator signing key seed (`secrets/operator-signing.seed`). */
  operatorSigningSeed: string;
  /** The account JWT, or the `accounts.json` the generator writes (which holds it). */
  accountJwt: string;
}

const SEED_PREFIX = { account: 'SA', operator: 'SO' } as const;

function seedOf(what: string, text: string, kind: keyof typeof SEED_PREFIX): { seed: string; publicKey: string } {
  const seed = text.trim();
  if (!seed.startsWith(SEED_PREFIX[kind])) {
    throw new InvalidInputError(`${what} is not ${kind === 'account' ? 'an account' : 'an operator'} seed (it must start with ${SEED_PREFIX[kind]})`);
  }
  try {
    return { seed, publicKey: fromSeed(new TextEncoder().encode(seed)).getPublicKey() };
  } catch (err) {
    throw new InvalidInputError(`${what} is not a valid nkey seed: ${(err as Error).message}`, { cause: err });
  }
}

/** The account JWT from a bare JWT file or from the generator's `accounts.json`. */
export function accountJwtFromText(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    throw new InvalidInputError(`the account JWT file looks like JSON but is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const jwt = (parsed as { account?: { jwt?: unknown } } | null)?.account?.jwt;
  if (typeof jwt !== 'string') throw new InvalidInputError('the account JSON file has no account.jwt (expected the accounts.json written by `npm run nats:auth`)');
  return jwt.trim();
}

/** Checks the material and returns it in the shape `mintAgentJwt`, `signAccountJwt` and `revokeUsers` take. */
export function registrationKeysFrom(text: RegistrationMaterialText): RegistrationKeys {
  const account = seedOf('the account seed', text.accountSeed, 'account');
  const signing = seedOf('the operator signing key seed', text.operatorSigningSeed, 'operator');
  const jwt = accountJwtFromText(text.accountJwt);
  let claims: ReturnType<typeof decode<Account>>;
  try {
    claims = decode<Account>(jwt);
  } catch (err) {
    throw new InvalidInputError(`the account JWT cannot be decoded: ${(err as Error).message}`, { cause: err });
  }
  if (claims.sub !== account.publicKey) {
    throw new InvalidInputError(`the account seed belongs to ${account.publicKey}, but the account JWT describes ${claims.sub}: they come from different installations`);
  }
  return {
    account: { publicKey: account.publicKey, seed: account.seed, jwt, name: claims.name },
    operatorSigningKey: signing,
  };
}

/** A key pair an agent generates for itself: only the public key ever leaves it. */
export function createUserKeyPair(): { publicKey: string; seed: string } {
  const user = createUser();
  return { publicKey: user.getPublicKey(), seed: new TextDecoder().decode(user.getSeed()) };
}
