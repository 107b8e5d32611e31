// Small helpers shared by the core strategies: loose accessors over JSON-shaped objects,
// quantities, base64, and table cell formatting.
import { formatLabels as labelSetString } from '../../../machinery/labels.js';
import { Quantity } from '../../../machinery/quantity.js';

export type Obj = Record<string, unknown>;

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asObj = (v: unknown): Obj => (isObj(v) ? v : {});
export const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asObjs = (v: unknown): Obj[] => asArr(v).filter(isObj);
export const asStr = (v: unknown): string => (typeof v === 'string' ? v : '');
export const asNum = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** The object at `o[k]`, created empty when absent or not an object. */
export function child(o: Obj, k: string): Obj {
  const c = o[k];
  if (isObj(c)) return c;
  const made: Obj = {};
  o[k] = made;
  return made;
}

/** Sets `o[k] = v` when `o[k]` is undefined, null or "". */
export function setDefault(o: Obj, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
}

/** A resource.Quantity from its JSON form, or undefined when malformed. */
export function quantityOf(v: unknown): Quantity | undefined {
  // Absent values are the common case (unset limits): no exception for them.
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  try {
    return Quantity.fromJSON(v);
  } catch {
    return undefined;
  }
}

/** Structural equality of JSON values, ignoring key order. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

export const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

// ---- base64 (no node: imports in layer 1) ----

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of the UTF-8 bytes of `s`. */
export function base64EncodeUtf8(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? B64[n & 63] : '=';
  }
  return out;
}

/** Whether `s` is standard padded base64, the form Go's encoding/json accepts for []byte. */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

/** Decoded byte length of a valid base64 string. */
export function base64Length(s: string): number {
  return (s.length / 4) * 3 - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
}

/** Decodes valid base64 into bytes. */
export function base64Decode(s: string): Uint8Array {
  const out = new Uint8Array(base64Length(s));
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = [0, 1, 2, 3].map((j) => Math.max(0, B64.indexOf(s[i + j])));
    const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

// ---- table cells ----

/** Upstream labels.FormatLabels: sorted "k=v" pairs joined by ",", or "<none>". */
export function formatLabels(m: unknown): string {
  return labelSetString(asObj(m) as Record<string, string>) || '<none>';
}

/** Container names and images as two comma-joined cells. */
export function containerCells(containers: unknown): [string, string] {
  const cs = asObjs(containers);
  return [cs.map((c) => asStr(c.name)).join(','), cs.map((c) => asStr(c.image)).join(',')];
}

/** Upstream's access mode abbreviations in their fixed order. */
export function accessModesString(modes: unknown): string {
  const have = new Set(asArr(modes).map(asStr));
  const order: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return order.filter(([m]) => have.has(m)).map(([, a]) => a).join(',');
}
