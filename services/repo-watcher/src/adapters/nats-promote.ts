/**
 * The promote command over core NATS request/reply: `driftless.cmd.promote.<repo>` carries a
 * PromoteRequest and gets a PromoteReply. Every watcher of the repository subscribes, and only the
 * one holding the repository's lease answers, so a request never reaches two writers; with no
 * holder the requester times out and may try again.
 */
import { decodePromoteRequest, subjects, type PromoteReply, type PromoteRequest } from '@driftless/contracts';
import { wireSubject } from '@driftless/nats';
import type { Logger } from '@driftless/telemetry';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

export interface PromoteResponderOptions {
  nc: NatsConnection;
  repo: string;
  subjectPrefix: string;
  /** Whether this watcher holds the repository's lease right now. */
  isLeader: () => boolean;
  handle: (request: PromoteRequest) => Promise<PromoteReply>;
  log: Logger;
}

export interface PromoteResponder {
  readonly subject: string;
  /** Stops taking requests and waits for the ones in progress to be answered. */
  stop(): Promise<void>;
}

export function servePromotions(options: PromoteResponderOptions): PromoteResponder {
  const { nc, repo, log } = options;
  const subject = wireSubject(subjects.promoteCommand(repo), options.subjectPrefix);
  const inFlight = new Set<Promise<void>>();
  const subscription: Subscription = nc.subscribe(subject, {
    callback: (err, msg) => {
      if (err) {
        log.warn({ err, repo }, 'promote subscription error');
        return;
      }
      // Another watcher holds the lease and answers; two answers would race.
      if (!options.isLeader()) return;
      const work = answer(msg, options).finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
  });
  return {
    subject,
    async stop() {
      subscription.unsubscribe();
      await Promise.all([...inFlight]);
    },
  };
}

async function answer(msg: Msg, options: PromoteResponderOptions): Promise<void> {
  const reply = await replyTo(msg, options);
  if (!msg.reply) {
    options.log.warn({ repo: options.repo }, 'promote request without a reply subject; nothing to answer');
    return;
  }
  try {
    msg.respond(JSON.stringify(reply));
  } catch (err) {
    options.log.warn({ err, repo: options.repo }, 'could not answer a promote request');
  }
}

async function replyTo(msg: Msg, options: PromoteResponderOptions): Promise<PromoteReply> {
  let request: PromoteRequest;
  try {
    request = decodePromoteRequest(msg.data);
  } catch (err) {
    return { ok: false, code: 'invalid', message: (err as Error).message };
  }
  try {
    return await options.handle(request);
  } catch (err) {
    return { ok: false, code: 'internal', message: `promotion failed: ${(err as Error).message}` };
  }
}
