/**
 * The narrow interfaces cluster registration, agent enrollment and API-token management need:
 * a Postgres store for registrations and tokens, the NATS operator-mode signer, and an event
 * publisher. The HTTP routes and the registrar only see these.
 */
import type { DriftlessEvent } from '@driftless/contracts';
import type { EnrollmentDecision, EnrollmentOutcome, TokenFacts } from './core/registration.js';
import type { Role } from './core/roles.js';

export type ClusterValue = string | number | boolean;

export interface Registration {
  cluster: string;
  stage: string;
  labels: Record<string, string>;
  values: Record<string, ClusterValue>;
  registeredBy: string;
  registeredAt: Date;
  revokedBy: string | null;
  revokedAt: Date | null;
  revokeReason: string | null;
}

export interface NewBootstrapToken {
  id: string;
  tokenHash: string;
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
}

/** Runs inside the store's transaction, before it commits: a failure undoes the whole step. */
export type BeforeCommit = () => Promise<void>;

export interface EnrollAttempt {
  tokenHash: string;
  publicKey: string;
  remoteAddress: string | null;
  now: Date;
  /** Mints the credential once the token is accepted (inside the transaction). */
  issue(cluster: string): Promise<string>;
}

export type EnrollResult =
  | { isAllowed: true; cluster: string; tokenId: string; jwt: string }
  | (Extract<EnrollmentDecision, { isAllowed: false }> & { cluster: string | null });

export interface RevocationResult {
  registration: Registration;
  /** Public keys revoked by this call (empty when the cluster was already revoked). */
  revokedKeys: string[];
  wasAlreadyRevoked: boolean;
}

export interface EnrollmentRecord {
  id: number;
  attemptedAt: Date;
  outcome: EnrollmentOutcome;
  cluster: string | null;
  tokenId: string | null;
  publicKey: string;
  remoteAddress: string | null;
}

export interface RegistrationStore {
  /**
   * Records a new registration (or replaces a revoked one) with its first bootstrap token, and
   * shows the cluster in the cluster list. ConflictError if the cluster is registered and not revoked.
   */
  register(registration: Registration, token: NewBootstrapToken, beforeCommit: BeforeCommit): Promise<void>;
  /** A further bootstrap token for a registered, unrevoked cluster (e.g. to re-install its agent). */
  addBootstrapToken(cluster: string, token: NewBootstrapToken): Promise<void>;
  /** Decides and records one enrollment attempt, refusal or not, atomically with its effects. */
  enroll(attempt: EnrollAttempt, decide: (facts: TokenFacts | undefined) => EnrollmentDecision): Promise<EnrollResult>;
  /**
   * Marks the cluster, its credentials and unused bootstrap tokens revoked and adds the
   * credentials' keys to the revocation list. NotFoundError if it was never registered.
   */
  revoke(cluster: string, by: string, reason: string | null, now: Date, atSeconds: number): Promise<RevocationResult>;
  /** Runs `fn` with the whole revocation list, one caller at a time across every replica. */
  withRevocations<T>(fn: (revocations: Readonly<Record<string, number>>) => Promise<T>): Promise<T>;
  registration(cluster: string): Promise<Registration | undefined>;
  enrollments(query: { cluster?: string; limit: number; afterId?: number }): Promise<{ items: EnrollmentRecord[]; next: number | null }>;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  role: Role;
  /** Whom promotions by this token are authored as (`<name>@users.driftless` when null). */
  email: string | null;
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export interface ApiTokenAdmin {
  /** A new token; its secret is returned here and never again. ConflictError if an active token has the name. */
  create(name: string, role: Role, createdBy: string, email?: string | null): Promise<ApiTokenInfo & { secret: string }>;
  list(query: { isRevokedIncluded: boolean }): Promise<ApiTokenInfo[]>;
  /** NotFoundError if no token has the id; revoking a revoked token changes nothing. */
  revoke(id: string, revokedBy: string): Promise<ApiTokenInfo>;
}

/** Operator-mode signing: mints agent credentials and pushes the account's revocation list. */
export interface AgentCredentialIssuer {
  mintAgentJwt(cluster: string, publicKey: string): Promise<string>;
  /** Re-signs the account JWT with `revocations` and pushes it to the NATS servers. */
  pushRevocations(revocations: Readonly<Record<string, number>>): Promise<void>;
}

export interface EventPublisher {
  publish(event: DriftlessEvent): Promise<void>;
}
