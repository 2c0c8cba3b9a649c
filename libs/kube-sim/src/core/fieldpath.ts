/**
 * Field sets in the API server's own `FieldsV1` vocabulary. A path element is written as the
 * real server writes it: `f:<field>`, `k:{"name":"app"}` (an associative-list item by its
 * keys), `v:"value"` (a set item), `i:<n>` (a positional item). A set holds member paths and
 * serialises to the nested FieldsV1 object kept in `metadata.managedFields`.
 */
import type { Json, JsonObject } from './json.js';
import { isObject } from './json.js';

export type PathElement = string;
export type FieldPath = readonly PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (value: Json): PathElement => `v:${JSON.stringify(value)}`;
export const indexElement = (index: number): PathElement => `i:${index}`;

/** `k:{...}` with the key fields sorted by name, as structured-merge-diff serialises them. */
export function keyElement(keys: Readonly<Record<string, Json>>): PathElement {
  const sorted: JsonObject = {};
  for (const name of Object.keys(keys).sort()) sorted[name] = keys[name] ?? null;
  return `k:${JSON.stringify(sorted)}`;
}

const KIND_ORDER: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

function compareElements(a: PathElement, b: PathElement): number {
  const ka = KIND_ORDER[a.charAt(0)] ?? 9;
  const kb = KIND_ORDER[b.charAt(0)] ?? 9;
  if (ka !== kb) return ka - kb;
  if (a.startsWith('i:') && b.startsWith('i:')) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

function goValueString(value: Json): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
}

/** `.spec.template.spec.containers[name="app"].image`: how conflicts name a field. */
export function pathToString(path: FieldPath): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe.charAt(0)) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        const keys = JSON.parse(body) as JsonObject;
        out += `[${Object.entries(keys)
          .map(([k, v]) => `${k}=${goValueString(v)}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${goValueString(JSON.parse(body) as Json)}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

/** A set of field paths, stored as a tree: `members` are the paths ending at this node's children. */
export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static of(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    const parent = path.slice(0, -1).reduce<FieldSet>((node, pe) => node.childSet(pe), this);
    parent.members.add(path[path.length - 1] as PathElement);
  }

  private childSet(pe: PathElement): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  /** The subset below `pe` (empty when nothing is there). */
  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    const parent = this.descend(path.slice(0, -1));
    return parent !== undefined && parent.members.has(path[path.length - 1] as PathElement);
  }

  /** Whether any member path lies strictly below `path`. */
  hasDescendant(path: FieldPath): boolean {
    const node = this.descend(path);
    return node !== undefined && !node.isEmpty();
  }

  /** The subset reached by following `path` through children, if any. */
  private descend(path: FieldPath): FieldSet | undefined {
    if (path.length === 0) return this;
    let node: FieldSet | undefined = this.children.get(path[0] as PathElement);
    for (let i = 1; i < path.length && node; i++) node = node.children.get(path[i] as PathElement);
    return node;
  }

  /** Whether `path` or anything below it is a member. */
  touches(path: FieldPath): boolean {
    return this.has(path) || this.hasDescendant(path);
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  /** Every member path, in serialisation order. */
  paths(prefix: PathElement[] = []): PathElement[][] {
    const out: PathElement[][] = [];
    const keys = new Set<PathElement>([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(compareElements)) {
      if (this.members.has(pe)) out.push([...prefix, pe]);
      const c = this.children.get(pe);
      if (c) out.push(...c.paths([...prefix, pe]));
    }
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    out.addAll(other);
    return out;
  }

  private addAll(other: FieldSet): void {
    for (const m of other.members) this.members.add(m);
    for (const [pe, c] of other.children) this.childSet(pe).addAll(c);
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.addAll(this);
    return out;
  }

  /** Members of this set that are not members of `other` (children compared member by member). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = other.children.get(pe);
      const d = oc ? c.difference(oc) : c.copy();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = other.children.get(pe);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.isEmpty()) out.children.set(pe, i);
    }
    return out;
  }

  /** This set without every path that has a member of `other` as a prefix (or equals one). */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (other.members.has(pe)) continue;
      const oc = other.children.get(pe);
      const d = oc ? c.recursiveDifference(oc) : c.copy();
      if (!d.isEmpty()) out.children.set(pe, d);
    }
    return out;
  }

  /** Keeps only paths below (or at) `prefix`. */
  onlyUnder(prefix: FieldPath): FieldSet {
    const out = new FieldSet();
    if (prefix.length === 0) return this.copy();
    const src = this.descend(prefix.slice(0, -1));
    if (!src) return out;
    const dst = prefix.slice(0, -1).reduce<FieldSet>((node, pe) => node.childSet(pe), out);
    const last = prefix[prefix.length - 1] as PathElement;
    if (src.members.has(last)) dst.members.add(last);
    const c = src.children.get(last);
    if (c) dst.children.set(last, c.copy());
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    const keys = new Set<PathElement>([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(compareElements)) {
      const c = this.children.get(pe);
      const sub: JsonObject = c && !c.isEmpty() ? c.toFieldsV1() : {};
      if (c && !c.isEmpty() && this.members.has(pe)) {
        out[pe] = { '.': {}, ...sub };
      } else if (this.members.has(pe) || Object.keys(sub).length > 0) {
        out[pe] = sub;
      }
    }
    return out;
  }

  static fromFieldsV1(value: Json | undefined): FieldSet {
    const set = new FieldSet();
    if (isObject(value)) set.readFieldsV1(value);
    return set;
  }

  private readFieldsV1(obj: JsonObject): void {
    for (const [pe, sub] of Object.entries(obj)) {
      if (pe === '.') continue;
      if (!isObject(sub)) continue;
      const keys = Object.keys(sub);
      if (keys.length === 0 || keys.includes('.')) this.members.add(pe);
      if (keys.some((k) => k !== '.')) this.childSet(pe).readFieldsV1(sub);
    }
  }
}
