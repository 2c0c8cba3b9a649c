import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deterministicId, makeEvent, subjects } from '@driftless/contracts';
import { connectNats, provision, publishEvent, wireSubject, type Provisioned } from '@driftless/nats';
import { isolatedNames, removeResources } from '@driftless/nats/testing';
import { createLogger } from '@driftless/telemetry';
import { NATS_URL, eventually } from '@driftless/testkit';
import type { NatsConnection } from '@nats-io/transport-node';
import { approvalsDurable, consumeApprovals } from './policy-approvals.js';
import type { ApprovalOutcome } from './repo-sync.js';

const REPO = 'envs';
const SHA = 'a'.repeat(40);

describe('the approvals consumer', () => {
  let nc: NatsConnection;
  let nats: Provisioned;
  const names = isolatedNames('rw-approvals');

  before(async () => {
    nc = await connectNats({ servers: NATS_URL, name: 'approvals-test', maxAttempts: 3 });
    nats = await provision(nc, { names });
  });
  after(async () => {
    await removeResources(nc, names);
    await nc.close();
  });

  it('hands valid approvals of its repository to the sync, drops malformed ones and keeps consuming', async () => {
    const calls: string[] = [];
    let isLeader = false;
    const consumer = consumeApprovals({
      js: nats.js,
      stream: names.eventsStream,
      subjectPrefix: names.subjectPrefix,
      repo: REPO,
      approve: (commitSha, approver): Promise<ApprovalOutcome> => {
        calls.push(`${commitSha.slice(0, 4)} ${approver} ${isLeader ? 'leader' : 'not-leader'}`);
        return Promise.resolve(isLeader ? { kind: 'ignored', reason: 'test' } : { kind: 'not-leader' });
      },
      log: createLogger({ name: 'approvals-test', level: 'silent' }),
    });
    try {
      const subject = wireSubject(subjects.changeApprovals(REPO), names.subjectPrefix);
      await nats.js.publish(subject, 'not json');
      await nats.js.publish(subject, JSON.stringify({ type: 'driftless.change.approved.v1', data: { repo: REPO } }));
      const approval = (repo: string, approver: string) =>
        makeEvent({
          type: 'driftless.change.approved.v1',
          source: 'test',
          id: deterministicId('approval', repo, approver),
          subject: subjects.changeApprovals(REPO),
          data: { repo, commitSha: SHA, approver },
        });
      await publishEvent(nats.js, approval('other', 'mallory'), { subjectPrefix: names.subjectPrefix });
      await publishEvent(nats.js, approval(REPO, 'olivia'), { subjectPrefix: names.subjectPrefix });
      // A watcher without the lease puts the approval back; the leader gets it again.
      await eventually(() => calls.length >= 1);
      isLeader = true;
      await eventually(async () => {
        const info = await nats.jsm.consumers.info(names.eventsStream, approvalsDurable(REPO));
        return info.num_pending + info.num_ack_pending === 0 && calls.at(-1) === 'aaaa olivia leader';
      }, { timeoutMs: 15_000 });
      assert.ok(calls.every((c) => c.startsWith('aaaa olivia')), `only the valid approval of ${REPO} reaches the sync: ${calls.join('; ')}`);
    } finally {
      await consumer.stop();
    }
  });
});
