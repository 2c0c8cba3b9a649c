/**
 * Consumes `driftless.change.approved.v1` for one repository (a durable consumer on the events
 * stream) and hands each approval to the repository's sync, which counts distinct approvers and
 * releases held stages. Only the lease holder acts (the sync checks); other watchers put the
 * message back for it.
 */
import { EventValidationError, subjects } from '@driftless/contracts';
import { Outcome, consume, decodeEventMessage, wireSubject } from '@driftless/nats';
import type { Logger } from '@driftless/telemetry';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { ApprovalOutcome } from './repo-sync.js';

const NOT_LEADER_RETRY_MS = 2_000;

export interface ApprovalsDeps {
  js: JetStreamClient;
  stream: string;
  subjectPrefix: string;
  repo: string;
  approve(commitSha: string, approver: string): Promise<ApprovalOutcome>;
  log: Logger;
}

export interface ApprovalsConsumer {
  stop(): Promise<void>;
}

/** The durable consumer's name for a repository's approvals, shared by every watcher replica. */
export const approvalsDurable = (repo: string): string => `repo-watcher-approvals-${repo}`;

export function consumeApprovals(deps: ApprovalsDeps): ApprovalsConsumer {
  const { repo, log } = deps;
  const controller = new AbortController();
  const done = consume({
    js: deps.js,
    stream: deps.stream,
    durable: approvalsDurable(repo),
    filterSubject: wireSubject(subjects.changeApprovals(repo), deps.subjectPrefix),
    concurrency: 1,
    signal: controller.signal,
    log,
    handle: async (msg) => {
      let approval;
      try {
        approval = decodeEventMessage(msg, 'driftless.change.approved.v1').event;
      } catch (err) {
        if (err instanceof EventValidationError) return Outcome.term(`not a change.approved event: ${err.message}`);
        throw err;
      }
      if (approval.type !== 'driftless.change.approved.v1') return Outcome.term(`unexpected event type ${approval.type}`);
      if (approval.data.repo !== repo) return Outcome.term(`approval for repository ${approval.data.repo} arrived on ${repo}'s subject`);
      const outcome = await deps.approve(approval.data.commitSha, approval.data.approver);
      return outcome.kind === 'not-leader' ? Outcome.nak(NOT_LEADER_RETRY_MS) : Outcome.ack();
    },
  }).catch((err: unknown) => {
    log.error({ err, repo }, 'approvals consumer stopped');
  });
  return {
    async stop() {
      controller.abort();
      await done;
    },
  };
}
