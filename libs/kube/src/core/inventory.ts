/**
 * The inventory: the set of objects the agent applied for one component, kept in the cluster as a
 * ConfigMap so a restarted agent still knows what it owns. Pruning only ever deletes what is listed
 * here, so nothing Driftless never created can be deleted. Each entry carries the hash of the
 * manifest last applied successfully (none while an apply is pending), which lets a resync skip
 * unchanged objects without a write.
 */
import { InvalidInputError, type ObjectRef } from '@driftless/contracts';
import { isPlainObject, refKey, type KubeObject } from './objects.js';

export const DEFAULT_INVENTORY_NAMESPACE = 'driftless-system';
const INVENTORY_PREFIX = 'driftless-inventory-';
export const INVENTORY_LABEL = 'driftless.dev/inventory';
export const INVENTORY_COMPONENT_LABEL = 'driftless.dev/component';

export interface InventoryEntry {
  ref: ObjectRef;
  /** Hash of the manifest last applied successfully; absent while an apply of this object is pending. */
  hash?: string;
}

export interface PruneOptions {
  maxPruneShare: number;
  isNamespacePruneAllowed: boolean;
}

export interface Inventory {
  component: string;
  /** Entries by `refKey`. */
  entries: ReadonlyMap<string, InventoryEntry>;
  /** The desired revision last applied completely. */
  applied?: { version: string; hash: string };
  /** Prune options of the last desired state, so removing the whole component later still honours them. */
  options?: PruneOptions;
}

export class InvalidInventoryError extends InvalidInputError {
  override readonly name: string = 'InvalidInventoryError';
}

export function emptyInventory(component: string): Inventory {
  return { component, entries: new Map() };
}

/** The ConfigMap name holding a component's inventory. */
export function inventoryName(component: string): string {
  return `${INVENTORY_PREFIX}${component}`;
}

function entryLine(entry: InventoryEntry): string {
  const { apiVersion, kind, namespace, name } = entry.ref;
  return [entry.hash ?? '-', apiVersion, kind, namespace ?? '-', name].join(' ');
}

/** Serialises an inventory into the ConfigMap manifest that stores it (one line per object: compact for thousands). */
export function inventoryToConfigMap(inventory: Inventory, namespace: string = DEFAULT_INVENTORY_NAMESPACE): KubeObject {
  const lines = [...inventory.entries.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => entryLine(e));
  const data: Record<string, string> = { objects: lines.join('\n') };
  if (inventory.applied) data['applied'] = JSON.stringify(inventory.applied);
  if (inventory.options) data['options'] = JSON.stringify(inventory.options);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: inventoryName(inventory.component),
      namespace,
      labels: { [INVENTORY_LABEL]: 'true', [INVENTORY_COMPONENT_LABEL]: inventory.component, 'app.kubernetes.io/part-of': 'driftless' },
    },
    data,
  };
}

function parseLine(line: string, lineNo: number): InventoryEntry {
  const parts = line.split(' ');
  const [hash, apiVersion, kind, namespace, name] = parts;
  if (parts.length !== 5 || !hash || !apiVersion || !kind || !namespace || !name) {
    throw new InvalidInventoryError(`inventory line ${lineNo} is not "<hash> <apiVersion> <kind> <namespace> <name>": ${JSON.stringify(line)}`);
  }
  const ref: ObjectRef = { apiVersion, kind, name };
  if (namespace !== '-') ref.namespace = namespace;
  return hash === '-' ? { ref } : { ref, hash };
}

function parseJsonField(raw: string | undefined, what: string): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new InvalidInventoryError(`inventory field ${what} is not JSON`, { cause: err });
  }
}

/** Parses the ConfigMap back; a corrupt one is an InvalidInventoryError (never an empty inventory, which would orphan objects). */
export function inventoryFromConfigMap(configMap: KubeObject, component: string): Inventory {
  const data = configMap['data'];
  if (!isPlainObject(data)) throw new InvalidInventoryError(`inventory ConfigMap ${configMap.metadata.name} has no data`);
  const objects = data['objects'];
  if (typeof objects !== 'string') throw new InvalidInventoryError(`inventory ConfigMap ${configMap.metadata.name} has no objects list`);
  const entries = new Map<string, InventoryEntry>();
  objects.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const entry = parseLine(line, i + 1);
    entries.set(refKey(entry.ref), entry);
  });
  const inventory: Inventory = { component, entries };
  const applied = parseJsonField(data['applied'] as string | undefined, 'applied');
  if (isPlainObject(applied) && typeof applied['version'] === 'string' && typeof applied['hash'] === 'string') {
    inventory.applied = { version: applied['version'], hash: applied['hash'] };
  }
  const options = parseJsonField(data['options'] as string | undefined, 'options');
  if (isPlainObject(options) && typeof options['maxPruneShare'] === 'number' && typeof options['isNamespacePruneAllowed'] === 'boolean') {
    inventory.options = { maxPruneShare: options['maxPruneShare'], isNamespacePruneAllowed: options['isNamespacePruneAllowed'] };
  }
  return inventory;
}

/**
 * The inventory to write *before* applying: everything already owned plus every desired object,
 * the new ones without a hash. A crash mid-apply then leaves nothing applied that the inventory
 * does not list, so a later prune still finds it.
 */
export function withPending(inventory: Inventory, desired: readonly ObjectRef[]): Inventory {
  const entries = new Map(inventory.entries);
  for (const ref of desired) {
    const key = refKey(ref);
    const existing = entries.get(key);
    // Keep the last applied hash: it is still true until the new apply succeeds.
    entries.set(key, existing?.hash === undefined ? { ref } : { ref, hash: existing.hash });
  }
  return { ...inventory, entries };
}

/** Whether two inventories would serialise the same (so writing the second is a no-op). */
export function isSameInventory(a: Inventory, b: Inventory): boolean {
  if (a.entries.size !== b.entries.size) return false;
  for (const [key, entry] of a.entries) {
    const other = b.entries.get(key);
    if (!other || entryLine(other) !== entryLine(entry)) return false;
  }
  return (
    JSON.stringify(a.applied ?? null) === JSON.stringify(b.applied ?? null) && JSON.stringify(a.options ?? null) === JSON.stringify(b.options ?? null)
  );
}
