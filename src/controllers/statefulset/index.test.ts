import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControllerRevision, StatefulSet, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { FakeClock } from '../../util/clock.js';
import { runController } from '../testing.js';
import { CONTROLLER_REVISIONS, PODS, STATEFULSETS, claimName, isMemberOf, ordinalOf, statefulSetController } from './index.js';

type S = StatefulSet & KubeObject;
type P = Pod & KubeObject;
type R = ControllerRevision & KubeObject;
const OTHER_OWNER = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true };

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
  const bare = (name: string, labels: Record<string, string>, ownerReferences?: typeof OTHER_OWNER[]) => api.client.resource<P>(PODS).create('default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ownerReferences }, spec: { containers: [{ name: 'c', image: 'v1' }] },
  });
  const owner = (n: string) => pod(n)?.metadata?.ownerReferences;
  const created = (n: string) => api.requests.some((r) => r.verb === 'create' && r.resource === 'pods' && (r.body as P | undefined)?.metadata?.name === n);
  return { api, events, create, pod, names, ready, set, sets, stop, bare, owner, created };
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

  test('adopts orphan members and orphan history; leaves non-members alone', async () => {
    const s = setup({ replicas: 2 });
    try {
      const orphanUid = (await s.bare('web-0', { app: 'web' })).metadata?.uid;
      await s.bare('web-extra', { app: 'web' });
      await s.api.client.resource<R>(CONTROLLER_REVISIONS).create('default', {
        apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-old', labels: { app: 'web' } }, data: {}, revision: 1,
      });
      const set = await s.create();
      const mine = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata?.uid, controller: true, blockOwnerDeletion: true }];
      await eventually(() => s.owner('web-0')?.[0]?.uid === set.metadata?.uid, 'web-0 adopted');
      assert.deepEqual(s.owner('web-0'), mine);
      await eventually(() => s.api.get<R>(CONTROLLER_REVISIONS, 'default', 'web-old')?.metadata?.ownerReferences?.[0]?.uid === set.metadata?.uid, 'revision adopted');
      // web-0 is the set's now: once Ready, web-1 follows.
      await s.ready('web-0');
      await eventually(() => !!s.pod('web-1'), 'web-1');
      assert.equal(s.pod('web-0')?.metadata?.uid, orphanUid, 'the orphan itself');
      assert.equal(s.owner('web-extra'), undefined, 'not a member');
    } finally { await s.stop(); }
  });

  test('releases owned pods that stop matching or are not members', async () => {
    const s = setup({ replicas: 1 });
    try {
      const set = await s.create();
      const mine = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata!.uid!, controller: true }];
      await s.bare('stray', { app: 'web' }, mine as typeof OTHER_OWNER[]);
      await eventually(() => !!s.pod('web-0'), 'web-0');
      await eventually(() => !s.owner('stray')?.length, 'non-member released');
      await s.api.client.resource<P>(PODS).patch('default', 'web-0', 'merge', { metadata: { labels: { app: 'debug' } } });
      await eventually(() => !s.owner('web-0')?.length, 'relabelled web-0 released');
      assert.ok(s.pod('web-0') && s.pod('stray'), 'released, not deleted');
    } finally { await s.stop(); }
  });

  test('does not adopt when the live StatefulSet is being deleted', async () => {
    const s = setup({ replicas: 1 });
    try {
      await s.bare('web-0', { app: 'web' });
      // The cache still shows a live StatefulSet; the server's copy is being deleted.
      s.api.prependReactor((r) => (r.verb === 'get' && r.resource === 'statefulsets'
        ? { ...s.set(), metadata: { ...s.set().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : undefined));
      const rechecks = () => s.api.requests.filter((r) => r.verb === 'get' && r.resource === 'statefulsets').length;
      await s.create();
      await eventually(() => rechecks() >= 1, 'adoption re-check');
      // A second re-check means the sync that made the first one has finished.
      await s.api.client.resource<P>(PODS).patch('default', 'web-0', 'merge', { metadata: { labels: { touched: '1' } } });
      await eventually(() => rechecks() >= 2, 'second re-check');
      assert.equal(s.owner('web-0'), undefined);
      assert.equal(s.api.requests.filter((r) => r.verb === 'patch' && r.name === 'web-0').length, 1, 'only the test wrote it');
    } finally { await s.stop(); }
  });

  test('ignores a member-named pod another controller owns', async () => {
    const s = setup({ replicas: 1 });
    try {
      await s.bare('web-0', { app: 'web' }, [OTHER_OWNER]);
      await s.create();
      await eventually(() => s.created('web-0'), 'create attempt');
      assert.deepEqual(s.owner('web-0'), [OTHER_OWNER]);
      assert.ok(!s.api.requests.some((r) => (r.verb === 'patch' || r.verb === 'delete') && r.resource === 'pods'));
    } finally { await s.stop(); }
  });

  test('membership follows the name up to a final -<digits> (upstream getParentName)', () => {
    assert.equal(isMemberOf('web', 'web-0'), true);
    assert.equal(isMemberOf('web', 'web-01'), true);
    assert.equal(isMemberOf('web', 'web-x'), false);
    assert.equal(isMemberOf('web', 'web-1-2'), false);
    assert.equal(isMemberOf('web-1', 'web-1-2'), true);
    assert.equal(isMemberOf('web', 'webapp-0'), false);
  });

  test('ordinals parse only from <set>-<n>', () => {
    assert.equal(ordinalOf('web', 'web-12'), 12);
    assert.equal(ordinalOf('web', 'web-01'), undefined);
    assert.equal(ordinalOf('web', 'webx-1'), undefined);
    assert.equal(ordinalOf('web', 'web-1-2'), undefined);
  });
});
