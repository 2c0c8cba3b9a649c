/**
 * The prune plan: what the inventory lists and the desired state no longer does, with the safety
 * brake. One change may not delete more than `maxPruneShare` of a component's objects, nor any
 * Namespace (deleting one deletes everything in it), unless the desired state explicitly allows it.
 */
import type { ObjectRef } from '@driftless/contracts';
import type { Inventory, PruneOptions } from './inventory.js';
import { describeRef, refKey } from './objects.js';
import { sortForDelete } from './order.js';

export const DEFAULT_PRUNE_OPTIONS: PruneOptions = { maxPruneShare: 0.5, isNamespacePruneAllowed: false };

export type PrunePlan =
  | { kind: 'prune'; toDelete: ObjectRef[]; totalObjects: number }
  | { kind: 'blocked'; wouldDelete: ObjectRef[]; totalObjects: number; reason: string };

/**
 * Plans the prune of `inventory` against the desired object keys. `toDelete` is in deletion order.
 * `totalObjects` is the component's size before the change (what the share is measured against).
 */
export function planPrune(inventory: Inventory, desiredKeys: ReadonlySet<string>, options: PruneOptions = DEFAULT_PRUNE_OPTIONS): PrunePlan {
  const candidates = [...inventory.entries.values()].filter((e) => !desiredKeys.has(refKey(e.ref))).map((e) => e.ref);
  const toDelete = sortForDelete(candidates);
  const totalObjects = inventory.entries.size;
  if (toDelete.length === 0) return { kind: 'prune', toDelete, totalObjects };

  const namespaces = toDelete.filter((r) => r.kind === 'Namespace' && r.apiVersion === 'v1');
  if (namespaces.length > 0 && !options.isNamespacePruneAllowed) {
    return {
      kind: 'blocked',
      wouldDelete: toDelete,
      totalObjects,
      reason: `would delete Namespace ${namespaces.map((r) => r.name).join(', ')} and everything in it; set isNamespacePruneAllowed to allow it`,
    };
  }
  const share = toDelete.length / totalObjects;
  if (share > options.maxPruneShare) {
    const shown = toDelete.slice(0, 3).map(describeRef).join(', ');
    return {
      kind: 'blocked',
      wouldDelete: toDelete,
      totalObjects,
      reason:
        `would delete ${toDelete.length} of ${totalObjects} objects (${Math.round(share * 100)} %, more than the allowed ` +
        `${Math.round(options.maxPruneShare * 100)} %), e.g. ${shown}; raise maxPruneShare to allow it`,
    };
  }
  return { kind: 'prune', toDelete, totalObjects };
}
