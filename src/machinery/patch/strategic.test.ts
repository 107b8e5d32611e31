import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { applyStrategicMergePatch } from './strategic.js';
import { DEPLOYMENT, schemaFromSpec } from './testschema.js';

const deploySchema = schemaFromSpec(DEPLOYMENT);
// Generic fixture mirroring upstream's test type: mergingList (key name), mergingIntList (merge set),
// nonMergingList, retainKeysMap, retainKeysMergingList.
const item = schemaFromSpec({
  name: 'string', value: 'string', other: 'string', simpleMap: { $map: 'string' },
  mergingList: { $list: { name: 'string', value: 'string', other: 'string', mergingIntList: { $list: 'integer', $strategy: 'merge' }, nonMergingIntList: { $list: 'integer' } }, $key: 'name' },
  mergingIntList: { $list: 'integer', $strategy: 'merge' },
  nonMergingList: { $list: { name: 'string', value: 'string' } },
  retainKeysMap: { $strategy: 'retainKeys', name: 'string', value: 'string', other: 'string' },
  retainKeysMergingList: { $list: { name: 'string', value: 'string' }, $key: 'name', $strategy: 'merge,retainKeys' },
  replacingMap: { $strategy: 'replace', a: 'string', b: 'string' },
});

function smp(original: unknown, patch: unknown, schema = item): unknown {
  const o = structuredClone(original);
  const p = structuredClone(patch);
  const out = applyStrategicMergePatch(original, patch, schema);
  assert.deepEqual(original, o, 'original must not be mutated');
  assert.deepEqual(patch, p, 'patch must not be mutated');
  return out;
}

function badRequest(original: unknown, patch: unknown, msg: RegExp, schema = item): void {
  assert.throws(() => applyStrategicMergePatch(original, patch, schema), (e: unknown) => {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, 400, e.message);
    assert.match(e.message, msg);
    return true;
  });
}

describe('strategic merge patch: maps', () => {
  test('merge recursively, null deletes, unknown null ignored', () => {
    assert.deepEqual(smp({ name: 'a', simpleMap: { x: '1', y: '2' } }, { simpleMap: { x: null, z: '3' }, value: 'v', other: null }),
      { name: 'a', simpleMap: { y: '2', z: '3' }, value: 'v' });
  });
  test('$patch: delete on a nested map leaves it empty; on a missing map adds nothing', () => {
    assert.deepEqual(smp({ simpleMap: { k: '1' } }, { simpleMap: { $patch: 'delete' } }), { simpleMap: {} });
    assert.deepEqual(smp({}, { simpleMap: { $patch: 'delete' } }), {});
  });
  test('$patch: replace on the root and on a nested map', () => {
    assert.deepEqual(smp({ name: '1', value: '1' }, { $patch: 'replace' }), {});
    assert.deepEqual(smp({ name: '1', value: '1' }, { other: 'a', $patch: 'replace' }), { other: 'a' });
    assert.deepEqual(smp({ simpleMap: { a: '1' }, name: 'n' }, { simpleMap: { $patch: 'replace', b: '2' } }), { simpleMap: { b: '2' }, name: 'n' });
  });
  test('$patch: merge is the default behaviour', () => {
    assert.deepEqual(smp({ simpleMap: { a: '1' } }, { simpleMap: { $patch: 'merge', b: '2' } }), { simpleMap: { a: '1', b: '2' } });
  });
  test('field with strategy replace is replaced whole', () => {
    assert.deepEqual(smp({ replacingMap: { a: '1' } }, { replacingMap: { b: '2' } }), { replacingMap: { b: '2' } });
  });
  test('new values drop nulls and directives', () => {
    assert.deepEqual(smp({}, { simpleMap: { a: null, b: '1' }, mergingList: [{ name: 'x', value: null }, { name: 'y', $patch: 'delete' }] }),
      { simpleMap: { b: '1' }, mergingList: [{ name: 'x' }] });
  });
  test('a type change takes the patch value', () => {
    assert.deepEqual(smp({ value: { a: 1 } }, { value: 'x' }), { value: 'x' });
    assert.deepEqual(smp({ value: 'x' }, { value: { a: 1, b: null } }), { value: { a: 1 } });
  });
  test('unknown $patch value is 400', () => {
    badRequest({}, { simpleMap: { $patch: 'frob' } }, /unknown patch type: frob/);
  });
  test('non-object patch is 400', () => {
    badRequest({}, [1], /must be a JSON object/);
  });
});

describe('strategic merge patch: lists', () => {
  test('merging list merges by key; new items go where the patch puts them', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1', other: 'a' }, { name: '2', value: '2' }] },
      { mergingList: [{ name: '2', value: 'x' }, { name: '3' }] }),
      { mergingList: [{ name: '1', other: 'a' }, { name: '2', value: 'x' }, { name: '3' }] });
    // upstream: patch [3] on [1,2] with no $setElementOrder yields [3,1,2]
    assert.deepEqual(smp({ mergingList: [{ name: '1' }, { name: '2' }] }, { mergingList: [{ name: '3' }] }),
      { mergingList: [{ name: '3' }, { name: '1' }, { name: '2' }] });
  });
  test('order from the patch is preserved for items it names', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1' }, { name: '2', value: 'b' }, { name: '3' }] },
      { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', other: 'x' }] }),
      { mergingList: [{ name: '3', value: 'c' }, { name: '1', value: 'a' }, { name: '2', value: 'b', other: 'x' }] });
  });
  test('primitive merge lists are sets', () => {
    assert.deepEqual(smp({ mergingIntList: [1, 2] }, { mergingIntList: [2, 3] }), { mergingIntList: [1, 2, 3] });
    assert.deepEqual(smp({ mergingIntList: [1, 2, 3] }, { mergingIntList: [3, 1, 2] }), { mergingIntList: [3, 1, 2] });
  });
  test('lists without merge strategy are replaced', () => {
    assert.deepEqual(smp({ nonMergingList: [{ name: 'a' }, { name: 'b' }] }, { nonMergingList: [{ name: 'c' }] }), { nonMergingList: [{ name: 'c' }] });
  });
  test('$patch: delete removes all items with the key', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1' }, { name: '1' }, { name: '2', value: 'a' }, { name: '3' }, { name: '3' }] },
      { mergingList: [{ name: '1', $patch: 'delete' }, { name: '3', $patch: 'delete' }] }),
      { mergingList: [{ name: '2', value: 'a' }] });
    assert.deepEqual(smp({ mergingList: [{ name: '1' }] }, { mergingList: [{ name: '9', $patch: 'delete' }] }), { mergingList: [{ name: '1' }] });
  });
  test('$patch: replace in a list replaces it', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1' }, { name: '2' }] }, { mergingList: [{ $patch: 'replace' }] }), { mergingList: [] });
    assert.deepEqual(smp({ mergingList: [{ name: '1' }, { name: '2' }] }, { mergingList: [{ name: '3', value: null }, { $patch: 'replace' }] }),
      { mergingList: [{ name: '3' }] });
  });
  test('nested merging list inside a merged item', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1', mergingIntList: [1, 2], nonMergingIntList: [1] }] },
      { mergingList: [{ name: '1', mergingIntList: [3], nonMergingIntList: [9] }] }),
      { mergingList: [{ name: '1', mergingIntList: [3, 1, 2], nonMergingIntList: [9] }] });
  });
  test('$deleteFromPrimitiveList removes values, never adds', () => {
    assert.deepEqual(smp({ mergingIntList: [1, 2, 3, 2] }, { '$deleteFromPrimitiveList/mergingIntList': [2, 9] }), { mergingIntList: [1, 3] });
    assert.deepEqual(smp({}, { '$deleteFromPrimitiveList/mergingIntList': [2] }), {});
    assert.deepEqual(smp({ mergingIntList: [] }, { '$deleteFromPrimitiveList/mergingIntList': [2] }), { mergingIntList: [] });
    // works for lists without merge strategy too
    assert.deepEqual(smp({ nonMergingIntList: [1, 2] }, { '$deleteFromPrimitiveList/nonMergingIntList': [1] }), { nonMergingIntList: [2] });
  });
  test('invalid list directives are 400', () => {
    badRequest({ mergingList: [{ name: '1' }] }, { mergingList: [{ value: 'x' }] }, /does not contain declared merge key: name/);
    badRequest({ mergingList: [{ name: '1' }] }, { mergingList: [{ $patch: 'delete' }] }, /merge key/);
    badRequest({ mergingList: [{ name: '1' }] }, { mergingList: [{ name: '1', $patch: 'merge' }] }, /merging lists cannot yet be specified/);
    badRequest({ mergingIntList: [1] }, { '$deleteFromPrimitiveList/mergingIntList': 1 }, /invalid patch format of primitive list/);
    badRequest({}, { $deleteFromPrimitiveList: [1] }, /invalid patch format of primitive list/);
    badRequest({ mergingIntList: [1] }, { mergingIntList: ['a'] }, /list element types are not identical/);
  });
  test('lists of lists are 422', () => {
    assert.throws(() => applyStrategicMergePatch({ mergingIntList: [[1]] }, { mergingIntList: [[2]] }, item), (e: unknown) => e instanceof StatusError && e.code === 422);
  });
});

describe('strategic merge patch: $setElementOrder', () => {
  test('orders merged list, server-only items keep their place', () => {
    // upstream "set elements order in a list with server-only items 3"
    assert.deepEqual(smp(
      { mergingList: [{ name: '1', other: 'a' }, { name: '2', value: '2' }, { name: '7' }, { name: '9' }, { name: '8' }, { name: '3', value: '3' }, { name: '4', value: '4' }] },
      { '$setElementOrder/mergingList': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] }),
      { mergingList: [{ name: '2', value: '2' }, { name: '1', other: 'a' }, { name: '7' }, { name: '9' }, { name: '8' }, { name: '4', value: '4' }, { name: '3', value: '3' }] });
  });
  test('adds items at their ordered place', () => {
    assert.deepEqual(smp({ mergingList: [{ name: '1', other: 'a' }, { name: '2', value: '2', other: 'b' }] },
      { '$setElementOrder/mergingList': [{ name: '4' }, { name: '1' }, { name: '2' }, { name: '3' }], mergingList: [{ name: '4', value: '4' }, { name: '3', value: '3' }] }),
      { mergingList: [{ name: '4', value: '4' }, { name: '1', other: 'a' }, { name: '2', value: '2', other: 'b' }, { name: '3', value: '3' }] });
  });
  test('primitive list with server-only item', () => {
    assert.deepEqual(smp({ mergingIntList: [1, 2, 4] }, { '$setElementOrder/mergingIntList': [1, 2, 3], mergingIntList: [3] }), { mergingIntList: [1, 2, 3, 4] });
  });
  test('list created by the patch', () => {
    assert.deepEqual(smp({}, { '$setElementOrder/mergingList': [{ name: 'b' }, { name: 'a' }], mergingList: [{ name: 'b', value: null }, { name: 'x', $patch: 'delete' }, { name: 'a' }] }),
      { mergingList: [{ name: 'b' }, { name: 'a' }] });
  });
  test('patch order contradicting the directive is 400', () => {
    badRequest({ mergingList: [{ name: '1' }, { name: '2' }] },
      { '$setElementOrder/mergingList': [{ name: '1' }, { name: '2' }], mergingList: [{ name: '2' }, { name: '1' }] }, /doesn't match \$setElementOrder list/);
    badRequest({ mergingList: [{ name: '1' }] }, { '$setElementOrder/mergingList': [{ name: '1' }], mergingList: [{ name: '3' }] }, /doesn't match/);
    badRequest({}, { '$setElementOrder/mergingList': 'x' }, /invalid patch format of setElementOrder list/);
    badRequest({}, { $setElementOrder: [] }, /invalid patch format of setElementOrder list/);
  });
});

describe('strategic merge patch: $retainKeys', () => {
  test('clears keys not retained', () => {
    assert.deepEqual(smp({ retainKeysMap: { name: 'foo', value: 'a', other: 'b' } }, { retainKeysMap: { $retainKeys: ['name', 'value'], value: 'c' } }),
      { retainKeysMap: { name: 'foo', value: 'c' } });
    assert.deepEqual(smp({ retainKeysMap: { name: 'foo' } }, { retainKeysMap: { value: 'bar' } }), { retainKeysMap: { name: 'foo', value: 'bar' } });
  });
  test('in a merging list item', () => {
    assert.deepEqual(smp({ retainKeysMergingList: [{ name: 'bar' }, { name: 'foo', value: 'a' }] },
      { retainKeysMergingList: [{ name: 'foo', $retainKeys: ['name'] }] }),
      { retainKeysMergingList: [{ name: 'bar' }, { name: 'foo' }] });
  });
  test('patch keys outside the retained set are 400', () => {
    badRequest({ retainKeysMap: {} }, { retainKeysMap: { $retainKeys: ['name'], value: 'x' } }, /invalid patch format of retainKeys/);
    badRequest({ retainKeysMap: {} }, { retainKeysMap: { $retainKeys: 'name' } }, /invalid patch format of retainKeys/);
  });
});

describe('strategic merge patch: kubectl patches on a Deployment', () => {
  const deployment = () => ({
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, finalizers: ['a.example/x', 'b.example/y'] },
    spec: {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.25', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
              ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }],
              volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cache', mountPath: '/cache' }], args: ['--a', '--b'] },
            { name: 'sidecar', image: 'busybox' },
          ],
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'cache', emptyDir: { medium: 'Memory' } }],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
  });

  test('image, replicas and env removal (kubectl apply)', () => {
    const out = smp(deployment(), { spec: { replicas: 3, template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ name: 'web', image: 'nginx:1.26', '$setElementOrder/env': [{ name: 'A' }], env: [{ name: 'B', $patch: 'delete' }] }] } } } }, deploySchema) as ReturnType<typeof deployment>;
    assert.equal(out.spec.replicas, 3);
    const [web, sidecar] = out.spec.template.spec.containers;
    assert.equal(web.image, 'nginx:1.26');
    assert.deepEqual(web.env, [{ name: 'A', value: '1' }]);
    assert.deepEqual(web.ports, deployment().spec.template.spec.containers[0].ports);
    // $setElementOrder lists only web; the server-only sidecar is kept after it
    assert.deepEqual(sidecar, { name: 'sidecar', image: 'busybox' });
  });

  test('strategy change with $retainKeys and rollingUpdate: null', () => {
    const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: null, type: 'Recreate' } } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  });

  test('switching a volume from emptyDir to configMap', () => {
    const out = smp(deployment(), { spec: { template: { spec: {
      '$setElementOrder/volumes': [{ name: 'data' }, { name: 'cache' }],
      volumes: [{ $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' }, emptyDir: null, name: 'data' }],
    } } } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.spec.template.spec.volumes, [{ name: 'data', configMap: { name: 'cm' } }, { name: 'cache', emptyDir: { medium: 'Memory' } }]);
  });

  test('finalizers: $deleteFromPrimitiveList with $setElementOrder', () => {
    const out = smp(deployment(), { metadata: {
      '$deleteFromPrimitiveList/finalizers': ['a.example/x'], '$setElementOrder/finalizers': ['b.example/y', 'c.example/z'], finalizers: ['c.example/z'],
    } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.metadata.finalizers, ['b.example/y', 'c.example/z']);
  });

  test('finalizers merge as a set', () => {
    const out = smp(deployment(), { metadata: { finalizers: ['b.example/y', 'c.example/z'] } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.metadata.finalizers, ['a.example/x', 'b.example/y', 'c.example/z']);
  });

  test('$patch: delete entries in ports and volumeMounts', () => {
    const out = smp(deployment(), { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'web' }, { name: 'sidecar' }],
      containers: [{ name: 'web',
        '$setElementOrder/ports': [{ containerPort: 80 }], ports: [{ containerPort: 443, $patch: 'delete' }],
        '$setElementOrder/volumeMounts': [{ mountPath: '/data' }], volumeMounts: [{ mountPath: '/cache', $patch: 'delete' }] }],
    } } } }, deploySchema) as ReturnType<typeof deployment>;
    const web = out.spec.template.spec.containers[0];
    assert.deepEqual(web.ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(web.volumeMounts, [{ name: 'data', mountPath: '/data' }]);
  });

  test('tolerations and args are atomic', () => {
    const out = smp(deployment(), { spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }],
      containers: [{ name: 'web', args: ['--c'] }] } } } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'k2', operator: 'Exists' }]);
    assert.deepEqual(out.spec.template.spec.containers[0].args, ['--c']);
  });

  test('rollout restart annotation, cordon-style scalar patch', () => {
    const out = smp(deployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } } } } }, deploySchema) as { spec: { template: { metadata: unknown } } };
    assert.deepEqual(out.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } });
  });

  test('adding a container with $setElementOrder places it as ordered', () => {
    const out = smp(deployment(), { spec: { template: { spec: {
      '$setElementOrder/containers': [{ name: 'web' }, { name: 'new' }, { name: 'sidecar' }],
      containers: [{ name: 'new', image: 'redis', env: [{ name: 'X', value: '1' }] }],
    } } } }, deploySchema) as ReturnType<typeof deployment>;
    assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['web', 'new', 'sidecar']);
  });
});

describe('strategic merge patch without a schema', () => {
  test('behaves as JSON merge patch: lists replaced, maps merged, null deletes', () => {
    assert.deepEqual(smp({ spec: { list: [{ name: 'a' }], m: { x: 1, y: 2 } } }, { spec: { list: [{ name: 'b' }], m: { x: null } } }, undefined as never),
      { spec: { list: [{ name: 'b' }], m: { y: 2 } } });
  });
  test('directives are still honoured', () => {
    assert.deepEqual(smp({ metadata: { finalizers: ['a', 'b'] }, spec: { m: { x: 1 } } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] }, spec: { m: { $patch: 'replace', y: 1 } } }, undefined as never),
      { metadata: { finalizers: ['b'] }, spec: { m: { y: 1 } } });
    assert.deepEqual(smp({ s: { a: 1, b: 2 } }, { s: { $retainKeys: ['b'] } }, undefined as never), { s: { b: 2 } });
    assert.deepEqual(smp({ l: [1, 2] }, { '$setElementOrder/l': [2, 1] }, undefined as never), { l: [2, 1] });
  });
});
