// Small helpers over object metadata and plain JSON values, shared by the API server,
// controllers and clients.

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface MetaLike {
  name?: string;
  uid?: string;
  ownerReferences?: readonly OwnerRef[] | null;
}

export interface HasMeta { metadata?: MetaLike | null }

/** metav1.Time on the wire: RFC 3339 with whole seconds, UTC, "Z" ("2026-11-25T01:02:03Z"). */
export function rfc3339Now(clockMs: number): string {
  return `${new Date(Math.floor(clockMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime on the wire (events, leases): six fractional digits ("2026-11-25T01:02:03.456000Z"). */
export function rfc3339Micro(clockMs: number): string {
  const iso = new Date(Math.floor(clockMs)).toISOString(); // ...T01:02:03.456Z
  return `${iso.slice(0, 23)}000Z`;
}

/** The owner reference marked controller: true, if any (a copy). */
export function getControllerOf(obj: HasMeta): OwnerRef | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref ? { ...ref } : undefined;
}

/** True when `owner` is `obj`'s controller, compared by uid. */
export function isControlledBy(obj: HasMeta, owner: HasMeta): boolean {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  return !!ref && ref.uid === owner.metadata?.uid;
}

/** metav1.NewControllerRef: a controller reference to `owner` that blocks its deletion. */
export function newControllerRef(owner: HasMeta, apiVersion: string, kind: string): OwnerRef {
  return { apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** labels.Equals: same keys and values; absent and empty maps are equal. */
export function labelsEqual(a: Readonly<Record<string, string>> | null | undefined, b: Readonly<Record<string, string>> | null | undefined): boolean {
  const ak = a ? Object.keys(a) : [];
  const bk = b ? Object.keys(b) : [];
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || b![k] !== a![k]) return false;
  }
  return true;
}

/** Deep copy of a JSON-compatible value. */
export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * Structural equality of JSON values. Object key order does not matter; a property whose
 * value is undefined counts as absent (it would not survive serialization).
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
  let count = 0;
  for (const k in ao) {
    if (!Object.prototype.hasOwnProperty.call(ao, k) || ao[k] === undefined) continue;
    count++;
    if (!Object.prototype.hasOwnProperty.call(bo, k) || !deepEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) {
    if (Object.prototype.hasOwnProperty.call(bo, k) && bo[k] !== undefined) count--;
  }
  return count === 0;
}

/** Splits ".spec.replicas" (leading dot optional) into field names; throws on empty or __proto__ segments. */
function pathSegments(path: string): string[] {
  const segs = (path.startsWith('.') ? path.slice(1) : path).split('.');
  if (segs.some((s) => s === '' || s === '__proto__')) throw new Error(`invalid field path ${JSON.stringify(path)}`);
  return segs;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a simple dotted path such as ".spec.replicas"; undefined when any step is missing or not an object. */
export function jsonPathGet(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const s of pathSegments(path)) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
    cur = cur[s];
  }
  return cur;
}

/**
 * Writes a simple dotted path, creating missing intermediate objects. Throws when an
 * intermediate value exists but is not an object.
 */
export function jsonPathSet(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = pathSegments(path);
  let cur: Record<string, unknown> = obj;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    const next = Object.prototype.hasOwnProperty.call(cur, s) ? cur[s] : undefined;
    if (next === undefined || next === null) {
      const created: Record<string, unknown> = {};
      cur[s] = created;
      cur = created;
    } else if (isObject(next)) {
      cur = next;
    } else {
      throw new Error(`${JSON.stringify(path)}: .${segs.slice(0, i + 1).join('.')} is not an object`);
    }
  }
  cur[segs[segs.length - 1]] = value;
}
