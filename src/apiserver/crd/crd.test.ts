import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../api/types.js';
import { StatusError } from '../../machinery/errors.js';
import { compareVersions } from './controller.js';
import { customResourceStrategy, type CrdSpec } from './strategy.js';

const spec: CrdSpec = {
  group: 'example.com',
  scope: 'Namespaced',
  names: { plural: 'widgets', kind: 'Widget' },
  versions: [{
    name: 'v1', served: true, storage: true,
    subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
    additionalPrinterColumns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', priority: 1 },
      { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ],
    selectableFields: [{ jsonPath: '.spec.color' }],
    schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', default: 2 }, color: { type: 'string' } } }, status: { type: 'object', properties: { replicas: { type: 'integer' } } } } } },
  }],
};

const widget = (o: Partial<KObject> = {}): KObject => ({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' }, ...o });

describe('customResourceStrategy', () => {
  let terminating = false;
  const s = customResourceStrategy({ spec, version: spec.versions[0], storageVersion: 'v1', terminating: () => terminating });

  test('names and subresources come from the CRD', () => {
    assert.deepEqual([s.kind, s.plural, s.singular, s.listKind, s.namespaced, s.generation], ['Widget', 'widgets', 'widget', 'WidgetList', true, true]);
    assert.deepEqual(s.subresources, { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } });
  });

  test('printer columns, cells and selectable fields', () => {
    assert.deepEqual(s.columns!.map((c) => [c.name, c.type, c.priority]), [['Replicas', 'integer', 0], ['Ready', 'string', 1], ['Created', 'date', 0]]);
    assert.equal(s.columns![0].description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
    const obj = widget({ spec: { replicas: 3, color: 'red' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    assert.deepEqual(s.row!(obj, { now: Date.parse('2024-01-01T00:05:00Z') }), [3, 'True', '5m']);
    assert.deepEqual(s.row!(widget(), { now: 0 }).slice(0, 2), [null, null]);
    assert.equal(s.fieldSelectors!['spec.color'](obj), 'red');
  });

  test('create drops status, defaults, and refuses while terminating', () => {
    const obj = widget({ spec: {}, status: { replicas: 5 } });
    s.defaults!(obj);
    s.prepareForCreate!(obj);
    assert.deepEqual(obj.spec, { replicas: 2 });
    assert.equal(obj.status, undefined);
    terminating = true;
    assert.throws(() => s.prepareForCreate!(widget()), (e) => e instanceof StatusError && e.code === 405);
    terminating = false;
  });

  test('validation covers the schema and the scale paths', () => {
    assert.deepEqual(s.validate!(widget({ spec: { replicas: -1 } })).map((e) => `${e.field}: ${e.message}`), ['.spec.replicas: Invalid value: -1: should be a non-negative integer']);
    assert.deepEqual(s.validateStatusUpdate!(widget({ status: { replicas: 'x' } }), widget()).map((e) => e.field), ['status.replicas', '.status.replicas']);
  });

  test('the default column is Age', () => {
    const plain = customResourceStrategy({ spec, version: { name: 'v2', served: true, storage: false }, storageVersion: 'v1', terminating: () => false });
    assert.deepEqual(plain.columns!.map((c) => [c.name, c.type]), [['Age', 'date']]);
  });
});

test('compareVersions orders by Kubernetes version priority', () => {
  assert.deepEqual(['v1alpha1', 'foo', 'v1beta1', 'v2', 'v1', 'v1beta2', 'bar', 'v10alpha1'].sort(compareVersions), ['v2', 'v1', 'v1beta2', 'v1beta1', 'v10alpha1', 'v1alpha1', 'bar', 'foo']);
});
