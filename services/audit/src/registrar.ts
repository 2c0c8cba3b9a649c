/**
 * Cluster registration, agent enrollment and revocation as steps over the ports: the Postgres
 * store keeps the facts, the NATS issuer signs, the publisher tells the ledger. Without the
 * operator-mode material every step answers that registration is not configured.
 */
import { createHash, randomBytes } from 'node:crypto';
import { deterministicId, ForbiddenError, makeEvent, subjects, UnavailableError } from '@driftless/contracts';
import { agentInboxPrefix } from '@driftless/nats-auth';
import type { Logger } from '@driftless/telemetry';
import {
  actorOf,
  bootstrapExpiry,
  checkClusterAttributes,
  decideEnrollment,
  helmInstallCommand,
  revocationSeconds,
  type EnrollmentRefusal,
} from './core/registration.js';
import type { AgentCredentialIssuer, ClusterValue, EventPublisher, NewBootstrapToken, Registration, RegistrationStore } from './registration-ports.js';

export const EVENT_SOURCE = 'audit/registration';

/** Registration needs NATS operator mode; this says so as a 503 problem. */
export class OperatorModeOffError extends UnavailableError {
  override readonly name: string = 'OperatorModeOffError';
  constructor() {
    super(
      'NATS operator mode is not configured (no-auth development mode): cluster registration, enrollment and revocation need DRIFTLESS_NATS_ACCOUNT_SEED_FILE, DRIFTLESS_NATS_OPERATOR_SIGNING_SEED_FILE, DRIFTLESS_NATS_ACCOUNT_JWT_FILE and DRIFTLESS_NATS_SYSTEM_CREDS_FILE (see docs/security.md)',
    );
  }
}

/** An enrollment was refused; `refusal` says why (and is what the enrollment log records). */
export class EnrollmentRefusedError extends ForbiddenError {
  override readonly name: string = 'EnrollmentRefusedError';
  constructor(
    readonly refusal: EnrollmentRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface AgentSettings {
  /** NATS URLs as the agents reach them. */
  natsUrls: readonly string[];
  /** Chart reference for the install command. */
  chart: string;
  /** The installation's event subject prefix (empty when none). */
  subjectPrefix: string;
  defaultTtlS: number;
}

export interface RegistrarDeps {
  store: RegistrationStore;
  /** Undefined in no-auth development mode. */
  issuer: AgentCredentialIssuer | undefined;
  events: EventPublisher;
  agent: AgentSettings;
  now?: () => Date;
  log?: Logger;
}

export interface Caller {
  principal: { name: string } | undefined;
  /** The audit API as the agent will reach it (for the install command). */
  apiUrl: string;
}

export interface IssuedBootstrapToken {
  id: string;
  token: string;
  expiresAt: Date;
  helmInstallCommand: string;
}

export interface EnrolledAgent {
  cluster: string;
  jwt: string;
  inboxPrefix: string;
  natsUrls: string[];
  subjectPrefix: string;
}

function newBootstrapToken(by: string, now: Date, ttlS: number): { secret: string; record: NewBootstrapToken } {
  const secret = `dlb_${randomBytes(32).toString('base64url')}`;
  return {
    secret,
    record: { id: `bt_${randomBytes(6).toString('hex')}`, tokenHash: hashBootstrapToken(secret), createdBy: by, createdAt: now, expiresAt: bootstrapExpiry(now, ttlS) },
  };
}

/** Tokens are random 256-bit values, so an unsalted sha256 is enough (nothing to guess from). */
export function hashBootstrapToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class Registrar {
  private readonly now: () => Date;

  constructor(private readonly deps: RegistrarDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  get isOperatorMode(): boolean {
    return this.deps.issuer !== undefined;
  }

  private issuer(): AgentCredentialIssuer {
    if (!this.deps.issuer) throw new OperatorModeOffError();
    return this.deps.issuer;
  }

  /** Registers a cluster and returns its first bootstrap token (the only time it is visible). */
  async register(
    input: { name: string; stage: string; labels: Record<string, string>; values: Record<string, ClusterValue>; ttlSeconds?: number },
    caller: Caller,
  ): Promise<{ registration: Registration; bootstrapToken: IssuedBootstrapToken }> {
    this.issuer();
    checkClusterAttributes(input.labels, input.values);
    const now = this.now();
    const actor = actorOf(caller.principal);
    const { secret, record } = newBootstrapToken(actor, now, input.ttlSeconds ?? this.deps.agent.defaultTtlS);
    const registration: Registration = {
      cluster: input.name,
      stage: input.stage,
      labels: input.labels,
      values: input.values,
      registeredBy: actor,
      registeredAt: now,
      revokedBy: null,
      revokedAt: null,
      revokeReason: null,
    };
    const event = makeEvent({
      type: 'driftless.cluster.registered.v1',
      source: EVENT_SOURCE,
      subject: subjects.cluster(input.name, 'registered'),
      time: now,
      id: deterministicId('driftless.cluster.registered.v1', input.name, now.toISOString()),
      data: { cluster: input.name, stage: input.stage, labels: input.labels, actor },
    });
    // Published before the registration commits: a cluster is never registered without its ledger entry.
    await this.deps.store.register(registration, record, () => this.deps.events.publish(event));
    this.deps.log?.info({ cluster: input.name, stage: input.stage, actor, tokenId: record.id, expiresAt: record.expiresAt.toISOString() }, 'cluster registered');
    return { registration, bootstrapToken: this.present(input.name, secret, record, caller) };
  }

  /** A new one-time bootstrap token for a registered cluster, e.g. to install its agent again. */
  async issueBootstrapToken(cluster: string, ttlSeconds: number | undefined, caller: Caller): Promise<IssuedBootstrapToken> {
    this.issuer();
    const actor = actorOf(caller.principal);
    const { secret, record } = newBootstrapToken(actor, this.now(), ttlSeconds ?? this.deps.agent.defaultTtlS);
    await this.deps.store.addBootstrapToken(cluster, record);
    this.deps.log?.info({ cluster, actor, tokenId: record.id, expiresAt: record.expiresAt.toISOString() }, 'bootstrap token issued');
    return this.present(cluster, secret, record, caller);
  }

  private present(cluster: string, secret: string, record: NewBootstrapToken, caller: Caller): IssuedBootstrapToken {
    return {
      id: record.id,
      token: secret,
      expiresAt: record.expiresAt,
      helmInstallCommand: helmInstallCommand({ cluster, chart: this.deps.agent.chart, natsUrls: this.deps.agent.natsUrls, apiUrl: caller.apiUrl, bootstrapToken: secret }),
    };
  }

  /** Trades a bootstrap token and the agent's public key for the agent's NATS credentials. */
  async enroll(input: { bootstrapToken: string; publicKey: string; remoteAddress: string | null }): Promise<EnrolledAgent> {
    const issuer = this.issuer();
    const now = this.now();
    const result = await this.deps.store.enroll(
      {
        tokenHash: hashBootstrapToken(input.bootstrapToken),
        publicKey: input.publicKey,
        remoteAddress: input.remoteAddress,
        now,
        issue: (cluster) => issuer.mintAgentJwt(cluster, input.publicKey),
      },
      (facts) => decideEnrollment(facts, now),
    );
    if (!result.isAllowed) {
      this.deps.log?.warn({ cluster: result.cluster, refusal: result.refusal, remoteAddress: input.remoteAddress }, 'enrollment refused');
      throw new EnrollmentRefusedError(result.refusal, result.message);
    }
    this.deps.log?.info({ cluster: result.cluster, tokenId: result.tokenId, publicKey: input.publicKey }, 'agent enrolled');
    return {
      cluster: result.cluster,
      jwt: result.jwt,
      inboxPrefix: agentInboxPrefix(result.cluster),
      natsUrls: [...this.deps.agent.natsUrls],
      subjectPrefix: this.deps.agent.subjectPrefix,
    };
  }

  /**
   * Revokes a cluster: every credential issued for it stops working. Safe to repeat: a second
   * call pushes the revocation list and publishes the event again (both idempotent), which is
   * how a revocation whose push failed is completed.
   */
  async revoke(cluster: string, reason: string | null, caller: Caller): Promise<{ registration: Registration; revokedCredentials: number; wasAlreadyRevoked: boolean }> {
    const issuer = this.issuer();
    const now = this.now();
    const actor = actorOf(caller.principal);
    // Recorded first, so the revocation is never lost even if NATS is unreachable right now.
    const result = await this.deps.store.revoke(cluster, actor, reason, now, revocationSeconds(now));
    const revokedAt = result.registration.revokedAt ?? now;
    try {
      await this.pushRevocations(issuer);
    } catch (err) {
      throw new UnavailableError(
        `cluster "${cluster}" is revoked in the database, but pushing the revocation to NATS failed (${(err as Error).message}); run the revocation again to push it`,
        { cause: err },
      );
    }
    const event = makeEvent({
      type: 'driftless.cluster.revoked.v1',
      source: EVENT_SOURCE,
      subject: subjects.cluster(cluster, 'revoked'),
      time: revokedAt,
      id: deterministicId('driftless.cluster.revoked.v1', cluster, revokedAt.toISOString()),
      data: { cluster, actor: result.registration.revokedBy ?? actor, ...(result.registration.revokeReason === null ? {} : { reason: result.registration.revokeReason }) },
    });
    try {
      await this.deps.events.publish(event);
    } catch (err) {
      throw new UnavailableError(
        `cluster "${cluster}" is revoked and its credentials no longer work, but the revocation could not be published to the audit log (${(err as Error).message}); run the revocation again to publish it`,
        { cause: err },
      );
    }
    this.deps.log?.info({ cluster, actor, revokedCredentials: result.revokedKeys.length, wasAlreadyRevoked: result.wasAlreadyRevoked }, 'cluster revoked');
    return { registration: result.registration, revokedCredentials: result.revokedKeys.length, wasAlreadyRevoked: result.wasAlreadyRevoked };
  }

  private pushRevocations(issuer: AgentCredentialIssuer): Promise<void> {
    return this.deps.store.withRevocations((revocations) => issuer.pushRevocations(revocations));
  }

  /**
   * Pushes the stored revocation list at start: a NATS server that came back from its preloaded
   * configuration would otherwise accept revoked agents again until the next revocation.
   */
  async pushStoredRevocations(): Promise<number> {
    if (!this.deps.issuer) return 0;
    const issuer = this.deps.issuer;
    return this.deps.store.withRevocations(async (revocations) => {
      const count = Object.keys(revocations).length;
      if (count > 0) await issuer.pushRevocations(revocations);
      return count;
    });
  }

  enrollments(query: { cluster?: string; limit: number; afterId?: number }) {
    return this.deps.store.enrollments(query);
  }
}
