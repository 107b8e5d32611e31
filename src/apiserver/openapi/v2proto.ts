// Protobuf encoding of a Swagger 2.0 document as gnostic's openapi_v2.Document (proto
// package openapi.v2 of github.com/google/gnostic-models), the only form in which kubectl
// accepts /openapi/v2. Field numbers below are that schema's. Extension values and other
// free-form values (default, enum, example) travel as Any{yaml}; JSON text is valid YAML,
// so they are written as JSON.
import type { JSONObject } from './index.js';

/** Appends protobuf fields to a growable buffer. */
class Writer {
  private buf = Buffer.allocUnsafe(64);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  private varint(v: number): void {
    this.ensure(10);
    while (v > 127) {
      this.buf[this.len++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }

  /** Wire type 0. */
  uint(field: number, v: number): void {
    this.varint(field * 8);
    this.varint(v);
  }

  /** Wire type 1. */
  double(field: number, v: number): void {
    this.varint(field * 8 + 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }

  /** Wire type 2. */
  string(field: number, s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(field * 8 + 2);
    this.varint(n);
    this.ensure(n);
    this.len += this.buf.write(s, this.len, 'utf8');
  }

  /** Wire type 2; an empty message is still written (presence matters to the reader). */
  message(field: number, fill: (w: Writer) => void): void {
    const child = new Writer();
    fill(child);
    this.varint(field * 8 + 2);
    this.varint(child.len);
    this.ensure(child.len);
    child.buf.copy(this.buf, this.len, 0, child.len);
    this.len += child.len;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/** Writes a JSON value as field `field`; absent or mistyped values write nothing. */
type Enc = (w: Writer, field: number, v: unknown) => void;
/** A message: JSON key -> [field number, encoding]; `ext` is the field of its vendor extensions (x-*). */
interface Spec { fields: Record<string, [number, Enc]>; ext?: number }

const isObject = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const str: Enc = (w, f, v) => { if (typeof v === 'string' && v !== '') w.string(f, v); };
const bool: Enc = (w, f, v) => { if (v === true) w.uint(f, 1); };
const double: Enc = (w, f, v) => { if (typeof v === 'number' && Number.isFinite(v)) w.double(f, v); };
const int64: Enc = (w, f, v) => { if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) w.uint(f, v); };
const strs: Enc = (w, f, v) => { if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') w.string(f, s); };
/** openapi_v2.Any: yaml = 2. */
const any: Enc = (w, f, v) => { if (v !== undefined) w.message(f, (m) => m.string(2, JSON.stringify(v))); };
const anys: Enc = (w, f, v) => { if (Array.isArray(v)) for (const x of v) any(w, f, x); };
const message = (spec: () => Spec): Enc => (w, f, v) => { if (isObject(v)) w.message(f, (m) => fields(m, spec(), v)); };
const repeated = (enc: Enc): Enc => (w, f, v) => { if (Array.isArray(v)) for (const x of v) enc(w, f, x); };

/**
 * A message holding an object's entries as Named* messages (name = 1, value = 2) at `entries`
 * and, when `ext` is given, its x-* keys as vendor extensions instead.
 */
const named = (value: Enc, entries: number, ext?: number): Enc => (w, f, v) => {
  if (!isObject(v)) return;
  w.message(f, (m) => {
    for (const [k, x] of Object.entries(v)) {
      if (ext !== undefined && k.startsWith('x-')) continue;
      m.message(entries, (e) => {
        e.string(1, k);
        value(e, 2, x);
      });
    }
    if (ext !== undefined) extensions(m, ext, v);
  });
};

function extensions(w: Writer, field: number, obj: JSONObject): void {
  for (const [k, v] of Object.entries(obj)) {
    if (!k.startsWith('x-') || v === undefined) continue;
    // NamedAny: name = 1, value = 2.
    w.message(field, (m) => {
      m.string(1, k);
      any(m, 2, v);
    });
  }
}

function fields(w: Writer, spec: Spec, obj: JSONObject): void {
  for (const [key, [field, enc]] of Object.entries(spec.fields)) enc(w, field, obj[key]);
  if (spec.ext !== undefined) extensions(w, spec.ext, obj);
}

const EXTERNAL_DOCS: Spec = { fields: { description: [1, str], url: [2, str] }, ext: 3 };

const schema: Enc = message(() => SCHEMA);
/** AdditionalPropertiesItem: oneof schema = 1 | boolean = 2. */
const additionalProperties: Enc = (w, f, v) => {
  if (typeof v === 'boolean') w.message(f, (m) => m.uint(2, v ? 1 : 0));
  else if (isObject(v)) w.message(f, (m) => schema(m, 1, v));
};
/** TypeItem: repeated value = 1. */
const typeItem: Enc = (w, f, v) => { if (typeof v === 'string' || Array.isArray(v)) w.message(f, (m) => strs(m, 1, [v].flat())); };
/** ItemsItem: repeated schema = 1. */
const itemsItem: Enc = (w, f, v) => { if (isObject(v) || Array.isArray(v)) w.message(f, (m) => repeated(schema)(m, 1, [v].flat())); };

const SCHEMA: Spec = {
  fields: {
    $ref: [1, str], format: [2, str], title: [3, str], description: [4, str], default: [5, any], multipleOf: [6, double],
    maximum: [7, double], exclusiveMaximum: [8, bool], minimum: [9, double], exclusiveMinimum: [10, bool], maxLength: [11, int64],
    minLength: [12, int64], pattern: [13, str], maxItems: [14, int64], minItems: [15, int64], uniqueItems: [16, bool],
    maxProperties: [17, int64], minProperties: [18, int64], required: [19, strs], enum: [20, anys],
    additionalProperties: [21, additionalProperties], type: [22, typeItem], items: [23, itemsItem], allOf: [24, repeated(schema)],
    // Properties: repeated NamedSchema additional_properties = 1.
    properties: [25, named(schema, 1)], discriminator: [26, str], readOnly: [27, bool],
    externalDocs: [29, message(() => EXTERNAL_DOCS)], example: [30, any],
  },
  ext: 31,
};

/**
 * The fields every non-body parameter (and PrimitivesItems) shares, numbered consecutively
 * from `type` = `first` up to the vendor extensions.
 */
function primitiveSpec(head: Record<string, [number, Enc]>, first: number): Spec {
  const names = ['type', 'format', 'items', 'collectionFormat', 'default', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
    'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'enum', 'multipleOf'];
  const encs: Enc[] = [str, str, message(() => PRIMITIVES_ITEMS), str, any, double, bool, double, bool, int64, int64, str, int64, int64, bool, anys, double];
  return { fields: { ...head, ...Object.fromEntries(names.map((n, i) => [n, [first + i, encs[i]]])) }, ext: first + names.length };
}

const PRIMITIVES_ITEMS: Spec = primitiveSpec({}, 1);
const PARAM_HEAD: Record<string, [number, Enc]> = { required: [1, bool], in: [2, str], description: [3, str], name: [4, str] };
/** Path and header parameters: type = 5; query and formData add allowEmptyValue = 5, type = 6. */
const PATH_OR_HEADER_PARAM = primitiveSpec(PARAM_HEAD, 5);
const QUERY_OR_FORM_PARAM = primitiveSpec({ ...PARAM_HEAD, allowEmptyValue: [5, bool] }, 6);
const BODY_PARAM: Spec = { fields: { description: [1, str], name: [2, str], in: [3, str], required: [4, bool], schema: [5, schema] }, ext: 6 };
/** NonBodyParameter oneof: header = 1, formData = 2, query = 3, path = 4. */
const NON_BODY: Record<string, [number, Spec]> = { header: [1, PATH_OR_HEADER_PARAM], formData: [2, QUERY_OR_FORM_PARAM], query: [3, QUERY_OR_FORM_PARAM], path: [4, PATH_OR_HEADER_PARAM] };

/** ParametersItem: oneof parameter = 1 (Parameter: body = 1 | non-body = 2) | json_reference = 2. */
const parametersItem: Enc = (w, f, v) => {
  if (!isObject(v)) return;
  w.message(f, (item) => {
    if (typeof v.$ref === 'string') return item.message(2, (r) => fields(r, { fields: { $ref: [1, str], description: [2, str] } }, v));
    item.message(1, (p) => {
      if (v.in === 'body') return message(() => BODY_PARAM)(p, 1, v);
      const nb = NON_BODY[String(v.in)];
      if (nb) p.message(2, (n) => n.message(nb[0], (s) => fields(s, nb[1], v)));
    });
  });
};

const RESPONSE: Spec = {
  // SchemaItem: oneof schema = 1 | file_schema = 2.
  fields: { description: [1, str], schema: [2, (w, f, v) => { if (isObject(v)) w.message(f, (m) => schema(m, 1, v)); }] },
  ext: 5,
};
/** ResponseValue: oneof response = 1 | json_reference = 2. */
const responseValue: Enc = (w, f, v) => {
  if (!isObject(v)) return;
  w.message(f, (m) => (typeof v.$ref === 'string' ? m.message(2, (r) => str(r, 1, v.$ref)) : message(() => RESPONSE)(m, 1, v)));
};

const OPERATION: Spec = {
  fields: {
    tags: [1, strs], summary: [2, str], description: [3, str], externalDocs: [4, message(() => EXTERNAL_DOCS)], operationId: [5, str],
    produces: [6, strs], consumes: [7, strs], parameters: [8, repeated(parametersItem)],
    // Responses: response_code = 1 (NamedResponseValue), vendor_extension = 2.
    responses: [9, named(responseValue, 1, 2)], schemes: [10, strs], deprecated: [11, bool],
  },
  ext: 13,
};
const operation = message(() => OPERATION);

const PATH_ITEM: Spec = {
  fields: {
    $ref: [1, str], get: [2, operation], put: [3, operation], post: [4, operation], delete: [5, operation], options: [6, operation],
    head: [7, operation], patch: [8, operation], parameters: [9, repeated(parametersItem)],
  },
  ext: 10,
};

const DOCUMENT: Spec = {
  fields: {
    swagger: [1, str],
    info: [2, message(() => ({ fields: { title: [1, str], version: [2, str], description: [3, str], termsOfService: [4, str] }, ext: 7 }))],
    host: [3, str], basePath: [4, str], schemes: [5, strs], consumes: [6, strs], produces: [7, strs],
    // Paths: vendor_extension = 1, path = 2 (NamedPathItem). Definitions: NamedSchema = 1.
    paths: [8, named(message(() => PATH_ITEM), 2, 1)], definitions: [9, named(schema, 1)],
    externalDocs: [15, message(() => EXTERNAL_DOCS)],
  },
  ext: 16,
};

/** The Swagger 2.0 document `doc` as an encoded openapi_v2.Document. */
export function encodeSwagger(doc: JSONObject): Buffer {
  const w = new Writer();
  fields(w, DOCUMENT, doc);
  return w.finish();
}
