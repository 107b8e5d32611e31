// Decodes Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf, sent by
// kubectl 1.32+ typed clients) into the JSON object the same request would carry as JSON.
// Envelope: the magic "k8s\0", then a runtime.Unknown {1: typeMeta {1: apiVersion, 2: kind},
// 2: raw (the typed message), 3: contentEncoding, 4: contentType}.
import { messageDef, messageForKind } from './index.js';
import type { FieldDef } from './table.js';

export const PROTOBUF_MAGIC = new Uint8Array([0x6b, 0x38, 0x73, 0x00]);

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Record<string, unknown>;
}

const WIRE_VARINT = 0, WIRE_I64 = 1, WIRE_LEN = 2, WIRE_I32 = 5;

interface WireValue { wire: number; v: bigint | Uint8Array }

/** Field number -> values in wire order. Malformed input throws. */
function readFields(buf: Uint8Array): Map<number, WireValue[]> {
  const out = new Map<number, WireValue[]>();
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n, shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error(`protobuf: truncated varint at offset ${pos}`);
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error(`protobuf: varint too long at offset ${pos}`);
    }
  };
  const take = (n: number): Uint8Array => {
    if (n < 0 || pos + n > buf.length) throw new Error(`protobuf: truncated field at offset ${pos} (need ${n} bytes, have ${buf.length - pos})`);
    const s = buf.subarray(pos, pos + n);
    pos += n;
    return s;
  };
  while (pos < buf.length) {
    const key = varint();
    const num = Number(key >> 3n), wire = Number(key & 7n);
    if (num === 0) throw new Error(`protobuf: invalid field number 0 at offset ${pos}`);
    let v: bigint | Uint8Array;
    switch (wire) {
      case WIRE_VARINT: v = varint(); break;
      case WIRE_I64: v = take(8); break;
      case WIRE_LEN: v = take(Number(varint())); break;
      case WIRE_I32: v = take(4); break;
      default: throw new Error(`protobuf: unsupported wire type ${wire} for field ${num}`);
    }
    const list = out.get(num);
    if (list) list.push({ wire, v });
    else out.set(num, [{ wire, v }]);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function str(v: WireValue, where: string): string {
  if (!(v.v instanceof Uint8Array) || v.wire !== WIRE_LEN) throw new Error(`protobuf: ${where}: expected a length-delimited string`);
  try {
    return utf8.decode(v.v);
  } catch {
    throw new Error(`protobuf: ${where}: invalid UTF-8`);
  }
}

function bytesOf(v: WireValue, where: string): Uint8Array {
  if (!(v.v instanceof Uint8Array) || v.wire !== WIRE_LEN) throw new Error(`protobuf: ${where}: expected length-delimited bytes`);
  return v.v;
}

function base64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Unpacked values of a numeric field: separate varint/fixed entries, or packed in one length-delimited run. */
function numericValues(values: WireValue[], t: string, where: string): Array<number | boolean> {
  const out: Array<number | boolean> = [];
  for (const wv of values) {
    if (wv.wire === WIRE_LEN && wv.v instanceof Uint8Array) {
      const b = wv.v;
      if (t === 'double' || t === 'float') {
        const size = t === 'double' ? 8 : 4;
        if (b.length % size) throw new Error(`protobuf: ${where}: packed ${t} run of ${b.length} bytes`);
        for (let i = 0; i < b.length; i += size) out.push(scalar({ wire: size === 8 ? WIRE_I64 : WIRE_I32, v: b.subarray(i, i + size) }, t, where) as number);
      } else {
        let p = 0;
        while (p < b.length) {
          let r = 0n, shift = 0n;
          for (;;) {
            if (p >= b.length) throw new Error(`protobuf: ${where}: truncated packed varint`);
            const x = b[p++];
            r |= BigInt(x & 0x7f) << shift;
            if (!(x & 0x80)) break;
            shift += 7n;
          }
          out.push(scalar({ wire: WIRE_VARINT, v: r }, t, where) as number | boolean);
        }
      }
    } else out.push(scalar(wv, t, where) as number | boolean);
  }
  return out;
}

function scalar(wv: WireValue, t: string, where: string): string | number | boolean {
  switch (t) {
    case 'string': return str(wv, where);
    case 'bytes': return base64(bytesOf(wv, where));
    case 'double': case 'float': {
      const size = t === 'double' ? 8 : 4;
      if (!(wv.v instanceof Uint8Array) || wv.v.length !== size) throw new Error(`protobuf: ${where}: expected ${t}`);
      const dv = new DataView(wv.v.buffer, wv.v.byteOffset, size);
      return size === 8 ? dv.getFloat64(0, true) : dv.getFloat32(0, true);
    }
  }
  if (wv.wire !== WIRE_VARINT || typeof wv.v !== 'bigint') throw new Error(`protobuf: ${where}: expected a varint ${t}`);
  switch (t) {
    case 'bool': return wv.v !== 0n;
    case 'int32': return Number(BigInt.asIntN(32, wv.v));
    case 'int64': return Number(BigInt.asIntN(64, wv.v));
    case 'uint32': return Number(BigInt.asUintN(32, wv.v));
    case 'uint64': return Number(BigInt.asUintN(64, wv.v));
  }
  throw new Error(`protobuf: ${where}: unknown scalar type ${t}`);
}

const isZero = (v: unknown): boolean => v === '' || v === 0 || v === false;

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Go's time.Duration.String(). */
export function goDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  let u = ns < 0n ? -ns : ns;
  const frac = (v: bigint, div: bigint): string => {
    const whole = v / div, rem = v % div;
    if (rem === 0n) return String(whole);
    return `${whole}.${String(rem).padStart(String(div).length - 1, '0').replace(/0+$/, '')}`;
  };
  let out: string;
  if (u < 1_000_000_000n) {
    out = u < 1000n ? `${u}ns` : u < 1_000_000n ? `${frac(u, 1000n)}µs` : `${frac(u, 1_000_000n)}ms`;
  } else {
    const h = u / 3_600_000_000_000n;
    u %= 3_600_000_000_000n;
    const m = u / 60_000_000_000n;
    u %= 60_000_000_000n;
    out = `${frac(u, 1_000_000_000n)}s`;
    if (h > 0n || m > 0n) out = `${m}m${out}`;
    if (h > 0n) out = `${h}h${out}`;
  }
  return (ns < 0n ? '-' : '') + out;
}

const DROP = Symbol('drop');

function parseEmbeddedJSON(b: Uint8Array, where: string): unknown {
  if (b.length === 0) return DROP;
  if (b.length >= 4 && PROTOBUF_MAGIC.every((x, i) => b[i] === x)) {
    const d = decodeProtobufObject(b);
    return d.object;
  }
  try {
    return JSON.parse(utf8.decode(b));
  } catch {
    throw new Error(`protobuf: ${where}: embedded object is neither JSON nor Kubernetes protobuf`);
  }
}

/** The JSON value of message `name` encoded in `b`, or DROP when JSON would leave it out. */
function decodeMessage(b: Uint8Array, name: string, where: string): unknown {
  const def = messageDef(name);
  if (!def) throw new Error(`protobuf: ${where}: no schema for message ${name}`);
  const fields = readFields(b);
  const one = (n: number): WireValue | undefined => fields.get(n)?.at(-1);
  const sub = (n: number, t: string): unknown => {
    const wv = one(n);
    return wv ? decodeMessage(bytesOf(wv, where), t, where) : undefined;
  };
  switch (def.s) {
    case 'time': case 'microtime': {
      const s = one(1), n = one(2);
      const seconds = s ? (scalar(s, 'int64', where) as number) : 0, nanos = n ? (scalar(n, 'int32', where) as number) : 0;
      if (seconds === 0 && nanos === 0) return DROP;
      return rfc3339(seconds, nanos, def.s === 'microtime');
    }
    case 'duration': {
      const d = one(1);
      return goDuration(d && typeof d.v === 'bigint' ? BigInt.asIntN(64, d.v) : 0n);
    }
    case 'quantity': {
      const s = one(1);
      return s ? str(s, where) || DROP : DROP;
    }
    case 'intorstring': {
      const t = one(1), iv = one(2), sv = one(3);
      const kind = t ? scalar(t, 'int64', where) : 0;
      return kind === 1 ? (sv ? str(sv, where) : '') : iv ? scalar(iv, 'int32', where) : 0;
    }
    case 'raw': case 'fieldsv1': case 'json': {
      const r = one(1);
      return r ? parseEmbeddedJSON(bytesOf(r, where), where) : DROP;
    }
    case 'slice': {
      const f = def.f[0];
      const vals = fields.get(f.i) ?? [];
      return f.t === 'string' || f.t === 'bytes' ? vals.map((v) => scalar(v, f.t, where)) : numericValues(vals, f.t, where);
    }
    case 'orarray': {
      const schema = sub(1, def.f[0].t);
      if (schema !== undefined && schema !== DROP) return schema;
      return (fields.get(2) ?? []).map((v) => decodeMessage(bytesOf(v, where), def.f[1].t, where));
    }
    case 'orbool': {
      const schema = sub(2, def.f[1].t);
      if (schema !== undefined && schema !== DROP) return schema;
      const a = one(1);
      return a ? scalar(a, 'bool', where) : false;
    }
    case 'orstrings': {
      const props = (fields.get(2) ?? []).map((v) => str(v, where));
      if (props.length) return props;
      const schema = sub(1, def.f[0].t);
      return schema === undefined ? DROP : schema;
    }
  }
  const out: Record<string, unknown> = {};
  for (const f of def.f) {
    const values = fields.get(f.i);
    if (!values) continue;
    const path = f.n ? `${where}.${f.n}` : where;
    if (f.in) {
      const inner = decodeMessage(bytesOf(values.at(-1)!, path), f.t, path);
      if (inner && typeof inner === 'object') Object.assign(out, inner);
      continue;
    }
    const v = fieldValue(f, values, path);
    if (v !== DROP) out[f.n] = v;
  }
  return out;
}

function fieldValue(f: FieldDef, values: WireValue[], where: string): unknown {
  const isMessage = messageDef(f.t) !== undefined;
  const element = (wv: WireValue): unknown =>
    isMessage ? decodeMessage(bytesOf(wv, where), f.t, where) : scalar(wv, f.t, where);
  if (f.mk) {
    const map: Record<string, unknown> = {};
    for (const wv of values) {
      const entry = readFields(bytesOf(wv, where));
      const k = entry.get(1)?.at(-1), val = entry.get(2)?.at(-1);
      const key = k ? String(scalar(k, f.mk, where)) : '';
      let decoded: unknown;
      if (val) decoded = element(val);
      else decoded = isMessage ? decodeMessage(new Uint8Array(0), f.t, where) : f.t === 'string' || f.t === 'bytes' ? '' : f.t === 'bool' ? false : 0;
      map[key] = decoded === DROP ? null : decoded;
    }
    return Object.keys(map).length ? map : DROP;
  }
  if (f.r) {
    const list = isMessage || f.t === 'string' || f.t === 'bytes'
      ? values.map((wv) => element(wv)).map((v) => (v === DROP ? null : v))
      : numericValues(values, f.t, where);
    return list.length ? list : DROP;
  }
  const v = element(values.at(-1)!);
  if (v === DROP) return DROP;
  // Go writes every non-pointer scalar; JSON omits the zero ones tagged omitempty.
  if (!isMessage && !f.p && f.o && isZero(v)) return DROP;
  return v;
}

/** Decode a message of the registry (by name) from its protobuf bytes into its JSON form. */
export function decodeMessageJSON(bytes: Uint8Array, name: string): unknown {
  const v = decodeMessage(bytes, name, name.split('.').pop()!);
  return v === DROP ? undefined : v;
}

/** Decode a "k8s\0"-prefixed runtime.Unknown envelope holding a built-in kind. Throws on malformed or unknown input. */
export function decodeProtobufObject(bytes: Uint8Array): DecodedObject {
  if (bytes.length < 4 || !PROTOBUF_MAGIC.every((x, i) => bytes[i] === x)) {
    throw new Error('protobuf: body does not start with the Kubernetes protobuf magic "k8s\\x00"');
  }
  const env = readFields(bytes.subarray(4));
  const tmBytes = env.get(1)?.at(-1);
  const tm = tmBytes ? readFields(bytesOf(tmBytes, 'Unknown.typeMeta')) : new Map<number, WireValue[]>();
  const apiVersion = tm.get(1) ? str(tm.get(1)!.at(-1)!, 'typeMeta.apiVersion') : '';
  const kind = tm.get(2) ? str(tm.get(2)!.at(-1)!, 'typeMeta.kind') : '';
  if (!apiVersion || !kind) throw new Error('protobuf: envelope has no apiVersion/kind');
  const enc = env.get(3)?.at(-1);
  if (enc && str(enc, 'Unknown.contentEncoding') !== '') throw new Error(`protobuf: unsupported content encoding "${str(enc, 'Unknown.contentEncoding')}"`);
  const slash = apiVersion.indexOf('/');
  const [group, version] = slash < 0 ? ['', apiVersion] : [apiVersion.slice(0, slash), apiVersion.slice(slash + 1)];
  const name = messageForKind(group, version, kind);
  if (!name) throw new Error(`protobuf: no schema for kind "${kind}" in "${apiVersion}"`);
  const raw = env.get(2)?.at(-1);
  const decoded = raw ? decodeMessage(bytesOf(raw, 'Unknown.raw'), name, kind) : {};
  const object: Record<string, unknown> = { apiVersion, kind };
  if (decoded && typeof decoded === 'object') Object.assign(object, decoded);
  return { apiVersion, kind, object };
}
