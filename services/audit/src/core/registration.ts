/**
 * The rules of cluster registration and agent enrollment, free of I/O: how long a bootstrap
 * token lives, whether a presented token may be traded for credentials, who the caller is in
 * the audit log, and the exact `helm install` command for the agent chart.
 */
import { InvalidInputError } from '@driftless/contracts';

/** A bootstrap token is short-lived: an hour unless the caller asks for something else. */
export const DEFAULT_BOOTSTRAP_TTL_S = 3600;
export const MIN_BOOTSTRAP_TTL_S = 60;
/** A week at most: a token still lying around after that is more likely leaked than needed. */
export const MAX_BOOTSTRAP_TTL_S = 7 * 24 * 3600;

/** Why an enrollment was refused (also the `outcome` stored for each attempt). */
export const EnrollmentRefusal = {
  unknownToken: 'unknown_token',
  usedToken: 'used_token',
  expiredToken: 'expired_token',
  voidedToken: 'voided_token',
  revokedCluster: 'revoked_cluster',
} as const;
export type EnrollmentRefusal = (typeof EnrollmentRefusal)[keyof typeof EnrollmentRefusal];

export const ENROLLED = 'enrolled' as const;
export type EnrollmentOutcome = typeof ENROLLED | EnrollmentRefusal;

/** What enrollment needs to know about a presented token. */
export interface TokenFacts {
  cluster: string;
  expiresAt: Date;
  usedAt: Date | null;
  voidedAt: Date | null;
  clusterRevokedAt: Date | null;
}

export type EnrollmentDecision = { isAllowed: true } | { isAllowed: false; refusal: EnrollmentRefusal; message: string };

/** Whether `token` (undefined when no token has that hash) may be traded for credentials at `now`. */
export function decideEnrollment(token: TokenFacts | undefined, now: Date): EnrollmentDecision {
  if (!token) return refuse(EnrollmentRefusal.unknownToken, 'the bootstrap token is not valid');
  // Order matters: a revoked cluster says more than "token used", and "used" more than "expired".
  if (token.clusterRevokedAt !== null) {
    return refuse(EnrollmentRefusal.revokedCluster, `cluster "${token.cluster}" was revoked at ${token.clusterRevokedAt.toISOString()}; register it again to enroll an agent`);
  }
  if (token.usedAt !== null) {
    return refuse(
      EnrollmentRefusal.usedToken,
      `the bootstrap token of cluster "${token.cluster}" was already used at ${token.usedAt.toISOString()}; a bootstrap token works once (ask an admin for a new one)`,
    );
  }
  if (token.voidedAt !== null) {
    return refuse(EnrollmentRefusal.voidedToken, `the bootstrap token of cluster "${token.cluster}" was withdrawn at ${token.voidedAt.toISOString()}`);
  }
  if (token.expiresAt.getTime() <= now.getTime()) {
    return refuse(
      EnrollmentRefusal.expiredToken,
      `the bootstrap token of cluster "${token.cluster}" expired at ${token.expiresAt.toISOString()} (ask an admin for a new one)`,
    );
  }
  return { isAllowed: true };
}

function refuse(refusal: EnrollmentRefusal, message: string): EnrollmentDecision {
  return { isAllowed: false, refusal, message };
}

/** When a token issued at `now` with `ttlS` seconds to live expires; refuses a TTL out of bounds. */
export function bootstrapExpiry(now: Date, ttlS: number = DEFAULT_BOOTSTRAP_TTL_S): Date {
  if (!Number.isInteger(ttlS) || ttlS < MIN_BOOTSTRAP_TTL_S || ttlS > MAX_BOOTSTRAP_TTL_S) {
    throw new InvalidInputError(`ttlSeconds must be a whole number from ${MIN_BOOTSTRAP_TTL_S} to ${MAX_BOOTSTRAP_TTL_S} (one week), got ${ttlS}`);
  }
  return new Date(now.getTime() + ttlS * 1000);
}

/** The caller as the audit log names it: the API token's name (token names are unique among active tokens). */
export function actorOf(principal: { name: string } | undefined): string {
  return principal ? `token:${principal.name}` : 'anonymous';
}

/** Revocation time in the account JWT: users whose JWT was issued at or before it are refused. */
export function revocationSeconds(now: Date): number {
  return Math.floor(now.getTime() / 1000);
}

/** Label keys and values as Kubernetes allows them, so a label can be used as a selector anywhere. */
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const VALUE_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks labels and values, listing every problem; returns nothing when they are fine. */
export function checkClusterAttributes(labels: Readonly<Record<string, string>>, values: Readonly<Record<string, unknown>>): void {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    if (!LABEL_KEY.test(key) || name.length > 63 || key.length > 316) problems.push(`label key ${JSON.stringify(key)} is not a valid label key (letters, digits, '-', '_', '.', at most 63 characters, optional DNS prefix and '/')`);
    if (!LABEL_VALUE.test(value) || value.length > 63) problems.push(`label ${key}=${JSON.stringify(value)}: the value must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
  }
  for (const key of Object.keys(values)) {
    if (!VALUE_KEY.test(key)) problems.push(`value key ${JSON.stringify(key)} must be an identifier (letters, digits and '_', not starting with a digit), as \${values.${key}} uses it`);
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '));
}

export interface HelmInstallOptions {
  cluster: string;
  chart: string;
  natsUrls: readonly string[];
  /** Where the agent enrolls (the audit API as the agent reaches it). */
  apiUrl: string;
  bootstrapToken: string;
  namespace?: string;
  release?: string;
}

/** Escapes a `--set` value: helm splits on ',' and treats '\' specially. */
export function helmSetValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/** Quotes a word for a POSIX shell when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** The exact command that installs the agent chart for a newly registered cluster. */
export function helmInstallCommand(o: HelmInstallOptions): string {
  const set = (key: string, value: string) => `--set ${shellQuote(`${key}=${helmSetValue(value)}`)}`;
  return [
    `helm install ${shellQuote(o.release ?? 'driftless-agent')} ${shellQuote(o.chart)}`,
    `-n ${shellQuote(o.namespace ?? 'driftless-system')} --create-namespace`,
    set('cluster', o.cluster),
    set('nats.url', o.natsUrls.join(',')),
    set('enrollment.apiUrl', o.apiUrl),
    set('enrollment.bootstrapToken', o.bootstrapToken),
  ].join(' \\\n  ');
}
