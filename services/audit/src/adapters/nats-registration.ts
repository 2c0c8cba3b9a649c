/**
 * The NATS side of registration: reads the operator-mode material from the files
 * `npm run nats:auth` writes, mints agent credentials with it, pushes the re-signed account
 * JWT through a system-account connection, and publishes lifecycle events to JetStream.
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError, type DriftlessEvent } from '@driftless/contracts';
import { publishEvent } from '@driftless/nats';
import {
  mintAgentJwt,
  pushAccountJwt,
  registrationKeysFrom,
  signAccountJwt,
  type AgentPermissionOptions,
  type RegistrationKeys,
  type Requester,
} from '@driftless/nats-auth';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { AgentCredentialIssuer, EventPublisher } from '../registration-ports.js';

export interface OperatorMaterialFiles {
  accountSeedFile: string;
  operatorSigningSeedFile: string;
  accountJwtFile: string;
}

async function readText(what: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InvalidInputError(`cannot read ${what} from ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads and cross-checks the seeds and the account JWT; the error names the file at fault. */
export async function readRegistrationKeys(files: OperatorMaterialFiles): Promise<RegistrationKeys> {
  const [accountSeed, operatorSigningSeed, accountJwt] = await Promise.all([
    readText('the account seed', files.accountSeedFile),
    readText('the operator signing key seed', files.operatorSigningSeedFile),
    readText('the account JWT', files.accountJwtFile),
  ]);
  try {
    return registrationKeysFrom({ accountSeed, operatorSigningSeed, accountJwt });
  } catch (err) {
    throw new InvalidInputError(
      `the NATS operator material (${files.accountSeedFile}, ${files.operatorSigningSeedFile}, ${files.accountJwtFile}) is not usable: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

export class NatsCredentialIssuer implements AgentCredentialIssuer {
  constructor(
    private readonly keys: RegistrationKeys,
    /** A connection as a system-account user: the only kind the servers take account updates from. */
    private readonly system: Requester,
    private readonly permissions: AgentPermissionOptions = {},
  ) {}

  mintAgentJwt(cluster: string, publicKey: string): Promise<string> {
    return mintAgentJwt(cluster, publicKey, { accountSeed: this.keys.account.seed, ...this.permissions });
  }

  async pushRevocations(revocations: Readonly<Record<string, number>>): Promise<void> {
    const { jwt } = await signAccountJwt(this.keys, revocations);
    await pushAccountJwt(this.system, jwt);
  }
}

export class JetStreamEventPublisher implements EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix = '',
  ) {}

  async publish(event: DriftlessEvent): Promise<void> {
    await publishEvent(this.js, event, { subjectPrefix: this.subjectPrefix });
  }
}
