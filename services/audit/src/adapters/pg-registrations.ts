/**
 * Registrations, bootstrap tokens, issued agent credentials, the account's revocation list and
 * the enrollment log in Postgres. Each step is one transaction; row locks order a revocation
 * and an enrollment of the same cluster, and an advisory lock orders account re-signing across
 * every audit replica, so a later push can never drop an earlier revocation.
 */
import { ConflictError, NotFoundError } from '@driftless/contracts';
import { mapPgError, type Sql } from '@driftless/db';
import type { TransactionSql } from 'postgres';
import { ENROLLED, type EnrollmentDecision, type EnrollmentOutcome, type TokenFacts } from '../core/registration.js';
import type {
  BeforeCommit,
  ClusterValue,
  EnrollAttempt,
  EnrollmentRecord,
  EnrollResult,
  NewBootstrapToken,
  Registration,
  RegistrationStore,
  RevocationResult,
} from '../registration-ports.js';

/** Advisory lock key of account re-signing (any constant unique to this purpose). */
export const REVOCATIONS_LOCK_KEY = 0x6e61747372n; // "natsr"

interface RegistrationRow {
  cluster: string;
  stage: string;
  labels: Record<string, string>;
  cluster_values: Record<string, ClusterValue>;
  registered_by: string;
  registered_at: Date;
  revoked_by: string | null;
  revoked_at: Date | null;
  revoke_reason: string | null;
}

function toRegistration(row: RegistrationRow): Registration {
  return {
    cluster: row.cluster,
    stage: row.stage,
    labels: row.labels,
    values: row.cluster_values,
    registeredBy: row.registered_by,
    registeredAt: row.registered_at,
    revokedBy: row.revoked_by,
    revokedAt: row.revoked_at,
    revokeReason: row.revoke_reason,
  };
}

export class PgRegistrationStore implements RegistrationStore {
  constructor(private readonly sql: Sql) {}

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw mapPgError(err);
    }
  }

  register(r: Registration, token: NewBootstrapToken, beforeCommit: BeforeCommit): Promise<void> {
    return this.run(() =>
      this.sql.begin(async (tx) => {
        const [existing] = await tx<{ revoked_at: Date | null }[]>`select revoked_at from cluster_registrations where cluster = ${r.cluster} for update`;
        if (existing && existing.revoked_at === null) {
          throw new ConflictError(`cluster "${r.cluster}" is already registered; revoke it first, or issue a new bootstrap token for it`);
        }
        const labels = tx.json(r.labels);
        const values = tx.json(r.values);
        if (existing) {
          // Registering a revoked cluster again starts afresh; its old credentials stay revoked.
          await tx`
            update cluster_registrations set stage = ${r.stage}, labels = ${labels}, cluster_values = ${values},
              registered_by = ${r.registeredBy}, registered_at = ${r.registeredAt}, revoked_by = null, revoked_at = null, revoke_reason = null
            where cluster = ${r.cluster}`;
        } else {
          await tx`
            insert into cluster_registrations (cluster, stage, labels, cluster_values, registered_by, registered_at)
            values (${r.cluster}, ${r.stage}, ${labels}, ${values}, ${r.registeredBy}, ${r.registeredAt})`;
        }
        await insertToken(tx, r.cluster, token);
        // The cluster list shows it at once; the ingest of the registered event writes the same values again.
        await tx`
          insert into clusters (name, stage, labels, registered_at, first_seen_at)
          values (${r.cluster}, ${r.stage}, ${labels}, ${r.registeredAt}, ${r.registeredAt})
          on conflict (name) do update set stage = excluded.stage, labels = excluded.labels, registered_at = excluded.registered_at,
            revoked_at = case when clusters.revoked_at < excluded.registered_at then null else clusters.revoked_at end
          where clusters.registered_at is null or clusters.registered_at <= excluded.registered_at`;
        await beforeCommit();
      }),
    );
  }

  addBootstrapToken(cluster: string, token: NewBootstrapToken): Promise<void> {
    return this.run(() =>
      this.sql.begin(async (tx) => {
        const [existing] = await tx<{ revoked_at: Date | null }[]>`select revoked_at from cluster_registrations where cluster = ${cluster} for share`;
        if (!existing) throw new NotFoundError(`cluster "${cluster}" is not registered`);
        if (existing.revoked_at !== null) throw new ConflictError(`cluster "${cluster}" was revoked at ${existing.revoked_at.toISOString()}; register it again instead`);
        await insertToken(tx, cluster, token);
      }),
    );
  }

  enroll(attempt: EnrollAttempt, decide: (facts: TokenFacts | undefined) => EnrollmentDecision): Promise<EnrollResult> {
    return this.run(() =>
      this.sql.begin(async (tx): Promise<EnrollResult> => {
        // The token row is locked so two agents presenting it at once cannot both win; the
        // registration is share-locked so a revocation waits for (and then includes) this credential.
        const [row] = await tx<{ id: string; cluster: string; expires_at: Date; used_at: Date | null; voided_at: Date | null; cluster_revoked_at: Date | null }[]>`
          select t.id, t.cluster, t.expires_at, t.used_at, t.voided_at, r.revoked_at as cluster_revoked_at
          from bootstrap_tokens t join cluster_registrations r on r.cluster = t.cluster
          where t.token_hash = ${attempt.tokenHash}
          for update of t for share of r`;
        const facts: TokenFacts | undefined = row && {
          cluster: row.cluster,
          expiresAt: row.expires_at,
          usedAt: row.used_at,
          voidedAt: row.voided_at,
          clusterRevokedAt: row.cluster_revoked_at,
        };
        const decision = decide(facts);
        const record = (outcome: EnrollmentOutcome) => tx`
          insert into enrollment_attempts (attempted_at, outcome, cluster, token_id, public_key, remote_address)
          values (${attempt.now}, ${outcome}, ${row?.cluster ?? null}, ${row?.id ?? null}, ${attempt.publicKey}, ${attempt.remoteAddress})`;
        if (!decision.isAllowed || !row) {
          const refused = decision.isAllowed ? { isAllowed: false as const, refusal: 'unknown_token' as const, message: 'the bootstrap token is not valid' } : decision;
          await record(refused.refusal);
          return { ...refused, cluster: row?.cluster ?? null };
        }
        const [held] = await tx`select 1 from agent_credentials where public_key = ${attempt.publicKey}`;
        if (held) throw new ConflictError('this public key already holds a credential: generate a new key pair for each enrollment');
        const jwt = await attempt.issue(row.cluster);
        await tx`update bootstrap_tokens set used_at = ${attempt.now}, used_by_key = ${attempt.publicKey} where id = ${row.id}`;
        await tx`
          insert into agent_credentials (public_key, cluster, token_id, issued_at)
          values (${attempt.publicKey}, ${row.cluster}, ${row.id}, ${attempt.now})`;
        await record(ENROLLED);
        return { isAllowed: true, cluster: row.cluster, tokenId: row.id, jwt };
      }),
    );
  }

  revoke(cluster: string, by: string, reason: string | null, now: Date, atSeconds: number): Promise<RevocationResult> {
    return this.run(() =>
      this.sql.begin(async (tx): Promise<RevocationResult> => {
        const [existing] = await tx<RegistrationRow[]>`select * from cluster_registrations where cluster = ${cluster} for update`;
        if (!existing) throw new NotFoundError(`cluster "${cluster}" was never registered, so it holds no credentials to revoke`);
        if (existing.revoked_at !== null) return { registration: toRegistration(existing), revokedKeys: [], wasAlreadyRevoked: true };
        const keys = (
          await tx<{ public_key: string }[]>`
            update agent_credentials set revoked_at = ${now} where cluster = ${cluster} and revoked_at is null returning public_key`
        ).map((k) => k.public_key);
        if (keys.length > 0) {
          await tx`
            insert into nats_revocations (public_key, revoked_at_s, cluster)
            select unnest(${keys}::text[]), ${atSeconds}, ${cluster}
            on conflict (public_key) do update set revoked_at_s = greatest(nats_revocations.revoked_at_s, excluded.revoked_at_s)`;
        }
        // A token not yet used must not enroll an agent for a revoked cluster.
        await tx`update bootstrap_tokens set voided_at = ${now} where cluster = ${cluster} and used_at is null and voided_at is null`;
        const [updated] = await tx<RegistrationRow[]>`
          update cluster_registrations set revoked_at = ${now}, revoked_by = ${by}, revoke_reason = ${reason}
          where cluster = ${cluster} returning *`;
        await tx`update clusters set revoked_at = ${now} where name = ${cluster} and (revoked_at is null or revoked_at < ${now})`;
        return { registration: toRegistration(updated ?? existing), revokedKeys: keys, wasAlreadyRevoked: false };
      }),
    );
  }

  withRevocations<T>(fn: (revocations: Readonly<Record<string, number>>) => Promise<T>): Promise<T> {
    return this.run(() =>
      this.sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${REVOCATIONS_LOCK_KEY.toString()}::bigint)`;
        const rows = await tx<{ public_key: string; revoked_at_s: string }[]>`select public_key, revoked_at_s from nats_revocations`;
        // Boxed: postgres.js would otherwise try to unwrap an array result as a list of queries.
        return { value: await fn(Object.fromEntries(rows.map((r) => [r.public_key, Number(r.revoked_at_s)]))) };
      }),
    ).then((boxed) => boxed.value);
  }

  registration(cluster: string): Promise<Registration | undefined> {
    return this.run(async () => {
      const [row] = await this.sql<RegistrationRow[]>`select * from cluster_registrations where cluster = ${cluster}`;
      return row && toRegistration(row);
    });
  }

  enrollments(q: { cluster?: string; limit: number; afterId?: number }): Promise<{ items: EnrollmentRecord[]; next: number | null }> {
    const { sql } = this;
    return this.run(async () => {
      // Newest first.
      const rows = await sql<{ id: string; attempted_at: Date; outcome: EnrollmentOutcome; cluster: string | null; token_id: string | null; public_key: string; remote_address: string | null }[]>`
        select * from enrollment_attempts
        where (${q.cluster ?? null}::text is null or cluster = ${q.cluster ?? null})
          and (${q.afterId ?? null}::bigint is null or id < ${q.afterId ?? null})
        order by id desc limit ${q.limit + 1}`;
      const items = rows.slice(0, q.limit).map((r) => ({
        id: Number(r.id),
        attemptedAt: r.attempted_at,
        outcome: r.outcome,
        cluster: r.cluster,
        tokenId: r.token_id,
        publicKey: r.public_key,
        remoteAddress: r.remote_address,
      }));
      return { items, next: rows.length > q.limit ? (items.at(-1)?.id ?? null) : null };
    });
  }
}

async function insertToken(tx: TransactionSql, cluster: string, t: NewBootstrapToken): Promise<void> {
  await tx`
    insert into bootstrap_tokens (id, cluster, token_hash, created_by, created_at, expires_at)
    values (${t.id}, ${cluster}, ${t.tokenHash}, ${t.createdBy}, ${t.createdAt}, ${t.expiresAt})`;
}
