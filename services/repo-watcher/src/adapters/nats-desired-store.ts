/**
 * DesiredStore over the `desired` KV bucket: the value is contracts' DesiredState; manifests are
 * inline up to a size, otherwise written once to the manifests object store under their content
 * hash and referenced from the value.
 */
import type { DesiredState } from '@driftless/contracts';
import { currentTraceParent } from '@driftless/telemetry';
import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { DesiredRecord, DesiredStore } from '../ports.js';

export interface NatsDesiredStoreOptions {
  desired: KV;
  manifests: ObjectStore;
  /** The object store's bucket name, recorded in values that reference it. */
  manifestsStoreName: string;
  /** Manifests whose JSON is larger than this go to the object store. */
  maxInlineBytes: number;
}

export class NatsDesiredStore implements DesiredStore {
  constructor(private readonly options: NatsDesiredStoreOptions) {}

  async put(key: string, record: DesiredRecord): Promise<void> {
    const { objects, ...rest } = record;
    const manifestsJson = JSON.stringify(objects);
    let manifests: DesiredState['manifests'];
    if (Buffer.byteLength(manifestsJson, 'utf8') <= this.options.maxInlineBytes) {
      manifests = { inline: objects as Record<string, unknown>[] };
    } else {
      await this.storeLarge(record.hash, manifestsJson);
      manifests = { objectStore: this.options.manifestsStoreName, name: record.hash, objectCount: objects.length };
    }
    const value: DesiredState = { ...rest, manifests, ...currentTraceParent() };
    await this.options.desired.put(key, JSON.stringify(value));
  }

  async remove(key: string): Promise<void> {
    await this.options.desired.delete(key);
  }

  private async storeLarge(name: string, json: string): Promise<void> {
    // Content-addressed: the same manifests are stored once, whichever cluster needs them.
    const existing = await this.options.manifests.info(name);
    if (existing && !existing.deleted) return;
    await this.options.manifests.putBlob({ name }, new TextEncoder().encode(json));
  }
}
