/**
 * API tokens in Postgres, stored only as sha256 hashes: a leaked table reveals no usable token.
 * Tokens are random 256-bit values, so an unsalted fast hash is enough (no dictionary to attack).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mapPgError, type Sql } from '@driftless/db';
import type { Role } from '../core/roles.js';
import type { ApiToken, TokenStore } from '../ports.js';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new random token with a recognisable prefix (so secret scanners can spot a leaked one). */
export function generateToken(): string {
  return `dla_${randomBytes(32).toString('base64url')}`;
}

export class PgTokenStore implements TokenStore {
  constructor(private readonly sql: Sql) {}

  async findByHash(tokenHash: string): Promise<ApiToken | undefined> {
    try {
      const [row] = await this.sql<{ id: string; name: string; role: Role }[]>`
        select id, name, role from api_tokens where token_hash = ${tokenHash} and revoked_at is null`;
      return row ? { id: row.id, name: row.name, role: row.role } : undefined;
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /** Stores (or replaces) the token with this id; only its hash is kept. */
  async put(token: { id: string; name: string; role: Role; secret: string }): Promise<void> {
    try {
      await this.sql`
        insert into api_tokens (id, name, role, token_hash) values (${token.id}, ${token.name}, ${token.role}, ${hashToken(token.secret)})
        on conflict (id) do update set name = excluded.name, role = excluded.role, token_hash = excluded.token_hash, revoked_at = null`;
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /** Creates a token and returns its secret: the only time it is ever visible. */
  async create(name: string, role: Role): Promise<{ id: string; secret: string }> {
    const secret = generateToken();
    const id = `tok_${randomBytes(6).toString('hex')}`;
    await this.put({ id, name, role, secret });
    return { id, secret };
  }

  async revoke(id: string): Promise<void> {
    try {
      await this.sql`update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null`;
    } catch (err) {
      throw mapPgError(err);
    }
  }
}
