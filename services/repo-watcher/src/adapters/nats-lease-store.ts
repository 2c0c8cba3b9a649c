/**
 * LeaseStore over the `leases` KV bucket (its TTL is the lease lifetime). Taking a free lease is a
 * `create` (fails if anyone holds it); renewing is an `update` at the revision we read, so two
 * watchers racing for one repository can never both win.
 */
import { kvKeys } from '@driftless/contracts';
import type { KV } from '@nats-io/kv';
import type { LeaseStore } from '../ports.js';

interface LeaseValue {
  holder: string;
  renewedAt: string;
}

export class NatsLeaseStore implements LeaseStore {
  private constructor(
    private readonly leases: KV,
    readonly ttlMs: number,
  ) {}

  /** Reads the bucket's TTL; a bucket without one would make a crashed holder's lease eternal. */
  static async open(leases: KV): Promise<NatsLeaseStore> {
    const { ttl } = await leases.status();
    if (!(ttl > 0)) throw new Error('the leases bucket has no TTL: a crashed watcher would keep its lease forever');
    return new NatsLeaseStore(leases, ttl);
  }

  async acquireOrRenew(repo: string, holder: string): Promise<boolean> {
    const key = kvKeys.lease(repo);
    const value = JSON.stringify({ holder, renewedAt: new Date().toISOString() } satisfies LeaseValue);
    const entry = await this.leases.get(key);
    try {
      if (!entry || entry.operation !== 'PUT') {
        await this.leases.create(key, value);
        return true;
      }
      if (entry.json<LeaseValue>().holder !== holder) return false;
      await this.leases.update(key, value, entry.revision);
      return true;
    } catch (err) {
      // Lost a race on the revision: someone else wrote the key first.
      if (isWrongLastSequence(err)) return false;
      throw err;
    }
  }

  async release(repo: string, holder: string): Promise<void> {
    const key = kvKeys.lease(repo);
    const entry = await this.leases.get(key);
    if (!entry || entry.operation !== 'PUT' || entry.json<LeaseValue>().holder !== holder) return;
    await this.leases.delete(key, { previousSeq: entry.revision }).catch((err: unknown) => {
      if (!isWrongLastSequence(err)) throw err;
    });
  }
}

function isWrongLastSequence(err: unknown): boolean {
  const message = String((err as Error | undefined)?.message ?? '');
  const code = (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code;
  return code === 10071 || /wrong last sequence|key exists/i.test(message);
}
