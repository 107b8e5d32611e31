import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceStrategy } from '../../types.js';
import { appsResources } from './apps.js';

const strategy = (kind: string): ResourceStrategy => appsResources.find((s) => s.kind === kind)!;
const NOW = Date.parse('2024-01-01T01:00:00Z');
const CREATED = '2024-01-01T00:00:00Z';

function template(labels: Record<string, string> = { app: 'web' }) {
  return { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'side', image: 'busybox' }] } };
}

function make(kind: string, spec: Record<string, unknown>, extra: Partial<KObject> = {}): KObject {
  return { apiVersion: 'apps/v1', kind, metadata: { name: 'web', namespace: 'default', uid: 'u1', creationTimestamp: CREATED }, spec, ...extra };
}

/** Defaults, then prepareForCreate, then validate: what the server does on create. */
function create(kind: string, spec: Record<string, unknown>): { obj: KObject; errors: string[] } {
  const s = strategy(kind);
  const obj = make(kind, spec);
  s.defaults?.(obj);
  s.prepareForCreate?.(obj);
  return { obj, errors: (s.validate?.(obj) ?? []).map((e) => `${e.field}: ${e.message}`) };
}

function update(kind: string, oldSpec: Record<string, unknown>, mutate: (spec: Record<string, unknown>) => void): string[] {
  const s = strategy(kind);
  const { obj: old } = create(kind, oldSpec);
  const obj = structuredClone(old);
  mutate(obj.spec as Record<string, unknown>);
  s.defaults?.(obj);
  s.prepareForUpdate?.(obj, old);
  return (s.validateUpdate?.(obj, old) ?? []).map((e) => `${e.field}: ${e.message}`);
}

describe('Deployment', () => {
  test('defaults', () => {
    const { obj, errors } = create('Deployment', { selector: { matchLabels: { app: 'web' } }, template: template() });
    assert.deepEqual(errors, []);
    const spec = obj.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 1);
    assert.deepEqual(spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.progressDeadlineSeconds, 600);
    assert.deepEqual(obj.status, {});
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['missing selector', { template: template() }, [
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]],
    ['mismatched selector', { selector: { matchLabels: { app: 'db' } }, template: template() }, [
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]],
    ['empty selector', { selector: {}, template: template() }, ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']],
    ['negative replicas', { replicas: -1, selector: { matchLabels: { app: 'web' } }, template: template() }, [
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    ]],
    ['zero surge and unavailable', {
      selector: { matchLabels: { app: 'web' } }, template: template(),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } },
    }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0']],
    ['recreate with rollingUpdate', {
      selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { type: 'Recreate', rollingUpdate: {} },
    }, ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]],
    ['bad percent', {
      selector: { matchLabels: { app: 'web' } }, template: template(), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%', maxUnavailable: 'x' } },
    }, [
      "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"x\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ]],
    ['restartPolicy', { selector: { matchLabels: { app: 'web' } }, template: { ...template(), spec: { ...template().spec, restartPolicy: 'Never' } } }, [
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]],
    ['progress deadline', { selector: { matchLabels: { app: 'web' } }, template: template(), minReadySeconds: 600 }, [
      'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
    ]],
  ];
  for (const [name, spec, want] of cases) test(name, () => assert.deepEqual(create('Deployment', spec).errors, want));

  test('selector is immutable', () => {
    const errs = update('Deployment', { selector: { matchLabels: { app: 'web' } }, template: template({ app: 'web', v: '1' }) }, (spec) => {
      spec.selector = { matchLabels: { app: 'web', v: '1' } };
    });
    assert.deepEqual(errs, ['spec.selector: Invalid value: {"matchLabels":{"app":"web","v":"1"}}: field is immutable']);
  });

  test('table', () => {
    const s = strategy('Deployment');
    assert.deepEqual(s.columns!.map((c) => [c.name, c.type, c.priority]), [
      ['Ready', 'string', 0], ['Up-to-date', 'string', 0], ['Available', 'string', 0], ['Age', 'string', 0],
      ['Containers', 'string', 1], ['Images', 'string', 1], ['Selector', 'string', 1],
    ]);
    const { obj } = create('Deployment', { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template() });
    obj.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    assert.deepEqual(s.row!(obj, { now: NOW }), ['2/3', 3, 2, '60m', 'web,side', 'nginx:1.25,busybox', 'app=web']);
  });

  test('resource metadata', () => {
    const s = strategy('Deployment');
    assert.deepEqual([s.shortNames, s.categories, s.subresources], [['deploy'], ['all'],
      { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' } }]);
  });
});

describe('ReplicaSet', () => {
  test('defaults, row and field selector', () => {
    const s = strategy('ReplicaSet');
    const { obj, errors } = create('ReplicaSet', { selector: { matchLabels: { app: 'web' } }, template: template() });
    assert.deepEqual(errors, []);
    assert.equal((obj.spec as Record<string, unknown>).replicas, 1);
    obj.status = { replicas: 1, readyReplicas: 1 };
    assert.deepEqual(s.row!(obj, { now: NOW }), [1, 1, 1, '60m', 'web,side', 'nginx:1.25,busybox', 'app=web']);
    assert.equal(s.fieldSelectors!['status.replicas'](obj), '1');
  });
  test('empty selector uses the deployment wording', () => {
    assert.deepEqual(create('ReplicaSet', { selector: {}, template: template() }).errors, ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
  });
});

describe('StatefulSet', () => {
  const base = () => ({ serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: template(),
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] });

  test('defaults', () => {
    const { obj, errors } = create('StatefulSet', base());
    assert.deepEqual(errors, []);
    const spec = obj.spec as Record<string, any>;
    assert.equal(spec.podManagementPolicy, 'OrderedReady');
    assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    assert.deepEqual(spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
    assert.equal(spec.replicas, 1);
    assert.equal(spec.revisionHistoryLimit, 10);
    assert.equal(spec.volumeClaimTemplates[0].spec.volumeMode, 'Filesystem');
    assert.deepEqual(spec.volumeClaimTemplates[0].status, { phase: 'Pending' });
  });

  test('updates outside the mutable fields are forbidden', () => {
    assert.deepEqual(update('StatefulSet', base(), (spec) => { spec.replicas = 5; spec.minReadySeconds = 3; }), []);
    assert.deepEqual(update('StatefulSet', base(), (spec) => { spec.serviceName = 'other'; }), [
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  test('invalid pod management policy', () => {
    assert.deepEqual(create('StatefulSet', { ...base(), podManagementPolicy: 'Random' }).errors, [
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
    ]);
  });

  test('table', () => {
    const { obj } = create('StatefulSet', { ...base(), replicas: 3 });
    obj.status = { readyReplicas: 1 };
    assert.deepEqual(strategy('StatefulSet').row!(obj, { now: NOW }), ['1/3', '60m', 'web,side', 'nginx:1.25,busybox']);
  });
});

describe('DaemonSet', () => {
  const base = () => ({ selector: { matchLabels: { app: 'web' } }, template: { ...template(), spec: { ...template().spec, nodeSelector: { disk: 'ssd', os: 'linux' } } } });

  test('defaults and template generation', () => {
    const s = strategy('DaemonSet');
    const { obj, errors } = create('DaemonSet', base());
    assert.deepEqual(errors, []);
    assert.deepEqual((obj.spec as Record<string, unknown>).updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(obj.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
    const same = structuredClone(obj);
    s.prepareForUpdate!(same, obj);
    assert.equal(same.metadata.annotations?.['deprecated.daemonset.template.generation'], '1');
    const changed = structuredClone(obj);
    (changed.spec as any).template.spec.containers[0].image = 'nginx:1.26';
    s.prepareForUpdate!(changed, obj);
    assert.equal(changed.metadata.annotations?.['deprecated.daemonset.template.generation'], '2');
  });

  test('rolling update may not surge and be unavailable at once', () => {
    assert.deepEqual(create('DaemonSet', { ...base(), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }).errors, [
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ]);
  });

  test('table', () => {
    const s = strategy('DaemonSet');
    assert.deepEqual(s.columns!.map((c) => c.name), ['Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers', 'Images', 'Selector']);
    const { obj } = create('DaemonSet', base());
    obj.status = { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 };
    assert.deepEqual(s.row!(obj, { now: NOW }), [2, 2, 1, 2, 1, 'disk=ssd,os=linux', '60m', 'web,side', 'nginx:1.25,busybox', 'app=web']);
  });
});

describe('ControllerRevision', () => {
  test('row names the controller and data is required', () => {
    const s = strategy('ControllerRevision');
    const obj = make('ControllerRevision', {}, { revision: 2, data: {} });
    delete obj.spec;
    obj.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }];
    assert.deepEqual(s.row!(obj, { now: NOW }), ['statefulset.apps/web', 2, '60m']);
    assert.deepEqual(s.validate!({ ...obj, data: undefined }).map((e) => e.message), ['Required value: data is mandatory']);
  });
});
