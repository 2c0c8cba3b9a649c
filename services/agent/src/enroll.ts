/**
 * Enrollment: an agent that has no NATS credentials yet but holds a bootstrap token generates
 * its own key pair, trades the token and the public key for a user JWT at the Driftless API, and
 * writes the creds file (JWT + seed, mode 0600). The seed never leaves this process's disk.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ForbiddenError, InvalidInputError, UnavailableError } from '@driftless/contracts';
import { createUserKeyPair, formatCreds } from '@driftless/nats-auth';
import type { Logger } from '@driftless/telemetry';

export interface EnrollOptions {
  cluster: string;
  /** The Driftless API, e.g. https://driftless.example.com. */
  apiUrl: string;
  bootstrapTokenFile: string;
  /** Where the creds file is written; must be writable. */
  credsFile: string;
  log?: Logger;
  /** Attempts while the API is unreachable or failing (default: until it answers). */
  maxAttempts?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface Enrolled {
  credsFile: string;
  inboxPrefix: string;
}

/** The API refused the bootstrap token (used, expired, unknown, revoked cluster): retrying will not help. */
export class EnrollmentRefusedError extends ForbiddenError {
  override readonly name: string = 'EnrollmentRefusedError';
}

interface EnrollResponse {
  cluster: string;
  jwt: string;
  inboxPrefix: string;
}

/** What to do at start: use existing credentials, enroll, or neither (other NATS auth, or none). */
export type CredentialPlan = { kind: 'existing'; credsFile: string } | { kind: 'enroll'; options: Omit<EnrollOptions, 'log' | 'signal'> } | { kind: 'none' };

export function planCredentials(config: {
  cluster: string;
  natsCredsFile: string | undefined;
  apiUrl: string | undefined;
  bootstrapTokenFile: string;
}): CredentialPlan {
  if (config.natsCredsFile !== undefined && existsSync(config.natsCredsFile)) return { kind: 'existing', credsFile: config.natsCredsFile };
  if (!existsSync(config.bootstrapTokenFile)) {
    if (config.natsCredsFile !== undefined) {
      throw new InvalidInputError(
        `the NATS credentials file ${config.natsCredsFile} does not exist and there is no bootstrap token at ${config.bootstrapTokenFile} to enroll with: install the agent with the token from \`driftless cluster add\` (or \`driftless cluster token\`)`,
      );
    }
    return { kind: 'none' };
  }
  const missing = [
    ...(config.apiUrl === undefined ? ['DRIFTLESS_API_URL (the Driftless API to enroll at)'] : []),
    ...(config.natsCredsFile === undefined ? ['DRIFTLESS_NATS_CREDS_FILE (a writable path for the enrolled credentials)'] : []),
  ];
  if (missing.length > 0 || config.apiUrl === undefined || config.natsCredsFile === undefined) {
    throw new InvalidInputError(`a bootstrap token is at ${config.bootstrapTokenFile}, but enrolling also needs ${missing.join(' and ')}`);
  }
  return { kind: 'enroll', options: { cluster: config.cluster, apiUrl: config.apiUrl, bootstrapTokenFile: config.bootstrapTokenFile, credsFile: config.natsCredsFile } };
}

async function readToken(path: string): Promise<string> {
  let token: string;
  try {
    token = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    throw new InvalidInputError(`cannot read the bootstrap token at ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (token.length < 16) throw new InvalidInputError(`the bootstrap token at ${path} is empty or too short to be one`);
  return token;
}

function detailOf(text: string, status: number): string {
  try {
    const problem = JSON.parse(text) as { detail?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
  } catch {
    // Not a problem document.
  }
  return text.trim().slice(0, 200) || `HTTP ${status}`;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** One enrollment request; UnavailableError means "try again", anything else is final. */
async function requestCredentials(o: EnrollOptions, token: string, publicKey: string): Promise<EnrollResponse> {
  const url = `${o.apiUrl.replace(/\/+$/, '')}/v1/agents/enroll`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ bootstrapToken: token, publicKey }),
      signal: AbortSignal.timeout(o.requestTimeoutMs ?? 30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    throw new UnavailableError(`cannot reach the Driftless API at ${url}: ${cause instanceof Error ? cause.message : (err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  if (res.status === 403 || res.status === 401) throw new EnrollmentRefusedError(`the Driftless API refused enrollment: ${detailOf(text, res.status)}`);
  if (res.status >= 500 || res.status === 429) throw new UnavailableError(`the Driftless API at ${url} answered ${res.status}: ${detailOf(text, res.status)}`);
  if (!res.ok) throw new InvalidInputError(`the Driftless API at ${url} rejected the enrollment request (${res.status}): ${detailOf(text, res.status)}`);
  const body = JSON.parse(text) as Partial<EnrollResponse>;
  if (typeof body.jwt !== 'string' || typeof body.cluster !== 'string' || typeof body.inboxPrefix !== 'string') {
    throw new InvalidInputError(`the answer of ${url} is not an enrollment (no jwt, cluster or inboxPrefix); is DRIFTLESS_API_URL the Driftless API?`);
  }
  return body as EnrollResponse;
}

/** Enrolls and writes the creds file; retries while the API is unreachable, never after a refusal. */
export async function enroll(o: EnrollOptions): Promise<Enrolled> {
  const token = await readToken(o.bootstrapTokenFile);
  // A fresh key per attempt: a credential is only ever issued for a key that was presented once.
  const maxAttempts = o.maxAttempts ?? Number.POSITIVE_INFINITY;
  for (let attempt = 1; ; attempt++) {
    const keys = createUserKeyPair();
    try {
      const res = await requestCredentials(o, token, keys.publicKey);
      if (res.cluster !== o.cluster) {
        throw new EnrollmentRefusedError(
          `the bootstrap token belongs to cluster "${res.cluster}", but this agent is configured for cluster "${o.cluster}" (DRIFTLESS_CLUSTER); the token is now used: issue a new one for the right cluster`,
        );
      }
      await mkdir(dirname(o.credsFile), { recursive: true, mode: 0o700 });
      await writeFile(o.credsFile, formatCreds(res.jwt, keys.seed), { mode: 0o600 });
      o.log?.info({ credsFile: o.credsFile, publicKey: keys.publicKey }, 'enrolled: NATS credentials written');
      return { credsFile: o.credsFile, inboxPrefix: res.inboxPrefix };
    } catch (err) {
      if (!(err instanceof UnavailableError) || attempt >= maxAttempts || o.signal?.aborted) throw err;
      const delayMs = Math.min(o.maxBackoffMs ?? 60_000, 500 * 2 ** Math.min(attempt - 1, 10));
      o.log?.warn({ attempt, delayMs, reason: err.message }, 'enrollment failed, retrying');
      await sleep(delayMs, o.signal);
    }
  }
}
