import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { applyConfiguration, applyConflictError, computeFieldSet, updateManagedFields, type ApplyResult, type ManagedFieldsEntry } from './apply.js';
import { DEPLOYMENT, schemaFromSpec } from './testschema.js';

const schema = schemaFromSpec(DEPLOYMENT);
const T = '2024-01-01T00:00:00Z';

const config = (image = 'nginx:1.25', replicas: number | null = 2) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    ...(replicas === null ? {} : { replicas }),
    template: { spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
  },
});

function ok(r: ApplyResult) {
  assert.ok(r.object, `unexpected conflicts: ${JSON.stringify(r.conflicts)}`);
  return r;
}
type Dep = ReturnType<typeof config> & { metadata: { managedFields?: ManagedFieldsEntry[]; finalizers?: string[] } };

describe('computeFieldSet', () => {
  test('FieldsV1 with keyed lists, sets and stripped server fields', () => {
    const obj = {
      ...config(), metadata: { name: 'web', namespace: 'd', uid: 'u', resourceVersion: '5', labels: { app: 'web' }, finalizers: ['a/b'] },
    };
    assert.deepEqual(computeFieldSet(obj, schema), {
      'f:metadata': { 'f:finalizers': { 'v:"a/b"': {} }, 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': {
          '.': {}, 'f:image': {}, 'f:name': {},
          'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } },
        } } } },
      },
    });
  });
  test('atomic lists, empty maps and unknown schema', () => {
    assert.deepEqual(computeFieldSet({ spec: { template: { spec: { tolerations: [{ key: 'a' }], nodeSelector: {} } } } }, schema),
      { 'f:spec': { 'f:template': { 'f:spec': { 'f:nodeSelector': {}, 'f:tolerations': {} } } } });
    assert.deepEqual(computeFieldSet({ a: { b: [1, 2], c: 'x' } }, undefined), { 'f:a': { 'f:b': {}, 'f:c': {} } });
  });
});

describe('applyConfiguration', () => {
  test('create: object is the configuration, manager owns its fields', () => {
    const r = ok(applyConfiguration(undefined, config(), undefined, 'kubectl', false, schema, { time: T }));
    const obj = r.object as Dep;
    assert.equal(obj.spec.replicas, 2);
    assert.equal(r.managedFields.length, 1);
    assert.deepEqual({ ...r.managedFields[0], fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T, fieldsType: 'FieldsV1', fieldsV1: undefined });
    assert.deepEqual(obj.metadata.managedFields, r.managedFields);
    assert.deepEqual(r.managedFields[0].fieldsV1, computeFieldSet(config(), schema));
  });

  test('inputs are not mutated', () => {
    const live = ok(applyConfiguration(undefined, config(), undefined, 'kubectl', false, schema, { time: T })).object;
    const snapshot = structuredClone(live);
    const cfg = config('nginx:1.26');
    const cfgSnap = structuredClone(cfg);
    const mf = structuredClone((live as Dep).metadata.managedFields);
    ok(applyConfiguration(live, cfg, mf, 'kubectl', false, schema, { time: T }));
    assert.deepEqual(live, snapshot);
    assert.deepEqual(cfg, cfgSnap);
  });

  test('merges into live: other fields and list items survive, order follows config', () => {
    const live = {
      ...config(), spec: { ...config().spec, paused: true, template: { spec: { containers: [
        { name: 'sidecar', image: 'busybox' }, { name: 'web', image: 'nginx:1.24', imagePullPolicy: 'IfNotPresent' }] } } },
    };
    const cfg = config('nginx:1.26');
    cfg.spec.template.spec.containers.unshift({ name: 'init', image: 'alpine', ports: [] });
    const obj = ok(applyConfiguration(live, cfg, [], 'kubectl', false, schema, { time: T })).object as Dep & { spec: { paused: boolean } };
    assert.equal(obj.spec.paused, true);
    const cs = obj.spec.template.spec.containers as Array<{ name: string; image: string; imagePullPolicy?: string }>;
    assert.deepEqual(cs.map((c) => c.name), ['sidecar', 'init', 'web']);
    assert.equal(cs[2].image, 'nginx:1.26');
    assert.equal(cs[2].imagePullPolicy, 'IfNotPresent');
  });

  test('conflict with another manager owning a changed field; force takes ownership', () => {
    const created = ok(applyConfiguration(undefined, config(), undefined, 'kubectl', false, schema, { time: T })).object as Dep;
    // another manager scales the deployment with an Update
    const scaled = structuredClone(created);
    scaled.spec.replicas = 5;
    const mf = updateManagedFields(created, scaled, created.metadata.managedFields, 'kube-controller', schema, { time: T });
    const byScaler = mf.find((e) => e.manager === 'kube-controller');
    assert.deepEqual(byScaler?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.ok(!JSON.stringify(mf.find((e) => e.manager === 'kubectl')?.fieldsV1).includes('f:replicas'), 'replicas moved away from kubectl');

    const again = config('nginx:1.26', 3);
    const r = applyConfiguration(scaled, again, mf, 'kubectl', false, schema, { time: T });
    assert.deepEqual(r.conflicts?.map((c) => [c.manager, c.field]), [['kube-controller', '.spec.replicas']]);
    const err = applyConflictError(r.conflicts!);
    assert.ok(err instanceof StatusError);
    assert.equal(err.code, 409);
    assert.equal(err.reason, 'Conflict');
    assert.equal(err.message, `Apply failed with 1 conflict: conflict with "kube-controller" using apps/v1 at ${T}: .spec.replicas`);
    assert.deepEqual(err.details?.causes, [{ reason: 'FieldManagerConflict', message: `conflict with "kube-controller" using apps/v1 at ${T}`, field: '.spec.replicas' }]);

    const forced = ok(applyConfiguration(scaled, again, mf, 'kubectl', true, schema, { time: T }));
    assert.equal((forced.object as Dep).spec.replicas, 3);
    assert.equal(forced.managedFields.find((e) => e.manager === 'kube-controller'), undefined, 'empty entries are dropped');
  });

  test('same value owned by another manager is shared, not a conflict', () => {
    const created = ok(applyConfiguration(undefined, config(), undefined, 'a', false, schema, { time: T }));
    const r = ok(applyConfiguration(created.object, config(), created.managedFields, 'b', false, schema, { time: T }));
    assert.deepEqual(r.managedFields.map((e) => e.manager), ['a', 'b']);
    const r2 = applyConfiguration(r.object, config('x'), r.managedFields, 'b', false, schema, { time: T });
    assert.deepEqual(r2.conflicts?.map((c) => [c.manager, c.field]), [['a', '.spec.template.spec.containers[name="web"].image']]);
  });

  test('fields dropped from the configuration are pruned unless someone else owns them', () => {
    const base = config();
    (base.metadata as { finalizers?: string[] }).finalizers = ['x/y'];
    const first = ok(applyConfiguration(undefined, base, undefined, 'kubectl', false, schema, { time: T }));
    const next = config('nginx:1.25', null);
    const second = ok(applyConfiguration(first.object, next, first.managedFields, 'kubectl', false, schema, { time: T })).object as Dep;
    assert.equal(second.spec.replicas, undefined);
    assert.deepEqual(second.metadata.finalizers, []);

    // another applier co-owns replicas: it stays
    const shared = ok(applyConfiguration(first.object, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } },
      first.managedFields, 'other', false, schema, { time: T }));
    const third = ok(applyConfiguration(shared.object, next, shared.managedFields, 'kubectl', false, schema, { time: T })).object as Dep;
    assert.equal(third.spec.replicas, 2);
  });

  test('removing a container from the configuration removes the list item', () => {
    const two = config();
    two.spec.template.spec.containers.push({ name: 'side', image: 'busybox', ports: [] });
    const first = ok(applyConfiguration(undefined, two, undefined, 'kubectl', false, schema, { time: T }));
    const second = ok(applyConfiguration(first.object, config(), first.managedFields, 'kubectl', false, schema, { time: T })).object as Dep;
    assert.deepEqual(second.spec.template.spec.containers.map((c) => c.name), ['web']);
  });
});

describe('updateManagedFields', () => {
  test('create records every field for the manager', () => {
    const mf = updateManagedFields(undefined, config(), undefined, 'kubectl-create', schema, { time: T });
    assert.deepEqual(mf, [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: T, fieldsType: 'FieldsV1', fieldsV1: computeFieldSet(config(), schema) }]);
  });
  test('the create path records what comparing against an empty object records', () => {
    const objects: unknown[] = [
      config(),
      { ...config(), metadata: { name: 'web', namespace: 'd', uid: 'u', generation: 3, labels: { app: 'web', tier: null }, finalizers: ['a/b', 'c'], annotations: {} } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, spec: { template: { spec: { tolerations: [{ key: 'a' }], nodeSelector: {}, containers: [{ image: 'no-name' }] } } } },
      { a: { b: [1, 2], c: 'x', d: null }, kind: { nested: true } },
      { metadata: { managedFields: [], creationTimestamp: null, selfLink: 'x' } },
    ];
    for (const obj of objects) {
      assert.deepEqual(updateManagedFields(undefined, obj, [], 'm', schema, { time: T }), updateManagedFields({}, obj, [], 'm', schema, { time: T }), JSON.stringify(obj));
    }
  });
  test('unchanged update keeps entries as they were', () => {
    const mf = updateManagedFields(undefined, config(), undefined, 'a', schema, { time: T });
    assert.deepEqual(updateManagedFields(config(), config(), mf, 'b', schema, { time: '2025-01-01T00:00:00Z' }), mf);
  });
  test('removed fields leave all managers; Apply sorts before Update', () => {
    const applied = ok(applyConfiguration(undefined, config(), undefined, 'kubectl', false, schema, { time: T }));
    const after = structuredClone(applied.object) as Dep;
    delete (after.metadata as { labels?: unknown }).labels;
    after.metadata.finalizers = ['f/1'];
    const mf = updateManagedFields(applied.object, after, applied.managedFields, 'editor', schema, { time: T });
    assert.deepEqual(mf.map((e) => [e.manager, e.operation]), [['kubectl', 'Apply'], ['editor', 'Update']]);
    assert.ok(!JSON.stringify(mf[0].fieldsV1).includes('f:labels'));
    assert.deepEqual(mf[1].fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"f/1"': {} } } });
  });
});
