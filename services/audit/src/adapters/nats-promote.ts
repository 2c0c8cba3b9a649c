/**
 * The repo-watcher's promote command over NATS request/reply: one request on
 * `driftless.cmd.promote.<repo>` (under the installation's subject prefix), one decoded reply.
 * No answer in time, or no watcher listening, is a WatcherUnavailableError: the caller waits and
 * asks again.
 */
import { decodePromoteReply, subjects, UnavailableError, type PromoteReply, type PromoteRequest } from '@driftless/contracts';
import { toDomainError, wireSubject } from '@driftless/nats';
import type { PromoteCommander } from '../promotion-ports.js';

/** No repo-watcher answered the promote command (none running, none holding the repository, or too slow). */
export class WatcherUnavailableError extends UnavailableError {
  override readonly name: string = 'WatcherUnavailableError';
}

/** The one call of a NATS connection this adapter uses. */
export interface NatsRequester {
  request(subject: string, payload: string, options: { timeout: number }): Promise<{ data: Uint8Array }>;
}

export class NatsPromoteCommander implements PromoteCommander {
  constructor(
    private readonly nc: NatsRequester,
    private readonly options: { subjectPrefix?: string; timeoutMs: number },
  ) {}

  async send(request: PromoteRequest): Promise<PromoteReply> {
    const subject = wireSubject(subjects.promoteCommand(request.repo), this.options.subjectPrefix ?? '');
    let data: Uint8Array;
    try {
      ({ data } = await this.nc.request(subject, JSON.stringify(request), { timeout: this.options.timeoutMs }));
    } catch (err) {
      const domain = toDomainError(err, `asking the repo-watcher of ${request.repo} to ${request.op} promotion ${request.promotionId}`);
      if (domain instanceof UnavailableError) throw new WatcherUnavailableError(domain.message, { cause: err });
      throw domain;
    }
    try {
      return decodePromoteReply(data);
    } catch (err) {
      // A reply we cannot read is the watcher's failure, not the request's: say so and retry later.
      return { ok: false, code: 'internal', message: `the repo-watcher's reply to ${request.op} ${request.promotionId} is not a promote reply: ${(err as Error).message}` };
    }
  }
}
