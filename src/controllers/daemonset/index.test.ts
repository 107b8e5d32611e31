import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { runController } from '../testing.js';
import { CONTROLLER_REVISIONS, DAEMONSETS, NODES, PODS, daemonSetController } from './index.js';

type D = DaemonSet & KubeObject;
type P = Pod & KubeObject;
type R = ControllerRevision & KubeObject;
const OTHER_OWNER = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true };

async function setup() {
  const { api, events, stop } = runController(daemonSetController, { workers: 2 });
  await api.client.resource<Node & KubeObject>(NODES).create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
  const create = (extra: Partial<DaemonSet['spec']> = {}) => api.client.resource<D>(DAEMONSETS).create('default', {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' },
    spec: {
      selector: { matchLabels: { app: 'ds' } },
      template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      ...extra,
    },
  });
  const podClient = api.client.resource<P>(PODS);
  const bare = (name: string, labels: Record<string, string>, ownerReferences?: typeof OTHER_OWNER[]) => podClient.create('default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ownerReferences }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i' }] },
  });
  const pod = (n: string) => api.get<P>(PODS, 'default', n);
  const ds = () => api.get<D>(DAEMONSETS, 'default', 'ds');
  const ownedBy = (uid: string | undefined) => api.list<P>(PODS, 'default').filter((p) => p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid));
  return { api, events, stop, create, bare, pod, ds, ownedBy, podClient };
}

describe('daemonset controller: controller references', () => {
  test('adopts a matching orphan pod on a node instead of creating one, and orphan history', async () => {
    const s = await setup();
    try {
      await s.bare('orphan', { app: 'ds' });
      await s.api.client.resource<R>(CONTROLLER_REVISIONS).create('default', {
        apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'ds-old', labels: { app: 'ds' } }, data: {}, revision: 1,
      });
      // OnDelete: the adopted pod (of no known revision) is not rolled.
      const ds = await s.create({ updateStrategy: { type: 'OnDelete' } });
      await eventually(() => s.pod('orphan')?.metadata?.ownerReferences?.[0]?.uid === ds.metadata?.uid, 'orphan adopted');
      assert.deepEqual(s.pod('orphan')?.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: ds.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      await eventually(() => s.api.get<R>(CONTROLLER_REVISIONS, 'default', 'ds-old')?.metadata?.ownerReferences?.[0]?.uid === ds.metadata?.uid, 'revision adopted');
      await eventually(() => s.ds()?.status?.currentNumberScheduled === 1, 'status');
      assert.equal(s.ownedBy(ds.metadata?.uid).length, 1, 'one daemon pod on the node');
    } finally { await s.stop(); }
  });

  test('releases a pod whose labels stop matching and replaces it', async () => {
    const s = await setup();
    try {
      const ds = await s.create();
      await eventually(() => s.ownedBy(ds.metadata?.uid).length === 1, 'daemon pod');
      const first = s.ownedBy(ds.metadata?.uid)[0].metadata!.name!;
      await s.podClient.patch('default', first, 'merge', { metadata: { labels: { app: 'debug' } } });
      await eventually(() => !s.pod(first)?.metadata?.ownerReferences?.length, 'released');
      await eventually(() => s.ownedBy(ds.metadata?.uid).some((p) => p.metadata?.name !== first), 'replacement');
      assert.ok(s.pod(first), 'released, not deleted');
    } finally { await s.stop(); }
  });

  test('does not adopt when the live DaemonSet is being deleted', async () => {
    const s = await setup();
    try {
      await s.bare('orphan', { app: 'ds' });
      // The cache still shows a live DaemonSet; the server's copy is being deleted.
      s.api.prependReactor((r) => (r.verb === 'get' && r.resource === 'daemonsets'
        ? { ...s.ds(), metadata: { ...s.ds()!.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } } : undefined));
      const rechecks = () => s.api.requests.filter((r) => r.verb === 'get' && r.resource === 'daemonsets').length;
      await s.create();
      await eventually(() => rechecks() >= 1, 'adoption re-check');
      // A second re-check means the sync that made the first one has finished.
      await s.podClient.patch('default', 'orphan', 'merge', { metadata: { labels: { touched: '1' } } });
      await eventually(() => rechecks() >= 2, 'second re-check');
      assert.equal(s.pod('orphan')?.metadata?.ownerReferences, undefined);
      assert.equal(s.api.requests.filter((r) => r.verb === 'patch' && r.name === 'orphan').length, 1, 'only the test wrote it');
    } finally { await s.stop(); }
  });

  test('ignores a matching pod another controller owns', async () => {
    const s = await setup();
    try {
      await s.bare('foreign', { app: 'ds' }, [OTHER_OWNER]);
      const ds = await s.create();
      await eventually(() => s.ownedBy(ds.metadata?.uid).length === 1, 'own pod created');
      assert.deepEqual(s.pod('foreign')?.metadata?.ownerReferences, [OTHER_OWNER]);
      assert.ok(!s.api.requests.some((r) => (r.verb === 'patch' || r.verb === 'delete') && r.name === 'foreign'));
    } finally { await s.stop(); }
  });

  test('an empty selector selects nothing and is reported', async () => {
    const s = await setup();
    try {
      await s.bare('orphan', { app: 'ds' });
      await s.api.client.resource<D>(DAEMONSETS).create('default', {
        apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'all' },
        spec: { selector: {}, template: { metadata: { labels: { app: 'ds' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
      });
      await eventually(() => s.events.includes('SelectingAll: This daemon set is selecting all pods. A non-empty selector is required.'), 'SelectingAll');
      assert.equal(s.pod('orphan')?.metadata?.ownerReferences, undefined);
      assert.equal(s.api.list<P>(PODS, 'default').length, 1);
    } finally { await s.stop(); }
  });
});
