/**
 * Creates or updates, idempotently, everything Driftless keeps in JetStream: the events stream,
 * the `desired`, `leases` and `watcher-state` KV buckets and the `manifests` object store, all
 * file-backed with explicit limits. Safe to run from every service at start-up, concurrently.
 */
import { ConflictError, InvalidInputError } from '@driftless/contracts';
import type { Logger } from '@driftless/telemetry';
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { JsErrorCode, jsErrorCode, toDomainError } from './errors.js';
import { eventStreamSubject, resolveNames, type ResourceNames } from './names.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface ProvisionOptions {
  /** Stream replicas (1 for a single server, 3 for a production cluster). */
  replicas?: number;
  /** How long events stay in the stream (default 7 days); the audit log keeps them for good. */
  eventsMaxAgeMs?: number;
  /** Size cap of the events stream (default 1 GiB); the oldest events go first. */
  eventsMaxBytes?: number;
  /** Largest single event (default 1 MiB). */
  eventsMaxMsgBytes?: number;
  /** Window in which a re-published event id is dropped as a duplicate (default 2 min). */
  duplicateWindowMs?: number;
  /** Largest desired-state value (default 1 MiB; bigger manifests go to the object store). */
  desiredMaxValueBytes?: number;
  desiredMaxBytes?: number;
  /** Lifetime of a lease entry not renewed (default 30 s). */
  leaseTtlMs?: number;
  watcherStateHistory?: number;
  manifestsMaxBytes?: number;
  /** Resource names; tests pass unique ones. */
  names?: Partial<ResourceNames>;
  log?: Logger;
}

export interface Provisioned {
  js: JetStreamClient;
  jsm: JetStreamManager;
  desired: KV;
  leases: KV;
  watcherState: KV;
  manifests: ObjectStore;
  names: ResourceNames;
}

const DEFAULTS = {
  replicas: 1,
  eventsMaxAgeMs: 7 * 24 * 3600 * 1000,
  eventsMaxBytes: 1 * GiB,
  eventsMaxMsgBytes: 1 * MiB,
  duplicateWindowMs: 2 * 60 * 1000,
  desiredMaxValueBytes: 1 * MiB,
  desiredMaxBytes: 256 * MiB,
  leaseTtlMs: 30_000,
  watcherStateHistory: 5,
  manifestsMaxBytes: 1 * GiB,
} as const;

/** Creates or updates the Driftless streams, buckets and object store and returns handles to them. */
export async function provision(nc: NatsConnection, options: ProvisionOptions = {}): Promise<Provisioned> {
  const names = resolveNames(options.names);
  const o = limitsOf(options);
  const log = options.log?.child({ step: 'provision' });
  const jsm = await jetstreamManager(nc).catch((err: unknown) => {
    throw toDomainError(err, 'opening JetStream (is JetStream enabled on the server?)');
  });
  const js = jetstream(nc);

  await ensureStream(jsm, {
    name: names.eventsStream,
    description: 'Driftless events: desired-state changes, agent reports, cluster and promotion lifecycle',
    subjects: [eventStreamSubject(names)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: o.replicas,
    max_age: nanos(o.eventsMaxAgeMs),
    max_bytes: o.eventsMaxBytes,
    max_msg_size: o.eventsMaxMsgBytes,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(Math.min(o.duplicateWindowMs, o.eventsMaxAgeMs)),
  }, log);

  const kvm = new Kvm(js);
  const objm = new Objm(js);
  const [desired, leases, watcherState, manifests] = await Promise.all([
    ensureKv(kvm, jsm, names.desired, {
      description: 'Driftless desired state per cluster.component',
      history: 1,
      max_bytes: o.desiredMaxBytes,
      maxValueSize: o.desiredMaxValueBytes,
      replicas: o.replicas,
    }, log),
    ensureKv(kvm, jsm, names.leases, {
      description: 'Driftless leases (repo-watcher sharding)',
      history: 1,
      ttl: o.leaseTtlMs,
      max_bytes: 16 * MiB,
      maxValueSize: 64 * 1024,
      replicas: o.replicas,
    }, log),
    ensureKv(kvm, jsm, names.watcherState, {
      description: 'Driftless repo-watcher state (last published commit per repository)',
      history: o.watcherStateHistory,
      max_bytes: 64 * MiB,
      maxValueSize: 1 * MiB,
      replicas: o.replicas,
    }, log),
    ensureObjectStore(objm, jsm, names.manifests, {
      description: 'Driftless rendered manifests too large to inline, by content hash',
      max_bytes: o.manifestsMaxBytes,
      replicas: o.replicas,
    }, log),
  ]);
  return { js, jsm, desired, leases, watcherState, manifests, names };
}

type WantedStream = Partial<StreamConfig> & { name: string };

/** The fields we own on a stream: if any differs from what we want, the stream is updated. */
const MANAGED_FIELDS = [
  'description',
  'subjects',
  'num_replicas',
  'max_age',
  'max_bytes',
  'max_msg_size',
  'max_msgs',
  'max_msgs_per_subject',
  'discard',
  'duplicate_window',
] as const satisfies readonly (keyof StreamConfig)[];

function differingFields(current: StreamConfig, wanted: Partial<StreamConfig>): string[] {
  return MANAGED_FIELDS.filter((field) => field in wanted && JSON.stringify(current[field]) !== JSON.stringify(wanted[field]));
}

/** Creates the stream, or brings an existing one's managed limits to the wanted values. */
export async function ensureStream(jsm: JetStreamManager, wanted: WantedStream, log?: Logger): Promise<StreamInfo> {
  let info = await streamInfo(jsm, wanted.name);
  if (!info) {
    try {
      info = await jsm.streams.add(wanted);
      log?.info({ stream: wanted.name }, 'created stream');
      return info;
    } catch (err) {
      // Another starter created it a moment ago with other limits: fall through and update it.
      if (jsErrorCode(err) !== JsErrorCode.StreamNameInUse) throw streamError(err, wanted.name);
      info = await streamInfo(jsm, wanted.name);
      if (!info) throw streamError(err, wanted.name);
    }
  }
  return updateIfDifferent(jsm, info, wanted, log);
}

async function updateIfDifferent(jsm: JetStreamManager, info: StreamInfo, wanted: Partial<StreamConfig>, log?: Logger): Promise<StreamInfo> {
  const name = info.config.name;
  const differing = differingFields(info.config, wanted);
  if (differing.length === 0) return info;
  const update = Object.fromEntries(MANAGED_FIELDS.filter((f) => f in wanted).map((f) => [f, wanted[f]]));
  try {
    const updated = await jsm.streams.update(name, { ...info.config, ...update });
    log?.info({ stream: name, fields: differing }, 'updated stream limits');
    return updated;
  } catch (err) {
    if (jsErrorCode(err) === undefined) throw toDomainError(err, `updating stream ${name}`);
    throw new ConflictError(
      `stream ${name} exists with ${differing.join(', ')} different from what Driftless needs, and the server refused to change them: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (jsErrorCode(err) === JsErrorCode.StreamNotFound) return undefined;
    throw toDomainError(err, `reading stream ${name}`);
  }
}

function streamError(err: unknown, name: string): Error {
  if (jsErrorCode(err) === JsErrorCode.StreamSubjectOverlap) {
    return new ConflictError(`creating stream ${name} failed: its subjects overlap an existing stream (use another subjectPrefix): ${(err as Error).message}`, { cause: err });
  }
  return toDomainError(err, `creating stream ${name}`);
}

const KV_DUPLICATE_WINDOW_MS = 120_000;

interface KvWanted {
  description: string;
  history: number;
  max_bytes: number;
  maxValueSize: number;
  replicas: number;
  ttl?: number;
}

async function ensureKv(kvm: Kvm, jsm: JetStreamManager, bucket: string, wanted: KvWanted, log?: Logger): Promise<KV> {
  const create = () => kvm.create(bucket, { ...wanted, storage: StorageType.File });
  let kv: KV;
  try {
    kv = await create();
  } catch (err) {
    // Two starters raced with different limits; the bucket now exists, so opening it works.
    if (jsErrorCode(err) !== JsErrorCode.StreamNameInUse) throw toDomainError(err, `creating KV bucket ${bucket}`);
    kv = await create().catch((again: unknown) => {
      throw toDomainError(again, `creating KV bucket ${bucket}`);
    });
  }
  // kvm.create opens an existing bucket as it is; bring its limits to what we want.
  const info = await jsm.streams.info(`KV_${bucket}`).catch((err: unknown) => {
    throw toDomainError(err, `reading KV bucket ${bucket}`);
  });
  await updateIfDifferent(jsm, info, {
    description: wanted.description,
    num_replicas: wanted.replicas,
    max_msgs_per_subject: wanted.history,
    max_bytes: wanted.max_bytes,
    max_msg_size: wanted.maxValueSize,
    max_age: nanos(wanted.ttl ?? 0),
    // The server requires duplicate_window <= max_age; it picks min(2 min, max_age) on creation.
    duplicate_window: nanos(Math.min(wanted.ttl || KV_DUPLICATE_WINDOW_MS, KV_DUPLICATE_WINDOW_MS)),
  }, log);
  return kv;
}

interface ObjWanted {
  description: string;
  max_bytes: number;
  replicas: number;
}

async function ensureObjectStore(objm: Objm, jsm: JetStreamManager, name: string, wanted: ObjWanted, log?: Logger): Promise<ObjectStore> {
  const create = () => objm.create(name, { ...wanted, storage: StorageType.File });
  let store: ObjectStore;
  try {
    store = await create();
  } catch (err) {
    if (jsErrorCode(err) !== JsErrorCode.StreamNameInUse) throw toDomainError(err, `creating object store ${name}`);
    store = await create().catch((again: unknown) => {
      throw toDomainError(again, `creating object store ${name}`);
    });
  }
  const info = await jsm.streams.info(`OBJ_${name}`).catch((err: unknown) => {
    throw toDomainError(err, `reading object store ${name}`);
  });
  await updateIfDifferent(jsm, info, { description: wanted.description, num_replicas: wanted.replicas, max_bytes: wanted.max_bytes }, log);
  return store;
}

type Limits = { -readonly [K in keyof typeof DEFAULTS]: number };

/** The numeric options with defaults filled in; every bad value is listed in one InvalidInputError. */
function limitsOf(options: ProvisionOptions): Limits {
  const limits: Limits = { ...DEFAULTS };
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULTS) as (keyof Limits)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) problems.push(`${key} must be a whole number of at least 1, got ${value}`);
    else limits[key] = value;
  }
  if (limits.replicas > 5) problems.push(`replicas must be at most 5, got ${limits.replicas}`);
  if (problems.length > 0) throw new InvalidInputError(`invalid provision options: ${problems.join('; ')}`);
  return limits;
}
