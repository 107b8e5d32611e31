import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatefulSet, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { FakeClock } from '../../util/clock.js';
import { runController } from '../testing.js';
import { PODS, STATEFULSETS, claimName, ordinalOf, statefulSetController } from './index.js';

type S = StatefulSet & KubeObject;
type P = Pod & KubeObject;

function setup(spec: Partial<StatefulSetSpec>) {
  const clock = new FakeClock();
  const { api, events, stop } = runController(statefulSetController, { clock, workers: 2 });
  const sets = api.client.resource<S>(STATEFULSETS);
  const create = () => sets.create('default', {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web' },
    spec: {
      replicas: 3, serviceName: 'web', podManagementPolicy: 'OrderedReady', selector: { matchLabels: { app: 'web' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } },
      ...spec,
    },
  });
  const pod = (n: string) => api.get<P>(PODS, 'default', n);
  const names = () => api.list<P>(PODS, 'default').filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!).sort();
  const ready = (n: string) => api.client.resource<P>(PODS).patch('default', n, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
  const set = () => api.get<S>(STATEFULSETS, 'default', 'web')!;
  return { api, events, create, pod, names, ready, set, sets, stop };
}

describe('statefulset controller', () => {
  test('OrderedReady: one ordinal at a time, each after the previous is Ready', async () => {
    const s = setup({ volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
    try {
      await s.create();
      for (const n of ['web-0', 'web-1', 'web-2']) {
        await eventually(() => !!s.pod(n), n);
        await eventually(() => s.set().status?.replicas === s.names().length, 'status caught up');
        assert.equal(s.names().at(-1), n, `only up to ${n}`);
        await s.ready(n);
      }
      const p = s.pod('web-1')!;
      assert.equal(p.spec?.hostname, 'web-1');
      assert.equal(p.spec?.subdomain, 'web');
      assert.equal(p.metadata?.labels?.['apps.kubernetes.io/pod-index'], '1');
      assert.ok(s.api.get({ group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true }, 'default', claimName('data', 'web', 2)));
      await eventually(() => s.set().status?.readyReplicas === 3, 'ready 3');
      assert.ok(s.events.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'));
    } finally { await s.stop(); }
  });

  test('RollingUpdate goes from the highest ordinal down and stops at the partition', async () => {
    const s = setup({ podManagementPolicy: 'Parallel' });
    try {
      await s.create();
      await eventually(() => s.names().length === 3, 'three pods');
      for (const n of s.names()) await s.ready(n);
      await eventually(() => s.set().status?.readyReplicas === 3, 'ready');
      const rev1 = s.set().status!.updateRevision!;
      await s.sets.patch('default', 'web', 'merge', { spec: { updateStrategy: { rollingUpdate: { partition: 1 } }, template: { spec: { containers: [{ name: 'c', image: 'v2' }] } } } });
      for (const n of ['web-2', 'web-1']) {
        await eventually(() => s.pod(n)?.spec?.containers[0].image === 'v2', `${n} recreated at v2`);
        await s.ready(n);
      }
      const order = s.api.requests.filter((r) => r.verb === 'delete' && r.resource === 'pods').map((r) => r.name);
      assert.deepEqual(order, ['web-2', 'web-1']);
      await eventually(() => s.set().status?.updatedReplicas === 2 && s.set().status?.readyReplicas === 3, 'two updated');
      assert.equal(s.pod('web-0')?.spec?.containers[0].image, 'v1', 'below the partition stays');
      assert.equal(s.set().status?.currentRevision, rev1);
      assert.notEqual(s.set().status?.updateRevision, rev1);
    } finally { await s.stop(); }
  });

  test('ordinals parse only from <set>-<n>', () => {
    assert.equal(ordinalOf('web', 'web-12'), 12);
    assert.equal(ordinalOf('web', 'web-01'), undefined);
    assert.equal(ordinalOf('web', 'webx-1'), undefined);
    assert.equal(ordinalOf('web', 'web-1-2'), undefined);
  });
});
