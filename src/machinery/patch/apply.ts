// Server-side apply field management: a simplified model of structured-merge-diff.
// A field set is a set of paths; a path is a list of path elements as they appear in
// FieldsV1: "f:<field>", "k:<json of list-map keys>" for associative list items and
// "v:<json value>" for set items. Atomic lists and maps are owned as a whole. Each
// managedFields entry is a manager's field set; an apply merges the configuration into the
// live object, reports conflicts with other managers that own changed fields, and prunes
// fields the applier stopped setting when nobody else owns them.
import { StatusError } from '../errors.js';
import type { SchemaNode } from '../schema.js';
import { clone, deepEqual, isObject, type JsonObject } from './json.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: 'Apply' | 'Update';
  apiVersion?: string;
  time?: string;
  fieldsType?: 'FieldsV1';
  fieldsV1?: JsonObject;
  subresource?: string;
}

export interface FieldConflict { manager: string; field: string; entry: ManagedFieldsEntry }

export type ApplyResult =
  | { object: JsonObject; managedFields: ManagedFieldsEntry[]; conflicts?: undefined }
  | { conflicts: FieldConflict[]; object?: undefined; managedFields?: undefined };

export interface ManagedFieldsOptions {
  /** RFC 3339 timestamp recorded in the entry; defaults to now. */
  time?: string;
  /** apiVersion recorded in the entry; defaults to the object's apiVersion. */
  apiVersion?: string;
}

type Path = string[];
/** A field set: JSON-encoded paths. */
type FieldSet = Set<string>;

const enc = (p: Path) => JSON.stringify(p);
const dec = (s: string) => JSON.parse(s) as Path;

// Server-owned fields never recorded in managedFields (upstream's stripped set).
const STRIPPED = new Set([['f:apiVersion'], ['f:kind'], ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((f) => ['f:metadata', `f:${f}`])].map(enc));

function stripped(p: Path): boolean {
  if (STRIPPED.has(enc(p))) return true;
  return p.length > 2 && p[0] === 'f:metadata' && STRIPPED.has(enc(p.slice(0, 2)));
}

function fieldNode(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (schema?.type === 'object') return schema.property(key);
  if (schema?.type === 'map') return schema.elements();
  return undefined;
}

type ListKind = { kind: 'atomic' } | { kind: 'set' } | { kind: 'map'; keys: string[] };

/** How list items are identified: x-kubernetes-list-type first, else the patch strategy. */
function listKind(schema: SchemaNode | undefined): ListKind {
  if (schema?.type !== 'array') return { kind: 'atomic' };
  const mergeKey = schema.patchMergeKey;
  const merge = (schema.patchStrategy ?? '').split(',').includes('merge');
  const type = schema.listType ?? (merge ? (mergeKey ? 'map' : 'set') : 'atomic');
  if (type === 'map') {
    const keys = schema.listMapKeys?.length ? schema.listMapKeys : mergeKey ? [mergeKey] : [];
    return keys.length ? { kind: 'map', keys } : { kind: 'atomic' };
  }
  return { kind: type };
}

function atomicMap(schema: SchemaNode | undefined): boolean {
  return schema?.mapType === 'atomic';
}

/** Path element of a list item, or undefined if the item cannot be identified. */
function itemElement(item: unknown, lk: ListKind): string | undefined {
  if (lk.kind === 'set') return `v:${JSON.stringify(item)}`;
  if (lk.kind !== 'map' || !isObject(item)) return undefined;
  const key: JsonObject = {};
  for (const k of [...lk.keys].sort()) if (item[k] !== undefined) key[k] = item[k];
  return Object.keys(key).length ? `k:${JSON.stringify(key)}` : undefined;
}

function collect(value: unknown, schema: SchemaNode | undefined, path: Path, out: FieldSet): void {
  if (isObject(value)) {
    if (path.length && (atomicMap(schema) || Object.keys(value).length === 0)) {
      out.add(enc(path));
      return;
    }
    for (const [k, v] of Object.entries(value)) {
      const p = [...path, `f:${k}`];
      if (v === null) out.add(enc(p));
      else collect(v, fieldNode(schema, k), p, out);
    }
    return;
  }
  if (Array.isArray(value)) {
    const lk = listKind(schema);
    const elem = schema?.elements();
    const pes = value.map((v) => itemElement(v, lk));
    if (lk.kind === 'atomic' || pes.some((pe) => pe === undefined)) {
      out.add(enc(path));
      return;
    }
    value.forEach((item, i) => {
      const p = [...path, pes[i] as string];
      out.add(enc(p));
      if (lk.kind === 'map' && isObject(item)) {
        for (const [k, v] of Object.entries(item)) {
          const c = [...p, `f:${k}`];
          if (v === null) out.add(enc(c));
          else collect(v, fieldNode(elem, k), c, out);
        }
      }
    });
    return;
  }
  out.add(enc(path));
}

function fieldPaths(obj: unknown, schema: SchemaNode | undefined): FieldSet {
  const all = new Set<string>();
  collect(obj, schema, [], all);
  return new Set([...all].filter((s) => s !== enc([]) && !stripped(dec(s))));
}

const KIND_ORDER: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };
function compareElements(a: string, b: string): number {
  const d = (KIND_ORDER[a[0]] ?? 9) - (KIND_ORDER[b[0]] ?? 9);
  return d || (a < b ? -1 : a > b ? 1 : 0);
}

/** Encodes a field set as FieldsV1 JSON ("." marks a member that also has children). */
function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const s of set) {
    let node = root;
    for (const pe of dec(s)) node = (node[pe] ??= {}) as JsonObject;
    node['.'] = {};
  }
  return finishFieldsV1(root);
}

/** Orders a FieldsV1 tree as upstream serializes it; "." stays only on members that have children. */
function finishFieldsV1(node: JsonObject): JsonObject {
  const keys = Object.keys(node).filter((k) => k !== '.').sort(compareElements);
  if (keys.length === 0) return {};
  const out: JsonObject = Object.hasOwn(node, '.') ? { '.': {} } : {};
  for (const k of keys) out[k] = finishFieldsV1(node[k] as JsonObject);
  return out;
}

function fromFieldsV1(fields: unknown): FieldSet {
  const out: FieldSet = new Set();
  const walk = (node: unknown, path: Path) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (path.length && (keys.length === 0 || keys.includes('.'))) out.add(enc(path));
    for (const k of keys) if (k !== '.') walk(node[k], [...path, k]);
  };
  walk(fields, []);
  return out;
}

const STRIPPED_TOP = new Set(['f:apiVersion', 'f:kind', 'f:metadata']);
const STRIPPED_META = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
  .map((f) => `f:${f}`));

/**
 * The FieldsV1 document of every field set in `obj` (server-owned metadata excluded),
 * built as a tree in one walk: the same document as toFieldsV1(fieldPaths(obj)) without
 * encoding each path (this runs on every create).
 */
function fieldsTree(obj: unknown, schema: SchemaNode | undefined): JsonObject {
  const root: JsonObject = {};
  const path: string[] = [];
  const leaf = () => {
    const n = path.length;
    if (n === 0 || (n === 1 && STRIPPED_TOP.has(path[0])) || (n >= 2 && path[0] === 'f:metadata' && STRIPPED_META.has(path[1]))) return;
    let node = root;
    for (const pe of path) node = (node[pe] ??= {}) as JsonObject;
    node['.'] = {};
  };
  const fields = (value: JsonObject, schema: SchemaNode | undefined) => {
    for (const k in value) {
      const v = value[k];
      path.push(`f:${k}`);
      if (v === null) leaf();
      else walk(v, fieldNode(schema, k));
      path.pop();
    }
  };
  const walk = (value: unknown, schema: SchemaNode | undefined): void => {
    if (isObject(value)) {
      if (path.length && (atomicMap(schema) || Object.keys(value).length === 0)) return leaf();
      return fields(value, schema);
    }
    if (Array.isArray(value)) {
      const lk = listKind(schema);
      const pes = lk.kind === 'atomic' ? [] : value.map((v) => itemElement(v, lk));
      if (lk.kind === 'atomic' || pes.some((pe) => pe === undefined)) return leaf();
      const elem = schema?.elements();
      value.forEach((item, i) => {
        path.push(pes[i] as string);
        leaf();
        if (lk.kind === 'map' && isObject(item)) fields(item, elem);
        path.pop();
      });
      return;
    }
    leaf();
  };
  walk(obj, schema);
  return finishFieldsV1(root);
}

/** The FieldsV1 document of every field set in `obj` (server-owned metadata excluded). */
export function computeFieldSet(obj: unknown, schema: SchemaNode | undefined): JsonObject {
  return fieldsTree(obj, schema);
}

/** Renders a path as upstream prints it in conflicts: `.spec.containers[name="web"].image`. */
export function pathString(p: Path): string {
  return p.map((pe) => {
    const body = pe.slice(2);
    if (pe.startsWith('f:')) return `.${body}`;
    if (pe.startsWith('v:')) return `[=${body}]`;
    if (pe.startsWith('k:')) {
      const key = JSON.parse(body) as JsonObject;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
    return `[${body}]`;
  }).join('');
}

/** Child of `cur` addressed by one path element, or undefined. */
function child(cur: unknown, pe: string): unknown {
  const body = pe.slice(2);
  if (pe.startsWith('f:')) return isObject(cur) ? cur[body] : undefined;
  if (!Array.isArray(cur)) return undefined;
  return cur.find((item) => matches(item, pe));
}

function matches(item: unknown, pe: string): boolean {
  const body = JSON.parse(pe.slice(2)) as unknown;
  if (pe.startsWith('v:')) return deepEqual(item, body);
  return isObject(item) && isObject(body) && Object.entries(body).every(([k, v]) => deepEqual(item[k], v));
}

function valueAt(obj: unknown, p: Path): unknown {
  let cur = obj;
  for (const pe of p) {
    cur = child(cur, pe);
    if (cur === undefined) return undefined;
  }
  return cur;
}

function removeAt(obj: unknown, p: Path): void {
  const parent = valueAt(obj, p.slice(0, -1));
  const pe = p[p.length - 1];
  if (pe.startsWith('f:') && isObject(parent)) {
    delete parent[pe.slice(2)];
  } else if (Array.isArray(parent)) {
    for (let i = parent.length - 1; i >= 0; i--) if (matches(parent[i], pe)) parent.splice(i, 1);
  }
}

interface Comparison { changed: FieldSet; removed: FieldSet }

/** Fields added or modified (leaf values that differ) from `before` to `after`, and fields removed. */
function compare(before: unknown, after: unknown, schema: SchemaNode | undefined): Comparison {
  const a = fieldPaths(before, schema);
  const b = fieldPaths(after, schema);
  const parents = new Set<string>();
  for (const s of b) {
    const p = dec(s);
    for (let i = 1; i < p.length; i++) parents.add(enc(p.slice(0, i)));
  }
  const changed: FieldSet = new Set();
  for (const s of b) {
    if (!a.has(s)) changed.add(s);
    else if (!parents.has(s) && !deepEqual(valueAt(before, dec(s)), valueAt(after, dec(s)))) changed.add(s);
  }
  return { changed, removed: new Set([...a].filter((s) => !b.has(s))) };
}

/** Server-side apply merge: maps merge, associative and set lists merge by item identity, the rest is replaced. */
function merge(live: unknown, config: unknown, schema: SchemaNode | undefined): unknown {
  if (isObject(config)) {
    if (!isObject(live) || atomicMap(schema)) return withoutNulls(config);
    const out = clone(live);
    for (const [k, v] of Object.entries(config)) {
      if (v === null) delete out[k];
      else out[k] = merge(live[k], v, fieldNode(schema, k));
    }
    return out;
  }
  if (Array.isArray(config)) {
    const lk = listKind(schema);
    const lhs = Array.isArray(live) ? live : [];
    const lPEs = lhs.map((v) => itemElement(v, lk));
    const rPEs = config.map((v) => itemElement(v, lk));
    if (lk.kind === 'atomic' || [...lPEs, ...rPEs].some((pe) => pe === undefined)) return withoutNulls(config);
    return mergeList(lhs, config, lPEs as string[], rPEs as string[], schema?.elements());
  }
  return config;
}

/**
 * Keeps live-only items where they are, takes shared and new items in the configuration's
 * order (structured-merge-diff's list merge).
 */
function mergeList(lhs: unknown[], rhs: unknown[], lPEs: string[], rPEs: string[], elem: SchemaNode | undefined): unknown[] {
  const lIndex = new Map<string, number>();
  lPEs.forEach((pe, i) => { if (!lIndex.has(pe)) lIndex.set(pe, i); });
  const rSet = new Set(rPEs);
  const shared = rPEs.filter((pe) => lIndex.has(pe));
  let s = 0;
  const done = new Set<string>();
  const out: unknown[] = [];
  const takeRight = (ri: number) => {
    const pe = rPEs[ri];
    done.add(pe);
    const li = lIndex.get(pe);
    out.push(merge(li === undefined ? undefined : lhs[li], rhs[ri], elem));
    if (shared[s] === pe) s++;
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    if (li < lhs.length && ri < rhs.length) {
      const pe = lPEs[li];
      if (pe === rPEs[ri] && !done.has(pe)) {
        takeRight(ri++);
        li++;
        continue;
      }
      if (rSet.has(pe) && s < shared.length && shared[s] !== pe && !done.has(pe)) {
        li++;
        continue;
      }
    }
    if (li < lhs.length) {
      const pe = lPEs[li];
      if (!rSet.has(pe)) {
        out.push(clone(lhs[li++]));
        continue;
      }
      if (done.has(pe)) {
        li++;
        continue;
      }
    }
    if (ri < rhs.length) takeRight(ri++);
    else li++;
  }
  return out;
}

function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
  return v;
}

function identity(e: ManagedFieldsEntry): string {
  return JSON.stringify([e.manager ?? '', e.operation ?? '', e.subresource ?? '', e.operation === 'Apply' ? '' : e.apiVersion ?? '']);
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Upstream's managedFields order: Apply before Update, then time, manager, apiVersion, subresource. */
function sortEntries(entries: ManagedFieldsEntry[]): ManagedFieldsEntry[] {
  const key = (e: ManagedFieldsEntry) => [e.operation ?? '', e.time ? Date.parse(e.time) : 0, e.manager ?? '', e.apiVersion ?? '', e.subresource ?? ''] as const;
  return entries.sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  });
}

interface Owned { entry: ManagedFieldsEntry; set: FieldSet }

function decodeEntries(managedFields: unknown): Owned[] {
  if (!Array.isArray(managedFields)) return [];
  return managedFields.filter(isObject).map((e) => ({ entry: e as ManagedFieldsEntry, set: fromFieldsV1(e.fieldsV1) }));
}

function encodeEntries(owned: Owned[]): ManagedFieldsEntry[] {
  return sortEntries(owned.filter((o) => o.set.size > 0).map((o) => ({ ...o.entry, fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(o.set) })));
}

function withManagedFields(obj: JsonObject, managedFields: ManagedFieldsEntry[]): JsonObject {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const out: JsonObject = { ...obj, metadata: { ...meta, managedFields } };
  if (managedFields.length === 0) delete (out.metadata as JsonObject).managedFields;
  return out;
}

/**
 * Server-side apply of configuration `applied` by `manager` onto `live` (undefined when the
 * object does not exist yet). Returns the merged object, carrying its new managedFields, or
 * the conflicts with other managers when `force` is false.
 */
export function applyConfiguration(live: unknown, applied: unknown, managedFields: unknown, manager: string, force: boolean,
  schema: SchemaNode | undefined, opts: ManagedFieldsOptions = {}): ApplyResult {
  const config = isObject(applied) ? clone(applied) : {};
  if (isObject(config.metadata)) delete config.metadata.managedFields;
  const base = isObject(live) ? live : {};
  const merged = merge(base, config, schema) as JsonObject;

  const { changed } = compare(base, merged, schema);
  const self: ManagedFieldsEntry = { manager, operation: 'Apply' };
  const owned = decodeEntries(managedFields);
  const mine = owned.find((o) => identity(o.entry) === identity(self));
  const others = owned.filter((o) => o !== mine);

  const conflicts: FieldConflict[] = [];
  for (const o of others) {
    const clash = [...o.set].filter((s) => changed.has(s));
    if (force) clash.forEach((s) => o.set.delete(s));
    else for (const s of clash) conflicts.push({ manager: o.entry.manager ?? '', field: pathString(dec(s)), entry: o.entry });
  }
  if (conflicts.length) return { conflicts };

  const appliedSet = fieldPaths(config, schema);
  const ownedByOthers = new Set(others.flatMap((o) => [...o.set]));
  const claimedBelow = (s: string) => {
    const prefix = s.slice(0, -1);
    return [...ownedByOthers].some((o) => o === s || o.startsWith(`${prefix},`));
  };
  const toRemove = [...(mine?.set ?? [])].filter((s) => !appliedSet.has(s) && !claimedBelow(s));
  // Outermost first: once a list item is gone, its fields need no removal (and could no longer identify it).
  for (const p of toRemove.map(dec).sort((a, b) => a.length - b.length)) removeAt(merged, p);

  const entry: ManagedFieldsEntry = {
    manager, operation: 'Apply', apiVersion: opts.apiVersion ?? (typeof config.apiVersion === 'string' ? config.apiVersion : undefined),
    time: opts.time ?? now(),
  };
  const managed = encodeEntries([...others, { entry, set: appliedSet }]);
  return { object: withManagedFields(merged, managed), managedFields: managed };
}

/**
 * Records a non-apply write (create, update, patch) by `manager`: fields it added or changed
 * become its own and leave every other manager; fields it removed leave every manager.
 * `before` is undefined on create. Returns the new managedFields list.
 */
export function updateManagedFields(before: unknown, after: unknown, managedFields: unknown, manager: string,
  schema: SchemaNode | undefined, opts: ManagedFieldsOptions = {}): ManagedFieldsEntry[] {
  const apiVersion = opts.apiVersion ?? (isObject(after) && typeof after.apiVersion === 'string' ? after.apiVersion : undefined);
  if (!isObject(before) && !(Array.isArray(managedFields) && managedFields.length)) {
    // A create with no entries yet: the writer owns every field it set.
    const fieldsV1 = fieldsTree(after, schema);
    if (Object.keys(fieldsV1).length === 0) return [];
    return [{ manager, operation: 'Update', apiVersion, time: opts.time ?? now(), fieldsType: 'FieldsV1', fieldsV1 }];
  }
  const { changed, removed } = compare(isObject(before) ? before : {}, after, schema);
  const self: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion };
  const owned = decodeEntries(managedFields);
  let mine = owned.find((o) => identity(o.entry) === identity(self));
  for (const o of owned) for (const s of [...changed, ...removed]) o.set.delete(s);
  if (changed.size) {
    if (!mine) owned.push((mine = { entry: self, set: new Set() }));
    mine.entry = { ...mine.entry, time: opts.time ?? now() };
    for (const s of changed) mine.set.add(s);
  }
  return encodeEntries(owned);
}

/** Upstream's 409 for apply conflicts, with one FieldManagerConflict cause per field. */
export function applyConflictError(conflicts: FieldConflict[]): StatusError {
  const who = (e: ManagedFieldsEntry) => {
    let s = JSON.stringify(e.manager ?? '');
    if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
    if (e.operation === 'Update') s += ` using ${e.apiVersion ?? ''}${e.time ? ` at ${e.time}` : ''}`;
    return s;
  };
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0].entry)}: ${conflicts[0].field}`;
  } else {
    const byManager = new Map<string, FieldConflict[]>();
    for (const c of conflicts) byManager.set(who(c.entry), [...(byManager.get(who(c.entry)) ?? []), c]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((c) => `- ${c.field}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${who(c.entry)}`, field: c.field })),
  });
}
