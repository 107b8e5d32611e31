// Builds the /openapi/v3 documents (one per group/version) from the built-in type registry
// plus custom kinds. kubectl reads them for explain, for the strategic merge patch
// metadata of client-side apply, and to learn that the server validates fields
// (the fieldValidation parameter on PATCH operations).
import { DEFAULT_VERBS, type ResourceStrategy } from '../../api/types.js';
import { META_V1, jsonFields, messageDef, messageForKind, type FieldDef } from '../../api/schema/index.js';
import { typeDoc } from './descriptions.js';

export type JSONObject = Record<string, unknown>;

/** A kind served from a schema outside the registry (a CRD version). */
export interface CustomKind {
  resource: ResourceStrategy;
  /** The openAPIV3Schema of the version; apiVersion, kind and metadata are added. Absent: any object. */
  schema?: JSONObject;
}

export interface OpenAPIDocuments {
  /** "api/v1", "apis/apps/v1", ... -> OpenAPI 3.0 document. */
  documents: Map<string, JSONObject>;
}

const PATCH_SCHEMA = `${META_V1}.Patch`;
const REF = (name: string): JSONObject => ({ $ref: `#/components/schemas/${name}` });
const gvPath = (group: string, version: string): string => (group === '' ? `api/${version}` : `apis/${group}/${version}`);

const SCALAR_SCHEMA: Record<string, JSONObject> = {
  string: { type: 'string' },
  bytes: { type: 'string', format: 'byte' },
  bool: { type: 'boolean' },
  int32: { type: 'integer', format: 'int32' },
  int64: { type: 'integer', format: 'int64' },
  uint32: { type: 'integer', format: 'int32' },
  uint64: { type: 'integer', format: 'int64' },
  double: { type: 'number', format: 'double' },
  float: { type: 'number', format: 'float' },
};

const TYPE_META_DOCS: Record<string, string> = {
  apiVersion: 'APIVersion defines the versioned schema of this representation of an object.',
  kind: 'Kind is a string value representing the REST resource this object represents.',
};

/** Component schema of a registry message (without recursing: message fields are $refs). */
function messageSchema(name: string, gvks: JSONObject[] | undefined): JSONObject {
  const def = messageDef(name)!;
  const doc = typeDoc(name);
  const out: JSONObject = {};
  if (doc?.description) out.description = doc.description;
  switch (def.s) {
    case 'time': case 'microtime': return { ...out, type: 'string', format: 'date-time' };
    case 'duration': return { ...out, type: 'string' };
    case 'quantity': return { ...out, oneOf: [{ type: 'string' }, { type: 'number' }] };
    case 'intorstring': return { ...out, format: 'int-or-string', 'x-kubernetes-int-or-string': true, oneOf: [{ type: 'integer' }, { type: 'string' }] };
    case 'raw': return { ...out, type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    case 'fieldsv1': return { ...out, type: 'object' };
    case 'json': case 'orarray': case 'orbool': case 'orstrings': return { ...out, 'x-kubernetes-preserve-unknown-fields': true };
  }
  const properties: JSONObject = {};
  if (def.k) {
    for (const p of ['apiVersion', 'kind']) properties[p] = { description: doc?.properties.get(p) || TYPE_META_DOCS[p], type: 'string' };
  }
  for (const [json, { field, owner }] of jsonFields(name)) {
    const description = doc?.properties.get(json) || typeDoc(owner)?.properties.get(json);
    properties[json] = fieldSchema(field, description);
  }
  out.type = 'object';
  out.properties = properties;
  const required = doc?.required.filter((r) => Object.hasOwn(properties, r));
  if (required?.length) out.required = required;
  if (gvks) out['x-kubernetes-group-version-kind'] = gvks;
  return out;
}

function valueSchema(t: string): JSONObject {
  const def = messageDef(t);
  if (!def) return { ...SCALAR_SCHEMA[t] };
  if (def.s === 'slice') return { type: 'array', items: valueSchema(def.f[0].t) };
  return { allOf: [REF(t)] };
}

function fieldSchema(f: FieldDef, description: string | undefined): JSONObject {
  let s: JSONObject;
  if (f.r) s = { type: 'array', items: valueSchema(f.t) };
  else if (f.mk) s = { type: 'object', additionalProperties: valueSchema(f.t) };
  else s = valueSchema(f.t);
  if (description) s.description = description;
  if (f.lk) s['x-kubernetes-list-map-keys'] = f.lk;
  if (f.lt) s['x-kubernetes-list-type'] = f.lt;
  if (f.mt) s['x-kubernetes-map-type'] = f.mt;
  if (f.pk) s['x-kubernetes-patch-merge-key'] = f.pk;
  if (f.ps) s['x-kubernetes-patch-strategy'] = f.ps;
  return s;
}

/** Registry messages reachable from `roots` (named slices are inlined, so not components). */
function closure(roots: string[]): string[] {
  const seen = new Set<string>();
  const visit = (n: string): void => {
    const def = messageDef(n);
    if (!def || seen.has(n) || def.s === 'slice') return;
    seen.add(n);
    for (const f of def.f) visit(f.t);
  };
  roots.forEach(visit);
  return [...seen];
}

const param = (name: string, where: 'path' | 'query', type: 'string' | 'boolean', description: string): JSONObject => ({
  name, in: where, description, ...(where === 'path' ? { required: true } : {}), schema: { type, uniqueItems: true },
});

const P = {
  name: (kind: string) => param('name', 'path', 'string', `name of the ${kind}`),
  namespace: param('namespace', 'path', 'string', 'object name and auth scope, such as for teams and projects'),
  pretty: param('pretty', 'query', 'string', "If 'true', then the output is pretty printed."),
  dryRun: param('dryRun', 'query', 'string', 'When present, indicates that modifications should not be persisted. Valid values: All.'),
  fieldManager: param('fieldManager', 'query', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: param('fieldValidation', 'query', 'string', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values: Ignore, Warn, Strict.'),
  force: param('force', 'query', 'boolean', 'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.'),
};

interface KindEntry { resource: ResourceStrategy; schemaName: string; listSchemaName?: string; strategic: boolean }

function operations(e: KindEntry): Record<string, JSONObject> {
  const r = e.resource;
  const verbs = new Set(r.verbs ?? DEFAULT_VERBS);
  const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
  const ns = r.namespaced ? [P.namespace] : [];
  const gvk = (kind: string, group = r.group, version = r.version) => ({ group, kind, version });
  const opId = (verb: string, suffix = '') => `${verb}${r.namespaced ? 'Namespaced' : ''}${r.kind}${suffix}`;
  const json = (name: string) => ({ 'application/json': { schema: REF(name) }, 'application/yaml': { schema: REF(name) } });
  const ok = (name: string, codes = ['200']) => Object.fromEntries(codes.map((c) => [c, { description: c === '201' ? 'Created' : 'OK', content: json(name) }]));
  const patchTypes = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json',
    ...(e.strategic ? ['application/strategic-merge-patch+json'] : [])];
  const writeParams = [P.dryRun, P.fieldManager, P.fieldValidation];

  const item = (schema: string, kind: string, g: string, v: string, suffix: string, all: boolean): JSONObject => {
    const k = gvk(kind, g, v);
    const out: JSONObject = { parameters: [P.name(r.kind), ...ns, P.pretty] };
    if (all || verbs.has('get')) out.get = { operationId: opId('read', suffix), responses: ok(schema), 'x-kubernetes-action': 'get', 'x-kubernetes-group-version-kind': k };
    if (all || verbs.has('update')) {
      out.put = {
        operationId: opId('replace', suffix), parameters: writeParams,
        requestBody: { content: { '*/*': { schema: REF(schema) } }, required: true },
        responses: ok(schema, ['200', '201']), 'x-kubernetes-action': 'put', 'x-kubernetes-group-version-kind': k,
      };
    }
    // Every kind gets a PATCH operation: kubectl finds a kind's fieldValidation support there.
    out.patch = {
      operationId: opId('patch', suffix), parameters: [...writeParams, P.force],
      requestBody: { content: Object.fromEntries(patchTypes.map((t) => [t, { schema: REF(PATCH_SCHEMA) }])), required: true },
      responses: ok(schema, ['200', '201']), 'x-kubernetes-action': 'patch', 'x-kubernetes-group-version-kind': k,
    };
    if (suffix === '' && (all || verbs.has('delete'))) {
      out.delete = {
        operationId: opId('delete'), parameters: [P.dryRun],
        requestBody: { content: { '*/*': { schema: REF(`${META_V1}.DeleteOptions`) } } },
        responses: ok(schema, ['200', '202']), 'x-kubernetes-action': 'delete', 'x-kubernetes-group-version-kind': k,
      };
    }
    return out;
  };

  const paths: Record<string, JSONObject> = {};
  const collection: JSONObject = { parameters: [...ns, P.pretty] };
  if (verbs.has('list') && e.listSchemaName) {
    collection.get = { operationId: opId('list'), responses: ok(e.listSchemaName), 'x-kubernetes-action': 'list', 'x-kubernetes-group-version-kind': gvk(r.kind) };
  }
  if (verbs.has('create')) {
    collection.post = {
      operationId: opId('create'), parameters: writeParams,
      requestBody: { content: { '*/*': { schema: REF(e.schemaName) } }, required: true },
      responses: ok(e.schemaName, ['200', '201', '202']), 'x-kubernetes-action': 'post', 'x-kubernetes-group-version-kind': gvk(r.kind),
    };
  }
  if (verbs.has('deletecollection')) {
    collection.delete = { operationId: opId('deleteCollection'), responses: ok(`${META_V1}.Status`), 'x-kubernetes-action': 'deletecollection', 'x-kubernetes-group-version-kind': gvk(r.kind) };
  }
  if (collection.get || collection.post || collection.delete) paths[coll] = collection;
  paths[`${coll}/{name}`] = item(e.schemaName, r.kind, r.group, r.version, '', false);
  if (r.subresources?.status) paths[`${coll}/{name}/status`] = item(e.schemaName, r.kind, r.group, r.version, 'Status', true);
  if (r.subresources?.scale) paths[`${coll}/{name}/scale`] = item('io.k8s.api.autoscaling.v1.Scale', 'Scale', 'autoscaling', 'v1', 'Scale', true);
  return paths;
}

/** Component name upstream gives a custom kind: reversed group, version, kind (com.example.stable.v1.CronTab). */
export function customSchemaName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

function customSchema(c: CustomKind): JSONObject {
  const r = c.resource;
  const s: JSONObject = { ...(c.schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) };
  s.type = 'object';
  s.properties = {
    apiVersion: { description: TYPE_META_DOCS.apiVersion, type: 'string' },
    kind: { description: TYPE_META_DOCS.kind, type: 'string' },
    metadata: { allOf: [REF(`${META_V1}.ObjectMeta`)] },
    ...((c.schema?.properties as JSONObject | undefined) ?? {}),
  };
  s['x-kubernetes-group-version-kind'] = [{ group: r.group, kind: r.kind, version: r.version }];
  return s;
}

/**
 * Build one OpenAPI 3.0 document per group/version served by `resources` (kinds found in
 * the registry) and `custom` (kinds with their own schema).
 */
export function buildOpenAPI(resources: ResourceStrategy[], custom: CustomKind[] = []): OpenAPIDocuments {
  const byGV = new Map<string, { group: string; version: string; kinds: KindEntry[]; custom: CustomKind[] }>();
  const gvOf = (r: ResourceStrategy) => {
    const key = gvPath(r.group, r.version);
    let e = byGV.get(key);
    if (!e) byGV.set(key, (e = { group: r.group, version: r.version, kinds: [], custom: [] }));
    return e;
  };
  for (const r of resources) {
    const schemaName = messageForKind(r.group, r.version, r.kind);
    if (!schemaName) {
      gvOf(r).custom.push({ resource: r });
      continue;
    }
    gvOf(r).kinds.push({ resource: r, schemaName, listSchemaName: messageForKind(r.group, r.version, r.listKind ?? `${r.kind}List`), strategic: true });
  }
  for (const c of custom) gvOf(c.resource).custom.push(c);

  const documents = new Map<string, JSONObject>();
  for (const [key, gv] of byGV) {
    const paths: Record<string, JSONObject> = {};
    const schemas: Record<string, JSONObject> = {};
    const roots = [`${META_V1}.Status`, `${META_V1}.DeleteOptions`, `${META_V1}.ObjectMeta`];
    for (const k of gv.kinds) {
      roots.push(k.schemaName);
      if (k.listSchemaName) roots.push(k.listSchemaName);
      if (k.resource.subresources?.scale) roots.push('io.k8s.api.autoscaling.v1.Scale');
      Object.assign(paths, operations(k));
    }
    for (const c of gv.custom) {
      const r = c.resource;
      const name = customSchemaName(r.group, r.version, r.kind);
      schemas[name] = customSchema(c);
      Object.assign(paths, operations({ resource: r, schemaName: name, strategic: false }));
      if (r.subresources?.scale) roots.push('io.k8s.api.autoscaling.v1.Scale');
    }
    // Top-level kinds carry their group/version/kind; explain finds a kind's schema by it.
    const gvks = new Map<string, JSONObject[]>();
    const tag = (name: string | undefined, group: string, version: string, kind: string) => {
      if (name && !gvks.has(name)) gvks.set(name, [{ group, kind, version }]);
    };
    for (const k of gv.kinds) {
      tag(k.schemaName, gv.group, gv.version, k.resource.kind);
      tag(k.listSchemaName, gv.group, gv.version, k.resource.listKind ?? `${k.resource.kind}List`);
    }
    tag(`${META_V1}.Status`, '', 'v1', 'Status');
    tag(`${META_V1}.DeleteOptions`, gv.group, gv.version, 'DeleteOptions');
    tag('io.k8s.api.autoscaling.v1.Scale', 'autoscaling', 'v1', 'Scale');
    for (const n of closure(roots)) schemas[n] = messageSchema(n, gvks.get(n));
    schemas[PATCH_SCHEMA] = { description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.', type: 'object' };
    documents.set(key, {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'v1.32.0' },
      paths,
      components: { schemas },
    });
  }
  return { documents };
}
