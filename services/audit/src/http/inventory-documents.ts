/**
 * The inventory documents built from the in-memory fleet snapshot, byte for byte what the routes
 * serialize from Postgres rows for the same state. Each entry keeps its serialized parts (the
 * item's JSON up to its skew, the matrix row's middle), each (stage, component) group its skew's
 * JSON, so a document is joined from kept text and only what changed is serialized again.
 */
import { NO_SKEW, type Skew } from '../core/skew.js';
import type { FleetPair, FleetSelection, FleetSnapshot, PairKey } from '../core/fleet-snapshot.js';
import { syncStatusOf } from '../core/state.js';
import type { InventoryRow } from '../ports.js';
import { presentInventory } from './present.js';
import { MATRIX_COLUMNS } from './schemas.js';

export interface InventoryEntry extends FleetPair {
  /** The state as read; dropped once the item's text is made (the text is what is kept). */
  row: InventoryRow | undefined;
  /** The item's JSON up to and including `"skew":`, made when first asked for. */
  itemHead: string | undefined;
  /** The matrix row between the indexes and the skew flag: stage, versions, health, sync, drift. */
  cellText: string;
  hasProblem: boolean;
  /** The whole matrix row as last sent, and the indexes and skew flag it was made with. */
  matrixRow: { text: string; cluster: number; component: number; isSkewed: boolean } | undefined;
}

export function toInventoryEntry(row: InventoryRow): InventoryEntry {
  const { state, stage } = row;
  const desiredVersion = state.desired?.version ?? null;
  const appliedVersion = state.applied?.version ?? null;
  const isDrifted = state.drift?.status === 'Drifted';
  const cell = JSON.stringify([stage, desiredVersion, appliedVersion, state.health?.status ?? null, syncStatusOf(state), isDrifted]);
  return {
    cluster: state.cluster,
    component: state.component,
    stage,
    desiredVersion,
    appliedVersion,
    isRemoved: state.desired?.isRemoved === true,
    row,
    itemHead: undefined,
    cellText: cell.slice(1, -1),
    hasProblem: state.problem !== null,
    matrixRow: undefined,
  };
}

/** The route's own serializers (compiled from the response schemas), so the text is what the SQL path sends. */
export interface InventorySerializers {
  item(item: unknown): string;
  skew(skew: Skew): string;
  /** The page with no items: the joined items go between its brackets. */
  emptyPage(page: { items: []; nextCursor: string | null }): string;
}

const isSkewed = (skew: Skew) => skew.isDesiredSkewed || skew.isAppliedSkewed;

function pageOf(snapshot: FleetSnapshot<InventoryEntry>, selection: FleetSelection, skewFilter: boolean | undefined) {
  const page = snapshot.select(selection);
  // A filter on the page, not the selection, as the SQL path does: skew is known only per group.
  const items = skewFilter === undefined ? page.items : page.items.filter((e) => isSkewed(snapshot.skewOf(e)) === skewFilter);
  return { items, next: page.next };
}

export function inventoryDocument(
  snapshot: FleetSnapshot<InventoryEntry>,
  selection: FleetSelection,
  skewFilter: boolean | undefined,
  cursorOf: (next: PairKey | null) => string | null,
  serializers: InventorySerializers,
): string {
  const { items, next } = pageOf(snapshot, selection, skewFilter);
  const noSkewText = serializers.skew(NO_SKEW);
  const empty = serializers.emptyPage({ items: [], nextCursor: cursorOf(next) });
  const at = empty.indexOf('[]') + 1;
  // Appending (a rope V8 flattens once) is several times faster than template literals and join here.
  let text = empty.slice(0, at);
  let separator = '';
  for (const entry of items) {
    const group = snapshot.groupOf(entry);
    const skewText = group === undefined ? noSkewText : (group.text ??= serializers.skew(group.skew));
    text += separator + headOf(entry, noSkewText, serializers) + skewText + '}';
    separator = ',';
  }
  return text + empty.slice(at);
}

/** The item's JSON up to its skew: serialized with no skew once, the skew's text cut off. */
function headOf(entry: InventoryEntry, noSkewText: string, serializers: InventorySerializers): string {
  if (entry.itemHead !== undefined) return entry.itemHead;
  const [item] = presentInventory(entry.row === undefined ? [] : [entry.row], []);
  const text = serializers.item(item);
  const tail = `"skew":${noSkewText}}`;
  if (!text.endsWith(tail)) throw new Error('inventory item serialization does not end with its skew; the response schema changed its order');
  entry.itemHead = text.slice(0, text.length - tail.length + '"skew":'.length);
  entry.row = undefined;
  return entry.itemHead;
}

const COLUMNS_TEXT = JSON.stringify(MATRIX_COLUMNS);

/** The fleet matrix, as `JSON.stringify({ clusters, components, rows, columns, nextCursor })` of the SQL path. */
export function matrixDocument(
  snapshot: FleetSnapshot<InventoryEntry>,
  selection: FleetSelection,
  skewFilter: boolean | undefined,
  cursorOf: (next: PairKey | null) => string | null,
): string {
  const isWholeFleet =
    selection.cluster === undefined && selection.component === undefined && selection.stage === undefined && selection.after === undefined && skewFilter === undefined && snapshot.size <= selection.limit;
  if (isWholeFleet) return wholeFleetMatrix(snapshot, cursorOf(null));
  const { items, next } = pageOf(snapshot, selection, skewFilter);
  const names = namesOf(items);
  return matrixHead(names) + rowsText(snapshot, items, names) + matrixTail(cursorOf(next));
}

interface MatrixNames {
  clusters: string[];
  components: string[];
  clusterIndex: Map<string, number>;
  componentIndex: Map<string, number>;
}

function namesOf(items: readonly InventoryEntry[]): MatrixNames {
  const clusters = [...new Set(items.map((e) => e.cluster))].sort();
  const components = [...new Set(items.map((e) => e.component))].sort();
  return { clusters, components, clusterIndex: new Map(clusters.map((name, i) => [name, i])), componentIndex: new Map(components.map((name, i) => [name, i])) };
}

const matrixHead = (names: MatrixNames) => '{"clusters":' + JSON.stringify(names.clusters) + ',"components":' + JSON.stringify(names.components) + ',"rows":[';
const matrixTail = (cursor: string | null) => '],"columns":' + COLUMNS_TEXT + ',"nextCursor":' + JSON.stringify(cursor) + '}';

/** The rows, comma-separated; a pair keeps its row's text while its indexes and skew flag stay. */
function rowsText(snapshot: FleetSnapshot<InventoryEntry>, items: readonly InventoryEntry[], names: MatrixNames): string {
  let text = '';
  let separator = '';
  for (const e of items) {
    const cluster = names.clusterIndex.get(e.cluster) ?? -1;
    const component = names.componentIndex.get(e.component) ?? -1;
    const skewed = isSkewed(snapshot.skewOf(e));
    let row = e.matrixRow;
    if (row === undefined || row.cluster !== cluster || row.component !== component || row.isSkewed !== skewed) {
      row = { text: '[' + cluster + ',' + component + ',' + e.cellText + ',' + skewed + ',' + e.hasProblem + ']', cluster, component, isSkewed: skewed };
      e.matrixRow = row;
    }
    text += separator + row.text;
    separator = ',';
  }
  return text;
}

/** What the whole-fleet matrix keeps between requests: its names while no pair comes or goes, each cluster's rows while they stay. */
interface WholeFleet {
  membershipRevision: number;
  names: MatrixNames;
  head: string;
  chunks: Map<string, { clusterRevision: number; skewFlagsRevision: number; text: string }>;
}

const wholeFleets = new WeakMap<FleetSnapshot<InventoryEntry>, WholeFleet>();

/** The most asked-for document (a fleet view polling) joined from per-cluster chunks: under ingest only the clusters that changed are built again. */
function wholeFleetMatrix(snapshot: FleetSnapshot<InventoryEntry>, cursor: string | null): string {
  let fleet = wholeFleets.get(snapshot);
  if (fleet === undefined || fleet.membershipRevision !== snapshot.membershipRevision) {
    const names = namesOf(snapshot.select({ limit: snapshot.size }).items);
    fleet = { membershipRevision: snapshot.membershipRevision, names, head: matrixHead(names), chunks: new Map() };
    wholeFleets.set(snapshot, fleet);
  }
  let text = fleet.head;
  let separator = '';
  for (const cluster of fleet.names.clusters) {
    const clusterRevision = snapshot.revisionOf(cluster);
    let chunk = fleet.chunks.get(cluster);
    if (chunk === undefined || chunk.clusterRevision !== clusterRevision || chunk.skewFlagsRevision !== snapshot.skewFlagsRevision) {
      chunk = { clusterRevision, skewFlagsRevision: snapshot.skewFlagsRevision, text: rowsText(snapshot, snapshot.ofCluster(cluster), fleet.names) };
      fleet.chunks.set(cluster, chunk);
    }
    text += separator + chunk.text;
    separator = ',';
  }
  return text + matrixTail(cursor);
}
