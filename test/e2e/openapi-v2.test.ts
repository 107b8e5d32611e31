// /openapi/v2 with the kubectl releases that need it: 1.27 and 1.28 download it (as
// protobuf) before every apply/create/explain, build their models from its definitions and,
// for the second apply of a built-in kind, compute the strategic merge patch from its patch
// metadata. One server serves the whole file; tests build on each other's objects.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startServer, waitFor, type KiteServer } from './helpers.js';

const K127 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.27';
const K128 = '/usr/lib/google-cloud-sdk/bin/kubectl.1.28';
const missing = [K127, K128].filter((b) => !existsSync(b));

const deployment = (image: string, env: string, extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: v2web
  namespace: default
spec:
  replicas: 1${extra}
  selector:
    matchLabels: {app: v2web}
  template:
    metadata:
      labels: {app: v2web}
    spec:
      containers:
      - name: web
        image: ${image}
        env: [${env}]
`;

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, description: How big the gadget is.}
              port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
`;

describe('kubectl 1.27 and 1.28 with /openapi/v2', { skip: missing.length ? `not installed: ${missing.join(', ')}` : false }, () => {
  let s: KiteServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s?.cleanup();
  });

  test('apply -f and create -f with validation on (the default)', async () => {
    const out = await s.kubectl(['apply', '-f', '-'], { bin: K128, input: deployment('nginx:1.25', '{name: A, value: "1"}, {name: B, value: "2"}') });
    assert.equal(out.stdout.trim(), 'deployment.apps/v2web created');
    const cm = await s.kubectl(['create', '-f', '-'], { bin: K127, input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: v2cm, namespace: default}\ndata: {a: "1"}\n' });
    assert.equal(cm.stdout.trim(), 'configmap/v2cm created');
  });

  // These releases skip their own (v2) validation when the v3 document says the server
  // validates fields, and send fieldValidation=Strict instead; either way the field is named.
  test('a manifest with an unknown field is rejected, naming the field', async () => {
    const bad = deployment('nginx:1.25', '{name: A, value: "1"}', '\n  replicaz: 2').replace('name: v2web\n', 'name: v2bad\n');
    for (const bin of [K127, K128]) {
      const out = await s.kubectl(['apply', '-f', '-'], { bin, input: bad, allowFail: true });
      assert.notEqual(out.code, 0, `${bin} accepted an unknown field`);
      assert.match(out.stderr, /replicaz/);
    }
    const get = await s.kubectl(['get', 'deployment', 'v2bad', '-n', 'default'], { bin: K128, allowFail: true });
    assert.notEqual(get.code, 0, 'nothing was created');
  });

  test('explain: the default renderer and the v2 one', async () => {
    const v3 = await s.kubectl(['explain', 'deployment.spec'], { bin: K127 });
    assert.match(v3.stdout, /FIELD: spec <DeploymentSpec>/);
    assert.match(v3.stdout, /template\s+<PodTemplateSpec> -required-/);
    const v2 = await s.kubectl(['explain', '--output=plaintext-openapiv2', 'deployment.spec.template.spec.containers'], { bin: K128 });
    assert.match(v2.stdout, /VERSION:\s+apps\/v1/);
    assert.match(v2.stdout, /RESOURCE: containers <\[\]Object>/);
    assert.match(v2.stdout, /name\t<string> -required-/);
    assert.match(v2.stdout, /Container image name/);
    const ports = await s.kubectl(['explain', '--output=plaintext-openapiv2', 'service.spec.ports.targetPort'], { bin: K127 });
    assert.match(ports.stdout, /FIELD:\s+targetPort <string>/);
  });

  test('second apply: a strategic merge patch from the v2 patch metadata', async () => {
    const out = await s.kubectl(['apply', '-f', '-', '-v=8'], { bin: K128, input: deployment('nginx:1.26', '{name: A, value: "1"}, {name: C, value: "3"}') });
    assert.match(out.stdout, /deployment.apps\/v2web configured/);
    assert.doesNotMatch(out.stderr, /error calculating patch from openapi spec/);
    assert.match(out.stderr, /Content-Type: application\/strategic-merge-patch\+json/);
    assert.match(out.stderr, /"\$setElementOrder\/env":\[\{"name":"A"\},\{"name":"C"\}\]/);
    const live = JSON.parse((await s.kubectl(['get', 'deployment', 'v2web', '-n', 'default', '-o', 'json'], { bin: K128 })).stdout) as {
      spec: { template: { spec: { containers: Array<{ image: string; env: unknown }> } } };
    };
    const [c] = live.spec.template.spec.containers;
    assert.equal(c.image, 'nginx:1.26');
    assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
  });

  test('a new custom resource definition shows up in /openapi/v2', async () => {
    await s.kubectl(['apply', '-f', '-'], { bin: K128, input: CRD });
    const out = await waitFor(async () => {
      const r = await s.kubectl(['explain', '--output=plaintext-openapiv2', 'gadget.spec'], { bin: K128, allowFail: true });
      return r.code === 0 ? r.stdout : undefined;
    }, 30_000, 'kubectl explain gadget.spec');
    assert.match(out, /size\t<integer>/);
    assert.match(out, /How big the gadget is\./);
    const created = await s.kubectl(['apply', '-f', '-'], { bin: K127, input: 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\nspec: {size: 2, port: 80}\n' });
    assert.equal(created.stdout.trim(), 'gadget.example.com/g1 created');
  });
});
