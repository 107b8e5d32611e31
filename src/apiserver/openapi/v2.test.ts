import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ResourceStrategy } from '../../api/types.js';
import { OpenAPIService, buildOpenAPI, type CustomKind, type JSONObject } from './index.js';
import { serveOpenAPI } from './serve.js';
import { PROTOBUF_V2, buildSwagger, negotiateV2, toV2Schema } from './v2.js';
import { encodeSwagger } from './v2proto.js';

const r = (group: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceStrategy> = {}): ResourceStrategy =>
  ({ group, version: 'v1', kind, plural, singular: kind.toLowerCase(), namespaced, ...extra });

const RESOURCES: ResourceStrategy[] = [
  r('', 'Pod', 'pods', true, { subresources: { status: true } }),
  r('', 'ConfigMap', 'configmaps', true),
  r('apps', 'Deployment', 'deployments', true, {
    subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
  }),
];

const WIDGET: CustomKind = {
  resource: r('example.com', 'Widget', 'widgets', true),
  schema: {
    type: 'object',
    properties: {
      spec: {
        type: 'object', description: 'Desired state.', required: ['size'],
        properties: {
          size: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
          mode: { type: 'string', enum: ['fast', 'slow'], maxLength: 8 },
          port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
          note: { type: 'string', nullable: true },
          tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'string' } } },
          empty: { type: 'object', properties: {} },
        },
      },
    },
  },
};

type Schemas = Record<string, JSONObject>;
const swaggerOf = (resources: ResourceStrategy[], custom: CustomKind[] = []) => buildSwagger(buildOpenAPI(resources, custom).documents.values());

describe('buildSwagger', () => {
  const doc = swaggerOf(RESOURCES, [WIDGET]);
  const defs = doc.definitions as Schemas;
  const paths = doc.paths as Record<string, Record<string, JSONObject>>;

  test('definitions keep upstream names, GVK arrays and patch metadata; refs point at #/definitions', () => {
    assert.equal(doc.swagger, '2.0');
    assert.deepEqual(defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const podSpec = defs['io.k8s.api.core.v1.PodSpec'].properties as Schemas;
    assert.deepEqual(podSpec.containers, {
      type: 'array', items: { $ref: '#/definitions/io.k8s.api.core.v1.Container' }, description: podSpec.containers.description,
      'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
    });
    const spec = (defs['io.k8s.api.apps.v1.Deployment'].properties as Schemas).spec;
    assert.equal(spec.$ref, '#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
    assert.deepEqual(Object.keys(spec).sort(), ['$ref', 'description']);
  });

  test('unions become strings; no v3-only keywords remain', () => {
    assert.equal(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].type, 'string');
    assert.equal(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
    assert.equal(defs['io.k8s.apimachinery.pkg.api.resource.Quantity'].type, 'string');
    const text = JSON.stringify(doc);
    for (const k of ['"oneOf"', '"anyOf"', '"allOf"', '"nullable"', '"requestBody"', '"content"', '#/components/']) assert.ok(!text.includes(k), k);
  });

  test('DeleteOptions lists every group/version that serves it', () => {
    const gvks = defs['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind'] as JSONObject[];
    assert.deepEqual(gvks.map((g) => `${String(g.group)}/${String(g.version)}`).sort(), ['/v1', 'apps/v1', 'example.com/v1']);
  });

  test('custom schemas: int-or-string, nullable and open objects', () => {
    const s = (defs['com.example.v1.Widget'].properties as Schemas).spec.properties as Schemas;
    assert.deepEqual(s.port, { type: 'string', 'x-kubernetes-int-or-string': true });
    assert.deepEqual(s.note, {});
    assert.deepEqual(s.free, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    assert.deepEqual(s.labels, { type: 'object', additionalProperties: { type: 'string' } });
    assert.deepEqual(toV2Schema({ type: 'array' }), { type: 'array', items: {} }, 'arrays always have an item schema');
  });

  test('operations: consumes, produces, body and query parameters, GVK', () => {
    const patch = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    assert.ok((patch.consumes as string[]).includes('application/strategic-merge-patch+json'));
    assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
    const params = patch.parameters as JSONObject[];
    assert.deepEqual(params[0], { name: 'body', in: 'body', required: true, schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' } });
    assert.ok(params.some((p) => p.name === 'fieldValidation' && p.in === 'query' && p.type === 'string'));
    assert.deepEqual((patch.responses as Schemas)['200'].schema, { $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' });
    assert.deepEqual(patch.produces, ['application/json', 'application/yaml']);
    const widget = paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch;
    assert.ok(!(widget.consumes as string[]).includes('application/strategic-merge-patch+json'));
  });
});

// A minimal protobuf reader, with field numbers taken independently from gnostic's OpenAPIv2.proto.
type Field = { n: number; v: number | Buffer };
function decode(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    for (let mul = 1; ; mul *= 128) {
      const b = buf[i++];
      v += (b & 127) * mul;
      if (b < 128) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wt = key % 8;
    const n = Math.floor(key / 8);
    if (wt === 0) out.push({ n, v: varint() });
    else if (wt === 1) {
      out.push({ n, v: buf.readDoubleLE(i) });
      i += 8;
    } else if (wt === 2) {
      const len = varint();
      out.push({ n, v: buf.subarray(i, i + len) });
      i += len;
    } else throw new Error(`unexpected wire type ${wt}`);
  }
  return out;
}
const all = (buf: Buffer, n: number) => decode(buf).filter((f) => f.n === n).map((f) => f.v);
const msgs = (buf: Buffer, n: number) => all(buf, n) as Buffer[];
const one = (buf: Buffer, n: number) => msgs(buf, n)[0];
const text = (buf: Buffer, n: number) => one(buf, n)?.toString('utf8');
const texts = (buf: Buffer, n: number) => msgs(buf, n).map((b) => b.toString('utf8'));
/** Any{yaml = 2}: our YAML is JSON. */
const anyValue = (b: Buffer) => JSON.parse(text(b, 2)) as unknown;
/** NamedX{name = 1, value = 2} entries of `buf` at field n. */
const named = (buf: Buffer, n: number) => msgs(buf, n).map((e) => [text(e, 1), one(e, 2)] as const);
const exts = (buf: Buffer, n: number) => Object.fromEntries(named(buf, n).map(([k, v]) => [k, anyValue(v)]));

/** openapi_v2.Schema back to JSON, for the keywords the builder emits. */
function schemaJSON(b: Buffer): JSONObject {
  const s: JSONObject = {};
  const set = (k: string, v: unknown) => { if (v !== undefined) s[k] = v; };
  set('$ref', text(b, 1));
  set('format', text(b, 2));
  set('description', text(b, 4));
  if (one(b, 5)) s.default = anyValue(one(b, 5));
  set('maximum', all(b, 7)[0]);
  set('minimum', all(b, 9)[0]);
  set('maxLength', all(b, 11)[0]);
  if (all(b, 16)[0] === 1) s.uniqueItems = true;
  if (msgs(b, 19).length) s.required = texts(b, 19);
  if (msgs(b, 20).length) s.enum = msgs(b, 20).map(anyValue);
  const ap = one(b, 21);
  if (ap) s.additionalProperties = one(ap, 1) ? schemaJSON(one(ap, 1)) : all(ap, 2)[0] === 1;
  if (one(b, 22)) s.type = texts(one(b, 22), 1)[0];
  if (one(b, 23)) s.items = schemaJSON(one(one(b, 23), 1));
  if (one(b, 25)) s.properties = Object.fromEntries(named(one(b, 25), 1).map(([k, v]) => [k, schemaJSON(v)]));
  Object.assign(s, exts(b, 31));
  return s;
}

/** The checks kubectl's model parser (k8s.io/kube-openapi/pkg/util/proto) makes; any failure there rejects the whole document. */
function assertParsable(name: string, s: JSONObject, defs: Schemas): void {
  if (s.$ref !== undefined) {
    assert.ok(!s.type && !s.properties, `${name}: a reference has no type or properties`);
    assert.ok(String(s.$ref).startsWith('#/definitions/') && defs[String(s.$ref).slice(14)], `${name}: reference ${String(s.$ref)} resolves`);
    return;
  }
  if (s.type !== undefined) assert.ok(['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(String(s.type)), `${name}: type ${String(s.type)}`);
  if (s.type === 'array') {
    assert.ok(s.items, `${name}: array with one item schema`);
    assertParsable(`${name}[]`, s.items as JSONObject, defs);
  }
  for (const [k, v] of Object.entries((s.properties ?? {}) as Schemas)) assertParsable(`${name}.${k}`, v, defs);
  if (typeof s.additionalProperties === 'object') assertParsable(`${name}{}`, s.additionalProperties as JSONObject, defs);
}

describe('encodeSwagger', () => {
  const doc = swaggerOf(RESOURCES, [WIDGET]);
  const buf = encodeSwagger(doc);

  test('document header and every definition round-trip', () => {
    assert.equal(text(buf, 1), '2.0');
    assert.equal(text(one(buf, 2), 1), 'Kubernetes');
    const defs = Object.fromEntries(named(one(buf, 9), 1).map(([k, v]) => [k, schemaJSON(v)]));
    assert.deepEqual(Object.keys(defs), Object.keys(doc.definitions as Schemas));
    assert.deepEqual(defs, doc.definitions);
    for (const [n, s] of Object.entries(defs)) assertParsable(n, s, defs);
  });

  test('an empty properties message is still present (an object with no fields, not a map)', () => {
    const widget = named(one(buf, 9), 1).find(([k]) => k === 'com.example.v1.Widget')![1];
    const spec = named(one(widget, 25), 1).find(([k]) => k === 'spec')![1];
    const empty = named(one(spec, 25), 1).find(([k]) => k === 'empty')![1];
    assert.ok(one(empty, 25), 'properties field written');
    assert.equal(one(empty, 25).length, 0);
  });

  test('the PATCH operation as kubectl reads it: consumes, GVK extension, query parameters', () => {
    const item = named(one(buf, 8), 2).find(([k]) => k === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}')![1];
    const patch = one(item, 8);
    assert.equal(text(patch, 5), 'patchNamespacedDeployment');
    assert.ok(texts(patch, 7).includes('application/strategic-merge-patch+json'));
    assert.deepEqual(exts(patch, 13)['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
    // ParametersItem.parameter(1) -> Parameter.body_parameter(1) | non_body_parameter(2) -> query(3).
    const params = msgs(patch, 8).map((p) => one(p, 1));
    assert.equal(text(one(params[0], 1), 2), 'body');
    assert.equal(text(one(one(params[0], 1), 5), 1), '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const query = params.slice(1).map((p) => one(one(p, 2), 3)).filter(Boolean);
    assert.ok(query.some((q) => text(q, 4) === 'fieldValidation' && text(q, 2) === 'query' && text(q, 6) === 'string'));
    // Path-level path parameters: PathParameterSubSchema (4), required = 1, type = 5.
    const pathParams = msgs(item, 9).map((p) => one(one(one(p, 1), 2), 4)).filter(Boolean);
    assert.deepEqual(pathParams.map((p) => [text(p, 4), all(p, 1)[0], text(p, 5)]), [['name', 1, 'string'], ['namespace', 1, 'string']]);
    // Responses: NamedResponseValue(1) -> ResponseValue.response(1) -> schema(2) -> SchemaItem.schema(1).
    const ok = named(one(patch, 9), 1).find(([code]) => code === '200')![1];
    assert.equal(text(one(one(one(ok, 1), 2), 1), 1), '#/definitions/io.k8s.api.apps.v1.Deployment');
  });
});

describe('serving /openapi/v2', () => {
  test('negotiation follows the Accept header', () => {
    const cases: Array<[string | undefined, string | undefined]> = [
      ['application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'proto'],
      ['application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'proto'],
      ['application/json', 'json'],
      [undefined, 'json'],
      ['*/*', 'json'],
      ['application/json;q=0.5, application/com.github.proto-openapi.spec.v2@v1.0+protobuf', 'proto'],
      ['text/html', undefined],
    ];
    for (const [accept, want] of cases) assert.equal(negotiateV2(accept), want, String(accept));
  });

  test('protobuf and JSON, ETag, 304 and 406; rebuilt when custom kinds change', async () => {
    const svc = new OpenAPIService(() => RESOURCES);
    const server = http.createServer((req, res) => {
      if (!serveOpenAPI(svc, req, res, new URL(req.url!, 'http://x'))) {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const get = (headers: Record<string, string>) => new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: '/openapi/v2', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    try {
      const accept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
      const pb = await get({ Accept: accept });
      assert.equal(pb.status, 200);
      assert.equal(pb.headers['content-type'], PROTOBUF_V2);
      assert.equal(pb.headers.vary, 'Accept');
      const defNames = (b: Buffer) => named(one(b, 9), 1).map(([k]) => k);
      assert.ok(defNames(pb.body).includes('io.k8s.api.apps.v1.Deployment'));
      assert.equal((await get({ Accept: accept, 'If-None-Match': String(pb.headers.etag) })).status, 304);

      const json = await get({ Accept: 'application/json' });
      assert.equal(json.headers['content-type'], 'application/json');
      assert.equal((JSON.parse(json.body.toString()) as JSONObject).swagger, '2.0');
      assert.notEqual(json.headers.etag, pb.headers.etag);
      assert.equal((await get({ Accept: 'text/html' })).status, 406);

      svc.addSchemas('example.com', 'v1', [WIDGET]);
      const after = await get({ Accept: accept, 'If-None-Match': String(pb.headers.etag) });
      assert.equal(after.status, 200);
      assert.ok(defNames(after.body).includes('com.example.v1.Widget'));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

const KUBECTL_128 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.28';

// kubectl 1.28 validates on the client, against the v2 definitions, only when the server
// declares no fieldValidation parameter; this fake server serves discovery and a v2 document
// without it (and no v3), so the definitions themselves are put to kubectl's validator.
describe('kubectl 1.28 client-side validation against the v2 definitions', { skip: existsSync(KUBECTL_128) ? false : `${KUBECTL_128} not installed` }, () => {
  const swagger = swaggerOf(RESOURCES);
  for (const item of Object.values(swagger.paths as Record<string, Record<string, JSONObject>>)) {
    for (const op of Object.values(item)) if (Array.isArray(op.parameters)) op.parameters = (op.parameters as JSONObject[]).filter((p) => p.name !== 'fieldValidation');
  }
  const body = encodeSwagger(swagger);

  const kubectl = async (manifest: string) => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'kite-openapi-v2-'));
    const server = http.createServer((req, res) => {
      const p = new URL(req.url!, 'http://x').pathname;
      const send = (obj: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const list = (gv: string, group: string) => send({
        kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
        resources: RESOURCES.filter((x) => x.group === group).map((x) => ({ name: x.plural, singularName: x.singular, namespaced: x.namespaced, kind: x.kind, verbs: ['create', 'get', 'list', 'patch'] })),
      });
      if (p === '/version') return send({ major: '1', minor: '28', gitVersion: 'v1.28.0' });
      if (p === '/api') return send({ kind: 'APIVersions', versions: ['v1'] });
      if (p === '/apis') return send({ kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } }] });
      if (p === '/api/v1') return list('v1', '');
      if (p === '/apis/apps/v1') return list('apps/v1', 'apps');
      if (p === '/openapi/v2') {
        res.writeHead(200, { 'content-type': PROTOBUF_V2 });
        return res.end(body);
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const file = path.join(tmp, 'm.yaml');
      writeFileSync(file, manifest);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      return await new Promise<{ code: number; out: string }>((resolve) => {
        execFile(KUBECTL_128, ['--kubeconfig', '/dev/null', '--server', base, '--cache-dir', path.join(tmp, 'cache'), 'create', '--dry-run=client', '-o', 'name', '-f', file],
          { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp }, timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(tmp, { recursive: true, force: true });
    }
  };

  const manifest = (extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2${extra}
  selector: {matchLabels: {app: web}}
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 500m, memory: 1Gi}, requests: {cpu: 1}}
`;

  test('a valid manifest passes (int-or-string, quantities, nested lists)', async () => {
    const r = await kubectl(manifest(''));
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out.trim(), 'deployment.apps/web');
  });

  test('unknown fields and wrong types are reported with their paths', async () => {
    const r = await kubectl(manifest('\n  replicaz: 2\n  paused: "yes"'));
    assert.notEqual(r.code, 0);
    assert.match(r.out, /unknown field "replicaz" in io\.k8s\.api\.apps\.v1\.DeploymentSpec/);
    assert.match(r.out, /invalid type for io\.k8s\.api\.apps\.v1\.DeploymentSpec\.paused: got "string", expected "boolean"/);
  });
});
