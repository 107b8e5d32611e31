// CustomResourceDefinitions end to end: an in-process server (memory store, port 0) driven
// by the real kubectl. A CRD with a schema, printer columns and status/scale subresources
// becomes Established and served; custom resources are validated, defaulted and pruned;
// scale, status, explain and deletion (with cleanup of the custom resources) work.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runServer } from '../../src/cluster/server.js';

interface Run { code: number; stdout: string; stderr: string }

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget for tests.
        properties:
          spec:
            type: object
            description: What the widget should be.
            required: [size]
            properties:
              size: {type: string, enum: [small, large], description: How big the widget is.}
              replicas: {type: integer, minimum: 0, default: 1}
              color: {type: string, default: blue}
          status:
            type: object
            properties:
              replicas: {type: integer}
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
`;

const widget = (name: string, spec: string) => `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;

describe('custom resource definitions with kubectl', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-crd-'));
  const ac = new AbortController();
  let serving: Promise<void> | undefined;
  let kubeconfig = '';

  /** Runs kubectl; `cache` names its discovery cache (a new one sees the current discovery). */
  const kubectl = (args: string[], stdin?: string, cache = 'cache'): Promise<Run> => new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, cache), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
  const ok = async (args: string[], stdin?: string, cache?: string): Promise<string> => {
    const r = await kubectl(args, stdin, cache);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const getJson = async (args: string[]): Promise<Record<string, any>> => JSON.parse(await ok(['get', ...args, '-o', 'json'])) as Record<string, any>;

  before(async () => {
    await new Promise<void>((resolve, reject) => {
      serving = runServer(
        { dataDir: join(dir, 'data'), bindAddress: '127.0.0.1', port: 0, writeKubeconfig: join(dir, 'kubeconfig'), store: 'memory', disableAgent: true },
        ac.signal,
        (s) => {
          kubeconfig = s.kubeconfigPath;
          resolve();
        },
      );
      serving.catch(reject);
    });
  });

  after(async () => {
    ac.abort();
    await serving?.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('the CRD is applied and becomes Established', async () => {
    assert.match(await ok(['apply', '-f', '-'], CRD), /customresourcedefinition.apiextensions.k8s.io\/widgets.example.com created/);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com']);
    const crd = await getJson(['crd', 'widgets.example.com']);
    const conds = Object.fromEntries((crd.status.conditions as { type: string; status: string; reason: string }[]).map((c) => [c.type, `${c.status}/${c.reason}`]));
    assert.equal(conds.NamesAccepted, 'True/NoConflicts');
    assert.equal(conds.Established, 'True/InitialNamesAccepted');
    assert.equal(crd.status.acceptedNames.kind, 'Widget');
    assert.deepEqual(crd.status.storedVersions, ['v1']);
    assert.match(await ok(['api-resources', '--api-group=example.com']), /widgets\s+wd\s+example.com\/v1\s+true\s+Widget/);
  });

  test('a custom resource is defaulted and listed with its printer columns', async () => {
    assert.match(await ok(['apply', '-f', '-'], widget('w1', '  size: small\n')), /widget.example.com\/w1 created/);
    const w = await getJson(['widget', 'w1']);
    assert.equal(w.spec.replicas, 1);
    assert.equal(w.spec.color, 'blue');
    assert.equal(w.metadata.generation, 1);
    const table = await ok(['get', 'widgets']);
    assert.match(table, /^NAME\s+SIZE\s+REPLICAS\s+READY\s+AGE\n/);
    // READY has no value yet: the cell is null and kubectl leaves it blank.
    assert.match(table, /^w1\s+small\s+1\s+\d+s\n/m);
    assert.match(await ok(['get', 'wd']), /^w1\s+small/m);
  });

  test('invalid custom resources are rejected with upstream messages', async () => {
    const bad = await kubectl(['apply', '-f', '-'], widget('bad', '  size: small\n  replicas: many\n'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Widget "bad" is invalid: [\s\S]*spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"/);
    const missing = await kubectl(['create', '-f', '-'], widget('bad', '  replicas: 2\n'));
    assert.match(missing.stderr, /spec.size: Required value/);
    const enumBad = await kubectl(['create', '-f', '-'], widget('bad', '  size: huge\n'));
    assert.match(enumBad.stderr, /spec.size: Unsupported value: "huge": supported values: "small", "large"/);
    const raw = await kubectl(['create', '--raw', '/apis/example.com/v1/namespaces/default/widgets', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'bad' }, spec: { size: 1 } }));
    assert.match(raw.stderr, /Invalid/);
    assert.equal((await kubectl(['get', 'widget', 'bad'])).code, 1);
  });

  test('unknown fields are pruned, or rejected with strict validation', async () => {
    const strict = await kubectl(['create', '--validate=strict', '-f', '-'], widget('w2', '  size: large\n  bogus: 1\n'));
    assert.notEqual(strict.code, 0);
    assert.match(strict.stderr, /unknown field "spec.bogus"/);
    await ok(['create', '--validate=false', '-f', '-'], widget('w2', '  size: large\n  bogus: 1\n'));
    const w = await getJson(['widget', 'w2']);
    assert.equal(w.spec.bogus, undefined);
    assert.equal(w.spec.size, 'large');
  });

  test('status and scale subresources', async () => {
    await ok(['patch', 'widget', 'w1', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { replicas: 1, conditions: [{ type: 'Ready', status: 'True' }] } })]);
    // Main-resource writes cannot change status.
    await ok(['patch', 'widget', 'w1', '--type=merge', '-p', '{"status":{"replicas":7}}']);
    assert.match(await ok(['scale', 'widget', 'w1', '--replicas=3']), /widget.example.com\/w1 scaled/);
    const w = await getJson(['widget', 'w1']);
    assert.equal(w.spec.replicas, 3);
    assert.equal(w.status.replicas, 1);
    assert.equal(w.metadata.generation, 2);
    assert.match(await ok(['get', 'widgets']), /^w1\s+small\s+3\s+True\s/m);
    const scale = JSON.parse(await ok(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets/w1/scale'])) as Record<string, any>;
    assert.deepEqual([scale.kind, scale.spec.replicas, scale.status.replicas], ['Scale', 3, 1]);
  });

  test('kubectl explain reads the schema', async () => {
    const out = await ok(['explain', 'widget.spec']);
    assert.match(out, /KIND:\s+Widget/);
    assert.match(out, /What the widget should be/);
    assert.match(out, /size\s+<string> -required-/);
    assert.match(out, /How big the widget is/);
  });

  test('deleting the CRD deletes its custom resources and stops serving it', async () => {
    assert.match(await ok(['delete', 'crd', 'widgets.example.com', '--timeout=60s']), /deleted/);
    assert.equal((await kubectl(['get', 'crd', 'widgets.example.com'])).code, 1);
    const gone = await kubectl(['get', 'widgets'], undefined, 'cache-after-delete');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /the server doesn't have a resource type "widgets"/);
    assert.doesNotMatch(await ok(['api-resources'], undefined, 'cache-after-delete'), /widgets/);
    assert.match((await kubectl(['get', '--raw', '/apis/example.com/v1/namespaces/default/widgets'])).stderr, /NotFound/);
    // Re-created, the resource starts empty: the old objects were deleted, not just hidden.
    await ok(['apply', '-f', '-'], CRD);
    await ok(['wait', '--for', 'condition=established', '--timeout=30s', 'crd/widgets.example.com']);
    const list = await getJson(['widgets', '-A']);
    assert.deepEqual(list.items, []);
  });
});
