// RFC 6902 JSON Patch, with the behaviour the Kubernetes API server exhibits: a malformed
// patch document is 400 BadRequest, an operation that cannot be applied is the generic
// 422 Invalid, and more than 10000 operations is 413. Like upstream, negative array indices
// count from the end and `replace` of a missing object member sets it.
import { errors } from '../errors.js';
import { clone, deepEqual, isObject, jsonKind, unprocessable, type JsonObject } from './json.js';

export const MAX_JSON_PATCH_OPERATIONS = 10000;

type Container = JsonObject | unknown[];

/** Checks the shape of a JSON patch document (an array of operation objects). */
export function validateJsonPatch(patch: unknown): asserts patch is JsonObject[] {
  if (!Array.isArray(patch)) throw errors.badRequest(`json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch`);
  for (const op of patch) {
    if (!isObject(op)) throw errors.badRequest(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.tooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
}

/** Applies a JSON patch to a copy of `doc`; all operations succeed or the call throws. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  validateJsonPatch(patch);
  let root = clone(doc);
  for (const op of patch) {
    try {
      root = applyOperation(root, op);
    } catch (e) {
      if (e instanceof PatchOpError) throw unprocessable(e.message);
      throw e;
    }
  }
  return root;
}

class PatchOpError extends Error {}

function fail(msg: string): never {
  throw new PatchOpError(msg);
}

function stringField(op: JsonObject, name: 'path' | 'from', kind: string): string {
  const v = op[name];
  if (typeof v !== 'string') fail(`${kind} operation failed to decode ${name}: missing value`);
  return v;
}

/** Splits a JSON pointer into the unescaped tokens of the parent path and the last token. */
function parsePointer(path: string): { parents: string[]; key: string } | undefined {
  if (!path.startsWith('/')) return undefined;
  const tokens = path.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  return { parents: tokens.slice(0, -1), key: tokens[tokens.length - 1] };
}

/** Array index as upstream accepts it (optionally signed decimal; negative counts from the end). */
function parseIndex(token: string, length: number): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  let i = Number(token);
  if (i < 0) {
    if (i < -length) return undefined;
    i += length;
  }
  return i < length ? i : undefined;
}

function getChild(c: Container, token: string): unknown {
  if (Array.isArray(c)) {
    const i = parseIndex(token, c.length);
    return i === undefined ? undefined : c[i];
  }
  return Object.hasOwn(c, token) ? c[token] : undefined;
}

/** The container holding the pointer's target, or undefined when a parent is missing. */
function findParent(root: unknown, path: string): { parent: Container; key: string } | undefined {
  const p = parsePointer(path);
  if (!p) return undefined;
  let cur = root;
  for (const t of p.parents) {
    if (!Array.isArray(cur) && !isObject(cur)) return undefined;
    cur = getChild(cur, t);
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  return { parent: cur, key: p.key };
}

function addAt(c: Container, key: string, value: unknown, path: string): void {
  if (!Array.isArray(c)) {
    c[key] = value;
    return;
  }
  if (key === '-') {
    c.push(value);
    return;
  }
  if (!/^[+-]?\d+$/.test(key)) fail(`error in add for path: '${path}': value was not a proper array index: '${key}'`);
  const i = parseIndex(key, c.length + 1);
  if (i === undefined) fail(`error in add for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`);
  c.splice(i, 0, value);
}

function removeAt(c: Container, key: string, path: string, kind: string): unknown {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key)) fail(`error in ${kind} for path: '${path}': Unable to remove nonexistent key: ${key}: missing value`);
    const v = c[key];
    delete c[key];
    return v;
  }
  const i = parseIndex(key, c.length);
  if (i === undefined) fail(`error in ${kind} for path: '${path}': Unable to access invalid index: ${key}: invalid index referenced`);
  return c.splice(i, 1)[0];
}

function applyOperation(root: unknown, op: JsonObject): unknown {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  const value = op.value === undefined ? null : op.value;
  switch (kind) {
    case 'add': {
      const path = stringField(op, 'path', kind);
      const t = findParent(root, path) ?? fail(`add operation does not apply: doc is missing path: "${path}": missing value`);
      addAt(t.parent, t.key, clone(value), path);
      return root;
    }
    case 'remove': {
      const path = stringField(op, 'path', kind);
      const t = findParent(root, path) ?? fail(`remove operation does not apply: doc is missing path: "${path}": missing value`);
      removeAt(t.parent, t.key, path, kind);
      return root;
    }
    case 'replace': {
      const path = stringField(op, 'path', kind);
      if (path === '') {
        if (!Array.isArray(value) && !isObject(value)) fail('replace operation value must be object or array');
        return clone(value);
      }
      const t = findParent(root, path) ?? fail(`replace operation does not apply: doc is missing path: ${path}: missing value`);
      if (Array.isArray(t.parent)) {
        const i = parseIndex(t.key, t.parent.length);
        if (i === undefined) fail(`replace operation does not apply: doc is missing key: ${path}: missing value`);
        t.parent[i] = clone(value);
      } else {
        t.parent[t.key] = clone(value);
      }
      return root;
    }
    case 'move': {
      const from = stringField(op, 'from', kind);
      const src = findParent(root, from) ?? fail(`move operation does not apply: doc is missing from path: ${from}: missing value`);
      const moved = removeAt(src.parent, src.key, from, kind);
      const path = stringField(op, 'path', kind);
      const dst = findParent(root, path) ?? fail(`move operation does not apply: doc is missing destination path: ${path}: missing value`);
      addAt(dst.parent, dst.key, moved, path);
      return root;
    }
    case 'copy': {
      const from = stringField(op, 'from', kind);
      const src = findParent(root, from);
      const copied = src ? getChild(src.parent, src.key) : undefined;
      if (copied === undefined) fail(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
      const path = stringField(op, 'path', kind);
      const dst = findParent(root, path) ?? fail(`copy operation does not apply: doc is missing destination path: ${path}: missing value`);
      addAt(dst.parent, dst.key, clone(copied), path);
      return root;
    }
    case 'test': {
      const path = stringField(op, 'path', kind);
      let actual: unknown;
      if (path === '') {
        actual = root;
      } else {
        const t = findParent(root, path) ?? fail(`test operation does not apply: is missing path: ${path}: missing value`);
        if (Array.isArray(t.parent) && parseIndex(t.key, t.parent.length) === undefined) {
          fail(`error in test for path: '${path}': Unable to access invalid index: ${t.key}: invalid index referenced`);
        }
        // A missing member tests equal to null, as upstream.
        actual = getChild(t.parent, t.key) ?? null;
      }
      if (!deepEqual(actual, value)) fail(`testing value ${path} failed: test failed`);
      return root;
    }
    default:
      fail(`Unexpected kind: ${kind}`);
  }
}
