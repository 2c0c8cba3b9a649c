/** Minting user credentials inside the DRIFTLESS account. */
import { Algorithms, createUser, encodeUser } from '@nats-io/jwt';
import type { Permissions } from '@nats-io/jwt';
import { InvalidInputError } from '@driftless/contracts';
import { agentPermissions, type AgentPermissionOptions } from './permissions.js';
import { formatCreds } from './operator.js';

export interface MintOptions {
  /** The DRIFTLESS account's seed (signs user JWTs). */
  accountSeed: string;
  name: string;
  permissions: Permissions;
  /** Expiry as seconds since the epoch; none by default (revocation ends a credential). */
  expiresAtS?: number;
  tags?: string[];
}

/** A user JWT for a public key the holder generated; the seed never leaves the holder. */
export async function mintUserJwt(userPublicKey: string, opts: MintOptions): Promise<string> {
  if (!/^U[A-Z2-7]{55}$/.test(userPublicKey)) {
    throw new InvalidInputError('the public key must be a NATS user nkey (56 characters starting with "U")');
  }
  return encodeUser(
    opts.name,
    userPublicKey,
    opts.accountSeed,
    { ...opts.permissions, ...(opts.tags ? { tags: opts.tags } : {}) },
    { algorithm: Algorithms.v2, ...(opts.expiresAtS === undefined ? {} : { exp: opts.expiresAtS }) },
  );
}

/** Credentials for one cluster's agent: only its own desired state, only its own events. */
export async function mintAgentJwt(
  cluster: string,
  userPublicKey: string,
  opts: { accountSeed: string; expiresAtS?: number } & AgentPermissionOptions,
): Promise<string> {
  return mintUserJwt(userPublicKey, {
    accountSeed: opts.accountSeed,
    name: `agent-${cluster}`,
    permissions: agentPermissions(cluster, opts),
    tags: [`cluster:${cluster}`],
    ...(opts.expiresAtS === undefined ? {} : { expiresAtS: opts.expiresAtS }),
  });
}

/** A fresh user key pair and its creds file, for services minted on the control plane side. */
export async function mintUserCreds(opts: MintOptions): Promise<{ publicKey: string; jwt: string; creds: string }> {
  const user = createUser();
  const seed = new TextDecoder().decode(user.getSeed());
  const jwt = await mintUserJwt(user.getPublicKey(), opts);
  return { publicKey: user.getPublicKey(), jwt, creds: formatCreds(jwt, seed) };
}
