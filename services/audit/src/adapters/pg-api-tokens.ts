/**
 * API-token administration on top of the hashed token table: create (the secret is shown
 * once), list (never a secret or hash), revoke, and the last time each token was used.
 */
import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError } from '@driftless/contracts';
import { mapPgError, type Sql } from '@driftless/db';
import type { Role } from '../core/roles.js';
import type { ApiToken, TokenStore } from '../ports.js';
import type { ApiTokenAdmin, ApiTokenInfo } from '../registration-ports.js';
import { generateToken, hashToken, PgTokenStore } from './pg-tokens.js';

/** Last-used times are kept to the minute: one write per token per minute, not one per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  email: string | null;
  created_at: Date;
  created_by: string | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
}

const toInfo = (r: TokenRow): ApiTokenInfo => ({
  id: r.id,
  name: r.name,
  role: r.role,
  email: r.email,
  createdAt: r.created_at,
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
  revokedBy: r.revoked_by,
});

/** The token store the API authenticates with, recording last use, plus administration. */
export class PgApiTokenStore implements TokenStore, ApiTokenAdmin {
  private readonly touchedAtMs = new Map<string, number>();
  private readonly hashed: PgTokenStore;

  constructor(
    private readonly db: Sql,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.hashed = new PgTokenStore(db);
  }

  async findByHash(tokenHash: string): Promise<ApiToken | undefined> {
    const token = await this.hashed.findByHash(tokenHash);
    if (token) await this.touch(token.id);
    return token;
  }

  private async touch(id: string): Promise<void> {
    const now = this.nowMs();
    if (now - (this.touchedAtMs.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.touchedAtMs.set(id, now);
    try {
      await this.db`
        update api_tokens set last_used_at = ${new Date(now)}
        where id = ${id} and (last_used_at is null or last_used_at < ${new Date(now - LAST_USED_RESOLUTION_MS)})`;
    } catch {
      // A failed bookkeeping write must not fail the request it belongs to; the next use retries.
      this.touchedAtMs.delete(id);
    }
  }

  async create(name: string, role: Role, createdBy: string, email: string | null = null): Promise<ApiTokenInfo & { secret: string }> {
    const secret = generateToken();
    const id = `tok_${randomBytes(6).toString('hex')}`;
    try {
      return await this.db.begin(async (tx) => {
        // Names identify callers in the audit log, so two active tokens never share one.
        await tx`select pg_advisory_xact_lock(hashtextextended(${`driftless.api-token-name:${name}`}, 0))`;
        const [taken] = await tx<{ id: string }[]>`select id from api_tokens where name = ${name} and revoked_at is null`;
        if (taken) throw new ConflictError(`an active token is already named "${name}" (${taken.id}); choose another name or revoke that one`);
        const [row] = await tx<TokenRow[]>`
          insert into api_tokens (id, name, role, token_hash, created_by, email) values (${id}, ${name}, ${role}, ${hashToken(secret)}, ${createdBy}, ${email})
          returning id, name, role, email, created_at, created_by, last_used_at, revoked_at, revoked_by`;
        if (!row) throw new Error(`token ${id} vanished while being created`);
        return { ...toInfo(row), secret };
      });
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async list(query: { isRevokedIncluded: boolean }): Promise<ApiTokenInfo[]> {
    try {
      const rows = await this.db<TokenRow[]>`
        select id, name, role, email, created_at, created_by, last_used_at, revoked_at, revoked_by from api_tokens
        where ${query.isRevokedIncluded} or revoked_at is null
        order by created_at, id`;
      return rows.map(toInfo);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  async revoke(id: string, revokedBy: string): Promise<ApiTokenInfo> {
    try {
      const [row] = await this.db<TokenRow[]>`
        update api_tokens set revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, ${revokedBy})
        where id = ${id}
        returning id, name, role, email, created_at, created_by, last_used_at, revoked_at, revoked_by`;
      if (!row) throw new NotFoundError(`no API token has the id "${id}"`);
      return toInfo(row);
    } catch (err) {
      throw mapPgError(err);
    }
  }
}
