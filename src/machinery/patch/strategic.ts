// Strategic merge patch, as the Kubernetes API server applies it. Semantics follow the
// schema's patch metadata (patchStrategy / patchMergeKey of the field holding a value):
// maps merge recursively and null deletes; lists whose field has strategy "merge" are
// merged (by merge key for objects, as sets for primitives); other lists are replaced.
// Directives: `$patch` (replace | delete | merge) in maps and list items,
// `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and `$retainKeys`.
// Without a schema this degrades to JSON merge patch semantics plus the directives.
import { errors } from '../errors.js';
import type { SchemaNode } from '../schema.js';
import { clone, isObject, jsonKind, unprocessable, type JsonObject } from './json.js';

const PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_FROM = '$deleteFromPrimitiveList';

/** Applies a strategic merge patch to a copy of `original`. Malformed directives throw 400. */
export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: SchemaNode | undefined): unknown {
  if (!isObject(patch)) throw errors.badRequest(`strategic merge patch must be a JSON object, got ${jsonKind(patch)}`);
  return mergeMap(isObject(original) ? clone(original) : {}, patch, schema);
}

const bad = (msg: string) => errors.badRequest(msg);
const show = (v: unknown) => JSON.stringify(v);

/** Schema node of the value stored under `key` of a value described by `schema`. */
function fieldNode(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (schema?.type === 'object') return schema.property(key);
  if (schema?.type === 'map') return schema.elements();
  return undefined;
}

/** The field's strategy other than retainKeys (which only matters when patches are generated). */
function strategyOf(node: SchemaNode | undefined): string {
  return (node?.patchStrategy ?? '').split(',').map((s) => s.trim()).find((s) => s && s !== 'retainKeys') ?? '';
}

/** "$setElementOrder/containers" -> "containers". */
function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw bad(prefix === SET_ORDER ? 'invalid patch format of setElementOrder list' : 'invalid patch format of primitive list');
  }
  return key.slice(slash + 1);
}

function noMergeKey(item: unknown, mergeKey: string) {
  return bad(`map: ${show(item)} does not contain declared merge key: ${mergeKey}`);
}

const unknownPatchType = (directive: unknown, m: JsonObject) => bad(`unknown patch type: ${String(directive)} in map: ${show(m)}`);

/** Merges `patch` into `original`, which the caller owns and which may be modified. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  const work: JsonObject = { ...patch };
  if (Object.hasOwn(work, PATCH)) {
    const directive = work[PATCH];
    delete work[PATCH];
    if (directive === 'delete') return {};
    if (directive === 'replace') original = {};
    else if (directive !== 'merge') throw unknownPatchType(directive, patch);
  }
  applyRetainKeys(original, work);
  applySetElementOrder(original, work, schema);

  const deletions: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(work)) {
    if (key.startsWith(DELETE_FROM)) {
      deletions.push([directiveTarget(key, DELETE_FROM), value]);
      continue;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    const node = fieldNode(schema, key);
    const current = original[key];
    if (isObject(current) && isObject(value)) {
      if (strategyOf(node) === 'replace') setFresh(original, key, value, node);
      else original[key] = mergeMap(current, value, node);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      original[key] = strategyOf(node) === 'merge' ? mergeList(current, value, node, false) : freshList(value, node);
    } else {
      setFresh(original, key, value, node);
    }
  }
  // Deletions run after additions so a patch that both sets and prunes a list is deterministic.
  for (const [key, value] of deletions) {
    if (!Array.isArray(value)) throw bad('invalid patch format of primitive list');
    const current = original[key];
    if (Array.isArray(current)) original[key] = mergeList(current, value, fieldNode(schema, key), true);
  }
  return original;
}

/** `$retainKeys`: drop every member of `original` not listed; the patch may only set listed keys. */
function applyRetainKeys(original: JsonObject, work: JsonObject): void {
  if (!Object.hasOwn(work, RETAIN_KEYS)) return;
  const keep = work[RETAIN_KEYS];
  delete work[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw bad('invalid patch format of retainKeys');
  const keys = new Set(keep);
  for (const [k, v] of Object.entries(work)) {
    if (v === null || k.startsWith(DELETE_FROM) || k.startsWith(SET_ORDER)) continue;
    if (!keys.has(k)) throw bad('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(original)) if (!keys.has(k)) delete original[k];
}

/**
 * `$setElementOrder/<list>`: merge the list (if the patch carries it) and then order the
 * result: items named in the directive in its order, the other (server-only) items keeping
 * their place relative to the live list. Removes the handled keys from `work`.
 */
function applySetElementOrder(original: JsonObject, work: JsonObject, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(work)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = work[key];
    delete work[key];
    if (!Array.isArray(order)) throw bad('invalid patch format of setElementOrder list');
    const listKey = directiveTarget(key, SET_ORDER);
    const node = fieldNode(schema, listKey);
    const mergeKey = node?.patchMergeKey ?? '';
    const current = original[listKey];
    const patchList = work[listKey];
    const hasCurrent = Array.isArray(current);
    const hasPatch = Array.isArray(patchList);
    // A non-list on either side is left to the ordinary merge below.
    if ((current !== undefined && !hasCurrent) || (patchList !== undefined && !hasPatch)) continue;
    if (hasPatch) validateOrder(patchList, order, mergeKey);
    let merged: unknown[];
    if (hasCurrent && hasPatch) {
      merged = strategyOf(node) === 'merge' ? mergeList(current, patchList, node, false) : freshList(patchList, node);
    } else if (hasCurrent) {
      merged = current;
    } else if (hasPatch) {
      merged = freshList(patchList, node);
    } else {
      continue;
    }
    original[listKey] = orderList(merged, order, hasCurrent ? current : [], mergeKey);
    delete work[listKey];
  }
}

/** The patch list's items (deletions aside) must appear in `$setElementOrder` in the same relative order. */
function validateOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (mergeKey) {
    for (const o of order) if (!isObject(o) || !Object.hasOwn(o, mergeKey)) throw noMergeKey(o, mergeKey);
  } else if (order.some((o) => typeof o === 'object' && o !== null)) {
    return; // objects without a merge key cannot be matched; the list is replaced as given
  }
  if (order.length === 0) return;
  const items = patchList.filter((p) => !(isObject(p) && Object.hasOwn(p, PATCH)));
  const keyOf = itemKey(mergeKey);
  let oi = 0;
  for (const item of items) {
    if (mergeKey && (!isObject(item) || !Object.hasOwn(item, mergeKey))) throw noMergeKey(item, mergeKey);
    while (oi < order.length && keyOf(order[oi]) !== keyOf(item)) oi++;
    if (oi === order.length) {
      throw bad(`The order in patch list:\n${show(patchList)}\n doesn't match ${SET_ORDER} list:\n${show(order)}\n`);
    }
    oi++;
  }
}

function itemKey(mergeKey: string): (v: unknown) => unknown {
  return mergeKey ? (v) => (isObject(v) ? v[mergeKey] : undefined) : (v) => v;
}

/** Element kind shared by all items of the given lists: 'object' or 'scalar'. */
function elementKind(...lists: unknown[][]): 'object' | 'scalar' {
  let kind: string | undefined;
  for (const list of lists) {
    for (const v of list) {
      if (Array.isArray(v)) throw unprocessable('lists of lists are not supported');
      const k = jsonKind(v);
      if (kind !== undefined && k !== kind) throw bad(`list element types are not identical: ${show(lists)}`);
      kind = k;
    }
  }
  return kind === 'object' ? 'object' : 'scalar';
}

/** Merges a patch list into a list field with strategy "merge" (or applies a deletion list). */
function mergeList(original: unknown[], patch: unknown[], node: SchemaNode | undefined, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  if (kind === 'scalar') {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    const merged = [...new Set([...original, ...patch])];
    return orderList(merged, patch, original, '');
  }
  if (isDeleteList) throw bad('invalid patch format of primitive list');
  const mergeKey = node?.patchMergeKey ?? '';
  if (!mergeKey) throw errors.internal('cannot merge lists without merge key');
  const elem = node?.elements();

  let live = original;
  const items: JsonObject[] = [];
  let replace = false;
  for (const p of patch as JsonObject[]) {
    if (!Object.hasOwn(p, PATCH)) {
      if (!Object.hasOwn(p, mergeKey)) throw noMergeKey(p, mergeKey);
      items.push(p);
      continue;
    }
    switch (p[PATCH]) {
      case 'delete':
        if (!Object.hasOwn(p, mergeKey)) throw noMergeKey(p, mergeKey);
        live = live.filter((o) => !(isObject(o) && o[mergeKey] === p[mergeKey]));
        break;
      case 'replace':
        replace = true;
        break;
      case 'merge':
        throw bad('merging lists cannot yet be specified in the patch');
      default:
        throw unknownPatchType(p[PATCH], p);
    }
  }
  if (replace) return freshList(items, node);

  const merged = live.slice();
  for (const p of items) {
    const i = merged.findIndex((o) => isObject(o) && o[mergeKey] === p[mergeKey]);
    if (i >= 0) merged[i] = mergeMap(merged[i] as JsonObject, p, elem);
    else merged.push(mergeMap({}, p, elem));
  }
  return orderList(merged, items, live, mergeKey);
}

/**
 * Orders a merged list as upstream does: items present in `order` follow its order; the
 * others keep the relative order they had in `serverOrder`; the two sequences are then
 * interleaved, placing a server-only item before a patch item only when both appear in
 * `serverOrder` in that order. Items new to the server therefore sit where the patch puts
 * them relative to their neighbours.
 */
function orderList(merged: unknown[], order: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  if (!mergeKey && merged.some((v) => typeof v === 'object' && v !== null)) return merged;
  const keyOf = itemKey(mergeKey);
  const positions = (list: unknown[]) => {
    const m = new Map<unknown, number>();
    list.forEach((v, i) => { const k = keyOf(v); if (!m.has(k)) m.set(k, i); });
    return m;
  };
  const inOrder = positions(order);
  const inServer = positions(serverOrder);
  const sortBy = (list: unknown[], pos: Map<unknown, number>) =>
    list.slice().sort((a, b) => (pos.get(keyOf(a)) ?? Infinity) - (pos.get(keyOf(b)) ?? Infinity));
  const fromPatch = sortBy(merged.filter((v) => inOrder.has(keyOf(v))), inOrder);
  const serverOnly = sortBy(merged.filter((v) => !inOrder.has(keyOf(v))), inServer);

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (j >= fromPatch.length) { out.push(serverOnly[i++]); continue; }
    if (i >= serverOnly.length) { out.push(fromPatch[j++]); continue; }
    const li = inServer.get(keyOf(serverOnly[i]));
    const ri = inServer.get(keyOf(fromPatch[j]));
    if (li !== undefined && ri !== undefined && li < ri) out.push(serverOnly[i++]);
    else out.push(fromPatch[j++]);
  }
  return out;
}

/** Stores a patch value that has no mergeable counterpart; `$patch: delete` maps vanish. */
function setFresh(target: JsonObject, key: string, value: unknown, node: SchemaNode | undefined): void {
  if (isObject(value) && value[PATCH] === 'delete') delete target[key];
  else target[key] = fresh(value, node);
}

/** A patch value materialized as data: nulls in maps dropped, directives resolved. */
function fresh(value: unknown, node: SchemaNode | undefined): unknown {
  if (isObject(value)) return mergeMap({}, value, node);
  if (Array.isArray(value)) return freshList(value, node);
  return value;
}

/** Directive items (`{$patch: ...}`) in a list carry no data and are dropped. */
function freshList(list: unknown[], node: SchemaNode | undefined): unknown[] {
  const elem = node?.elements();
  return list.filter((v) => !(isObject(v) && Object.hasOwn(v, PATCH))).map((v) => fresh(v, elem));
}
