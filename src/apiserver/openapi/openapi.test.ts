import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ResourceStrategy } from '../../api/types.js';
import { OpenAPIService, buildOpenAPI, parseTypeDocs, type JSONObject } from './index.js';

const r = (group: string, kind: string, plural: string, namespaced: boolean, extra: Partial<ResourceStrategy> = {}): ResourceStrategy =>
  ({ group, version: 'v1', kind, plural, singular: kind.toLowerCase(), namespaced, ...extra });

const RESOURCES: ResourceStrategy[] = [
  r('', 'Pod', 'pods', true, { subresources: { status: true } }),
  r('', 'ConfigMap', 'configmaps', true),
  r('', 'Namespace', 'namespaces', false, { subresources: { status: true } }),
  r('apps', 'Deployment', 'deployments', true, {
    subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
  }),
  r('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews', false, { verbs: ['create'] }),
];

type Schemas = Record<string, JSONObject>;
const schemasOf = (doc: JSONObject) => (doc.components as { schemas: Schemas }).schemas;

describe('buildOpenAPI', () => {
  const { documents } = buildOpenAPI(RESOURCES);
  const apps = documents.get('apis/apps/v1')!;

  test('one document per group/version', () => {
    assert.deepEqual([...documents.keys()].sort(), ['api/v1', 'apis/apps/v1', 'apis/authorization.k8s.io/v1']);
    assert.equal(apps.openapi, '3.0.0');
  });

  test('kind schemas carry GVK arrays, list semantics and formats', () => {
    const s = schemasOf(apps);
    assert.deepEqual(s['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    const podSpec = s['io.k8s.api.core.v1.PodSpec'].properties as Schemas;
    assert.equal(podSpec.containers['x-kubernetes-patch-merge-key'], 'name');
    assert.equal(podSpec.containers['x-kubernetes-patch-strategy'], 'merge');
    assert.equal(podSpec.containers['x-kubernetes-list-type'], 'map');
    assert.deepEqual(podSpec.containers['x-kubernetes-list-map-keys'], ['name']);
    assert.deepEqual(podSpec.containers.items, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] });
    assert.equal(podSpec.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
    assert.equal(podSpec.nodeSelector['x-kubernetes-map-type'], 'atomic');
    assert.deepEqual({ type: podSpec.terminationGracePeriodSeconds.type, format: podSpec.terminationGracePeriodSeconds.format }, { type: 'integer', format: 'int64' });
    assert.equal(s['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
    assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString']['x-kubernetes-int-or-string'], true);
    assert.equal(s['io.k8s.apimachinery.pkg.runtime.RawExtension']?.type ?? 'object', 'object');
    assert.ok(s['io.k8s.api.autoscaling.v1.Scale'], 'scale subresource schema included');
    assert.deepEqual(s['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
    assert.match(String((s['io.k8s.api.apps.v1.DeploymentSpec'].properties as Schemas).replicas.description), /Number of desired pods/);
  });

  test('every kind has a PATCH operation declaring fieldValidation', () => {
    for (const [key, doc] of documents) {
      const kinds = RESOURCES.filter((x) => (x.group === '' ? 'api/v1' : `apis/${x.group}/v1`) === key);
      for (const k of kinds) {
        const patch = Object.values(doc.paths as Record<string, JSONObject>).map((p) => p.patch as JSONObject | undefined)
          .find((p) => (p?.['x-kubernetes-group-version-kind'] as JSONObject | undefined)?.kind === k.kind);
        assert.ok(patch, `patch for ${k.kind}`);
        const names = (patch.parameters as JSONObject[]).map((p) => `${p.in}:${p.name}`);
        for (const n of ['query:fieldValidation', 'query:dryRun', 'query:fieldManager', 'query:force']) assert.ok(names.includes(n), `${k.kind} ${n}`);
        assert.ok(Object.hasOwn((patch.requestBody as { content: JSONObject }).content, 'application/strategic-merge-patch+json'));
      }
    }
  });

  test('custom kinds get their schema and no strategic merge', () => {
    const crd = r('example.com', 'Widget', 'widgets', true);
    const { documents: d } = buildOpenAPI([], [{ resource: crd, schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } }]);
    const doc = d.get('apis/example.com/v1')!;
    const w = schemasOf(doc)['com.example.v1.Widget'];
    assert.deepEqual(Object.keys(w.properties as JSONObject), ['apiVersion', 'kind', 'metadata', 'spec']);
    const patch = (doc.paths as Record<string, JSONObject>)['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}'].patch as JSONObject;
    assert.ok(!Object.hasOwn((patch.requestBody as { content: JSONObject }).content, 'application/strategic-merge-patch+json'));
    assert.ok(schemasOf(doc)['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  });

  test('service caches, hashes and invalidates', () => {
    const svc = new OpenAPIService(() => RESOURCES);
    const url = svc.index().paths['apis/apps/v1'].serverRelativeURL;
    const doc = svc.document(url)!;
    assert.equal(url, `/openapi/v3/apis/apps/v1?hash=${doc.hash}`);
    assert.equal(doc.etag, `"${doc.hash}"`);
    assert.equal(svc.document('apis/apps/v1'), doc);
    assert.equal(svc.document('apis/nope/v1'), undefined);
    svc.addSchemas('example.com', 'v1', [{ resource: r('example.com', 'Widget', 'widgets', true) }]);
    assert.ok(svc.index().paths['apis/example.com/v1']);
    assert.equal(svc.document('apis/apps/v1')!.hash, doc.hash, 'unchanged content keeps its hash');
    svc.addSchemas('example.com', 'v1', []);
    assert.equal(svc.index().paths['apis/example.com/v1'], undefined);
  });

  test('parseTypeDocs reads interface and property JSDoc', () => {
    const docs = parseTypeDocs('/** A thing. */\nexport interface Thing {\n    /** The name. */\n    name: string;\n    /**\n     * Multi\n     * line.\n     */\n    readonly other?: number;\n}\n');
    assert.deepEqual(docs.get('Thing'), { description: 'A thing.', properties: new Map([['name', 'The name.'], ['other', 'Multi\nline.']]), required: ['name'] });
  });
});

const KUBECTL = '/usr/bin/kubectl';

describe('real kubectl against the served documents', { skip: existsSync(KUBECTL) ? false : `${KUBECTL} not installed` }, () => {
  const svc = new OpenAPIService(() => RESOURCES);
  const requests: Array<{ method: string; url: string; contentType?: string; body: string }> = [];
  let live: JSONObject | undefined;
  let server: http.Server;
  let base = '';
  let tmp = '';

  const resourceList = (gv: string, group: string) => ({
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv,
    resources: RESOURCES.filter((x) => x.group === group).map((x) => ({
      name: x.plural, singularName: x.singular, namespaced: x.namespaced, kind: x.kind, verbs: x.verbs ?? ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    })),
  });

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'kite-openapi-'));
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        requests.push({ method: req.method!, url: req.url!, contentType: req.headers['content-type'], body });
        const url = new URL(req.url!, 'http://x');
        const send = (code: number, obj: unknown) => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        const p = url.pathname;
        if (p === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: 'x', gitTreeState: 'clean', buildDate: '2024-12-11T00:00:00Z', goVersion: 'go1.23', compiler: 'gc', platform: 'linux/amd64' });
        if (p === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: base.slice(7) }] });
        if (p === '/api/v1') return send(200, resourceList('v1', ''));
        if (p === '/apis') {
          const groups = ['apps', 'authorization.k8s.io'].map((g) => ({ name: g, versions: [{ groupVersion: `${g}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${g}/v1`, version: 'v1' } }));
          return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
        }
        const gm = /^\/apis\/([^/]+)\/v1$/.exec(p);
        if (gm) return send(200, resourceList(`${gm[1]}/v1`, gm[1]));
        if (p === '/openapi/v3') return send(200, svc.index());
        if (p.startsWith('/openapi/v3/')) {
          const doc = svc.document(p);
          if (!doc) return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
          res.writeHead(200, { 'content-type': 'application/json', etag: doc.etag });
          return res.end(doc.body);
        }
        if (p === '/apis/apps/v1/namespaces/default/deployments/web') {
          if (req.method === 'GET' && live) return send(200, live);
          if (req.method === 'PATCH') return send(200, live);
          return send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "web" not found', reason: 'NotFound', details: { name: 'web', group: 'apps', kind: 'deployments' }, code: 404 });
        }
        if (p === '/apis/apps/v1/namespaces/default/deployments' && req.method === 'POST') {
          live = { ...JSON.parse(body), metadata: { ...JSON.parse(body).metadata, namespace: 'default', uid: 'u1', resourceVersion: '1' } };
          return send(201, live);
        }
        send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not found', reason: 'NotFound', code: 404 });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', '/dev/null', '--server', base, '--cache-dir', path.join(tmp, 'cache'), ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });

  test('explain deployment.spec.strategy', async () => {
    const out = await kubectl('explain', 'deployment.spec.strategy');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /KIND:\s+Deployment/);
    assert.match(out.stdout, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(out.stdout, /The deployment strategy to use to replace existing pods with new ones\./);
    assert.match(out.stdout, /rollingUpdate\s+<RollingUpdateDeployment>/);
    assert.match(out.stdout, /type\s+<string>/);
  });

  test('explain pods.spec.containers.image', async () => {
    const out = await kubectl('explain', 'pods.spec.containers.image');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /FIELD: image <string>/);
    assert.match(out.stdout, /Container image name/);
  });

  test('explain shows int-or-string and list fields', async () => {
    const out = await kubectl('explain', 'deployment.spec.strategy.rollingUpdate');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /maxSurge\s+<IntOrString>/);
    const c = await kubectl('explain', 'pods.spec');
    assert.match(c.stdout, /containers\s+<\[\]Container> -required-/);
  });

  test('create -f sends fieldValidation=Strict; apply computes a strategic patch from the schema', async () => {
    const file = path.join(tmp, 'deploy.yaml');
    const manifest = (image: string, env: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        env: [${env}]
`;
    writeFileSync(file, manifest('nginx:1.25', '{name: A, value: "1"}, {name: B, value: "2"}'));
    const created = await kubectl('apply', '-f', file);
    assert.equal(created.code, 0, created.stderr);
    const post = requests.find((q) => q.method === 'POST');
    assert.ok(post, 'POST sent');
    assert.match(post.url, /fieldValidation=Strict/);

    writeFileSync(file, manifest('nginx:1.26', '{name: A, value: "1"}'));
    const applied = await kubectl('apply', '-f', file);
    assert.equal(applied.code, 0, applied.stderr);
    const patch = requests.find((q) => q.method === 'PATCH');
    assert.ok(patch, 'PATCH sent');
    assert.equal(patch.contentType, 'application/strategic-merge-patch+json');
    const body = JSON.parse(patch.body) as { spec: { template: { spec: JSONObject } } };
    const podSpec = body.spec.template.spec;
    assert.deepEqual(podSpec['$setElementOrder/containers'], [{ name: 'web' }]);
    assert.deepEqual(podSpec.containers, [{ name: 'web', image: 'nginx:1.26', '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'B', $patch: 'delete' }] }]);
  });
});
