/**
 * Least-privilege NATS permissions per role. An agent may read only its own cluster's desired
 * state and speak only for its own cluster; it gets its own inbox prefix because a shared
 * `_INBOX.>` would let it subscribe to every other client's replies, including another agent's
 * KV deliveries.
 */
import type { Permissions } from '@nats-io/jwt';
import { DESIRED_BUCKET, MANIFESTS_OBJECT_STORE, assertDnsLabel, kvKeys, subjects } from '@driftless/contracts';

/** The inbox prefix an agent must connect with (`inboxPrefix` connection option). */
export function agentInboxPrefix(cluster: string): string {
  return `_INBOX_${assertDnsLabel('cluster', cluster)}`;
}

export interface AgentPermissionOptions {
  desiredBucket?: string;
  manifestsStore?: string;
  /**
   * Reading large manifests from the object store. Object names are content hashes, which an
   * agent cannot enumerate, but the store is shared: turn this off where every desired state is inline.
   */
  canReadManifests?: boolean;
  /** The installation's event subject prefix (see `ResourceNames.subjectPrefix` in libs/nats), if any. */
  subjectPrefix?: string;
}

function prefixed(prefix: string | undefined, subject: string): string {
  return prefix ? `${prefix}.${subject}` : subject;
}

export function agentPermissions(cluster: string, opts: AgentPermissionOptions = {}): Permissions {
  const bucket = opts.desiredBucket ?? DESIRED_BUCKET;
  const store = opts.manifestsStore ?? MANIFESTS_OBJECT_STORE;
  const ownKeys = `$KV.${bucket}.${kvKeys.desiredOf(cluster)}`;
  const pub = [
    '$JS.API.INFO',
    `$JS.API.STREAM.INFO.KV_${bucket}`,
    // KV watch = an ordered consumer (random name) filtered to our own keys only.
    `$JS.API.CONSUMER.CREATE.KV_${bucket}.*.${ownKeys}`,
    `$JS.API.DIRECT.GET.KV_${bucket}.${ownKeys}`,
    prefixed(opts.subjectPrefix, subjects.agentEventsOf(cluster)),
    prefixed(opts.subjectPrefix, subjects.cluster(cluster, 'heartbeat')),
  ];
  if (opts.canReadManifests ?? true) {
    pub.push(`$JS.API.STREAM.INFO.OBJ_${store}`, `$JS.API.CONSUMER.CREATE.OBJ_${store}.>`, `$JS.API.DIRECT.GET.OBJ_${store}.>`);
  }
  return { pub: { allow: pub }, sub: { allow: [`${agentInboxPrefix(cluster)}.>`] } };
}

/** Control-plane services (repo-watcher, audit) use the whole DRIFTLESS account. */
export function servicePermissions(): Permissions {
  return { pub: { allow: ['>'] }, sub: { allow: ['>'] } };
}
