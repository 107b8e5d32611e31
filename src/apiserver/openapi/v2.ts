// /openapi/v2: one Swagger 2.0 document for the whole server, derived from the OpenAPI 3
// documents. kubectl 1.27 and 1.28 download it (as protobuf only) before every
// apply/create/replace/explain: they validate manifests against its definitions, find a
// kind's model by the definitions' x-kubernetes-group-version-kind, and compute client-side
// apply's strategic merge patch from its patch metadata when the kind's PATCH operation
// consumes application/strategic-merge-patch+json.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONObject, OpenAPIService } from './index.js';
import { encodeSwagger } from './v2proto.js';

const V3_REF = '#/components/schemas/';
const V2_REF = '#/definitions/';
const PRIMITIVES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
/** Schema keywords Swagger 2.0 shares with OpenAPI 3.0 (the rest are dropped or rewritten). */
const SHARED = ['format', 'title', 'description', 'default', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum',
  'maxLength', 'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxProperties', 'minProperties', 'required', 'enum',
  'readOnly', 'example', 'externalDocs'];

const isObject = (v: unknown): v is JSONObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The Swagger 2.0 form of an OpenAPI 3.0 schema, restricted to what kubectl's v2 model
 * parser accepts: a $ref stands alone (description and extensions aside), arrays always
 * have one item schema, and only the six JSON types appear. Unions (oneOf/anyOf, as for
 * int-or-string and quantities) become a string with the same format, or no type at all.
 * Properties of a schema that keeps unknown fields are left out, so that client-side
 * validation does not reject the fields it does not list.
 */
export function toV2Schema(s: JSONObject): JSONObject {
  const out: JSONObject = {};
  const allOf = Array.isArray(s.allOf) ? s.allOf.filter(isObject) : [];
  const ref = typeof s.$ref === 'string' ? s.$ref : allOf.length === 1 && typeof allOf[0].$ref === 'string' ? allOf[0].$ref : undefined;
  if (ref) {
    out.$ref = ref.startsWith(V3_REF) ? V2_REF + ref.slice(V3_REF.length) : ref;
    if (typeof s.description === 'string') out.description = s.description;
    copyExtensions(s, out);
    return out;
  }
  for (const k of SHARED) if (s[k] !== undefined) out[k] = s[k];
  if (!Array.isArray(out.required) || out.required.length === 0) delete out.required;
  let type = typeof s.type === 'string' && PRIMITIVES.has(s.type) && s.nullable !== true ? s.type : undefined;
  const unions = [s.oneOf, s.anyOf].filter(Array.isArray).flat().filter(isObject);
  if (!type && !s.properties && unions.length && unions.every((u) => u.type === 'string' || u.type === 'integer' || u.type === 'number')) type = 'string';
  if (type) out.type = type;
  if (type === 'array' || (!type && s.items)) out.items = isObject(s.items) ? toV2Schema(s.items) : {};
  const open = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (isObject(s.properties) && !open) out.properties = Object.fromEntries(Object.entries(s.properties).filter(([, v]) => isObject(v)).map(([k, v]) => [k, toV2Schema(v as JSONObject)]));
  if (isObject(s.additionalProperties)) out.additionalProperties = toV2Schema(s.additionalProperties);
  else if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties;
  if (allOf.length > 1) out.allOf = allOf.map(toV2Schema);
  copyExtensions(s, out);
  return out;
}

function copyExtensions(from: JSONObject, to: JSONObject): void {
  for (const [k, v] of Object.entries(from)) if (k.startsWith('x-') && v !== undefined) to[k] = v;
}

/** A v3 parameter object as a Swagger 2.0 non-body parameter (its schema's keywords inlined). */
function toV2Parameter(p: JSONObject): JSONObject {
  const { schema, ...rest } = p;
  return { ...rest, ...(isObject(schema) ? toV2Schema(schema) : { type: 'string' }) };
}

function toV2Operation(op: JSONObject): JSONObject {
  const out: JSONObject = {};
  for (const k of ['tags', 'summary', 'description', 'operationId', 'deprecated']) if (op[k] !== undefined) out[k] = op[k];
  const params = (Array.isArray(op.parameters) ? op.parameters.filter(isObject) : []).map(toV2Parameter);
  const body = isObject(op.requestBody) ? op.requestBody : undefined;
  if (body && isObject(body.content)) {
    const content = body.content as Record<string, JSONObject>;
    out.consumes = Object.keys(content);
    const schema = Object.values(content).find((c) => isObject(c.schema))?.schema;
    params.unshift({ name: 'body', in: 'body', ...(body.required ? { required: true } : {}), schema: isObject(schema) ? toV2Schema(schema) : {} });
  }
  const produces = new Set<string>();
  const responses: JSONObject = {};
  for (const [code, r] of Object.entries(isObject(op.responses) ? op.responses : {})) {
    if (!isObject(r)) continue;
    const resp: JSONObject = { description: typeof r.description === 'string' ? r.description : '' };
    for (const [type, c] of Object.entries(isObject(r.content) ? r.content : {})) {
      produces.add(type);
      if (!resp.schema && isObject(c) && isObject(c.schema)) resp.schema = toV2Schema(c.schema);
    }
    responses[code] = resp;
  }
  if (produces.size) out.produces = [...produces];
  if (params.length) out.parameters = params;
  out.responses = responses;
  copyExtensions(op, out);
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/**
 * One Swagger 2.0 document from the per group/version OpenAPI 3.0 documents: paths are
 * merged, and so are component schemas, whose group/version/kind lists are unioned (a schema
 * such as DeleteOptions is tagged with every group/version that serves it).
 */
export function buildSwagger(documents: Iterable<JSONObject>): JSONObject {
  const paths: Record<string, JSONObject> = {};
  const schemas = new Map<string, JSONObject>();
  for (const doc of documents) {
    for (const [p, item] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
      if (!isObject(item)) continue;
      const out: JSONObject = {};
      for (const m of METHODS) if (isObject(item[m])) out[m] = toV2Operation(item[m] as JSONObject);
      if (Array.isArray(item.parameters)) out.parameters = item.parameters.filter(isObject).map(toV2Parameter);
      copyExtensions(item, out);
      paths[p] = out;
    }
    const components = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
    for (const [name, s] of Object.entries(components)) {
      if (!isObject(s)) continue;
      const v2 = toV2Schema(s);
      const seen = schemas.get(name);
      if (seen) v2['x-kubernetes-group-version-kind'] = unionGVKs(seen['x-kubernetes-group-version-kind'], v2['x-kubernetes-group-version-kind']);
      if (v2['x-kubernetes-group-version-kind'] === undefined) delete v2['x-kubernetes-group-version-kind'];
      schemas.set(name, v2);
    }
  }
  const sorted = <T>(entries: Iterable<[string, T]>) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths: sorted(Object.entries(paths)),
    definitions: sorted(schemas),
  };
}

function unionGVKs(a: unknown, b: unknown): JSONObject[] | undefined {
  const all = [a, b].filter(Array.isArray).flat().filter(isObject);
  if (!all.length) return undefined;
  const byKey = new Map(all.map((g) => [`${String(g.group)}/${String(g.version)}/${String(g.kind)}`, g]));
  return [...byKey.values()];
}

/**
 * The protobuf media type as served. Go's mime parser rejects the "@" in the spelling clients
 * ask for, so the response uses the dotted form, as upstream does.
 */
export const PROTOBUF_V2 = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

export interface EncodedSpec {
  body: Buffer;
  contentType: string;
  /** Quoted strong ETag of `body`. */
  etag: string;
}

/**
 * The /openapi/v2 document of an OpenAPIService, rebuilt when the v3 documents change (seen
 * as a change of the v3 index, whose URLs carry every document's content hash), with each
 * encoding made once per build.
 */
export class OpenAPIV2 {
  private key: string | undefined;
  private swagger: JSONObject | undefined;
  private readonly encoded = new Map<'json' | 'proto', EncodedSpec>();

  constructor(private readonly v3: OpenAPIService) {}

  /** The document as protobuf (gnostic openapi_v2.Document) or JSON. */
  get(format: 'json' | 'proto'): EncodedSpec {
    const swagger = this.current();
    let e = this.encoded.get(format);
    if (!e) {
      const body = format === 'proto' ? encodeSwagger(swagger) : Buffer.from(JSON.stringify(swagger));
      e = { body, contentType: format === 'proto' ? PROTOBUF_V2 : 'application/json', etag: `"${createHash('sha512').update(body).digest('hex').toUpperCase()}"` };
      this.encoded.set(format, e);
    }
    return e;
  }

  /** The Swagger 2.0 document as an object. */
  private current(): JSONObject {
    const index = this.v3.index().paths;
    const key = Object.values(index).map((p) => p.serverRelativeURL).join('\n');
    if (this.swagger && key === this.key) return this.swagger;
    const docs = Object.keys(index).map((gv) => JSON.parse(this.v3.document(gv)!.body.toString('utf8')) as JSONObject);
    this.swagger = buildSwagger(docs);
    this.key = key;
    this.encoded.clear();
    return this.swagger;
  }
}

const services = new WeakMap<OpenAPIService, OpenAPIV2>();

/**
 * The representation the Accept header picks (highest q first; json wins wildcards), or
 * undefined when none is acceptable. kubectl asks for protobuf only, in the "@v1.0" spelling.
 */
export function negotiateV2(accept: string | undefined): 'json' | 'proto' | undefined {
  const clauses = (accept || '*/*').split(',').map((c) => {
    const [type, ...params] = c.split(';').map((x) => x.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return { type, q: q ? Number(q.slice(2)) : 1 };
  }).filter((c) => c.q > 0).sort((a, b) => b.q - a.q);
  for (const { type } of clauses) {
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return 'json';
    if (type === PROTOBUF_V2 || type === 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf') return 'proto';
  }
  return undefined;
}

/** Serves GET /openapi/v2 as upstream does: ETag and Vary: Accept, 406 for unsupported media types. */
export function serveOpenAPIV2(v3: OpenAPIService, req: IncomingMessage, res: ServerResponse): true {
  let v2 = services.get(v3);
  if (!v2) services.set(v3, (v2 = new OpenAPIV2(v3)));
  const format = negotiateV2(req.headers.accept);
  if (!format) {
    res.writeHead(406, { Vary: 'Accept' });
    res.end();
    return true;
  }
  const spec = v2.get(format);
  const headers = { ETag: spec.etag, Vary: 'Accept', 'Cache-Control': 'no-cache, private' };
  if (req.headers['if-none-match'] === spec.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'Content-Type': spec.contentType, 'Content-Length': spec.body.length });
  res.end(req.method === 'HEAD' ? undefined : spec.body);
  return true;
}
