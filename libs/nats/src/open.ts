/**
 * Binding to buckets that already exist, without creating or inspecting anything: what a
 * scoped agent does, whose credentials allow reading its own keys but not managing streams.
 */
import type { JetStreamClient } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { toDomainError } from './errors.js';

export interface OpenKvOptions {
  /** Read through the direct-get API (provisioned buckets allow it; agents are granted it). Default true. */
  isDirectGetEnabled?: boolean;
}

/** Binds to an existing KV bucket; makes no JetStream API call. */
export async function openKv(js: JetStreamClient, bucket: string, options: OpenKvOptions = {}): Promise<KV> {
  try {
    return await new Kvm(js).open(bucket, { allow_direct: options.isDirectGetEnabled ?? true });
  } catch (err) {
    throw toDomainError(err, `opening KV bucket ${bucket}`);
  }
}

/** Binds to an existing object store without reading its stream info first. */
export async function openObjectStore(js: JetStreamClient, name: string): Promise<ObjectStore> {
  try {
    return await new Objm(js).open(name, false);
  } catch (err) {
    throw toDomainError(err, `opening object store ${name}`);
  }
}
