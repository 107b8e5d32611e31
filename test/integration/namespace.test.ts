// Namespace and ServiceAccount controllers against an in-process API server, driven with
// the real kubectl: a new namespace gets a default ServiceAccount (recreated when
// deleted); deleting a namespace empties it, reports progress in conditions while content
// is held by a finalizer, and removes it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, deployment, until } from './support/deployment-cluster.js';

interface Cond { type: string; status: string; reason: string; message: string }

describe('namespace and serviceaccount controllers', () => {
  const c = new TestCluster();
  before(() => c.start());
  after(() => c.stop());

  test('a new namespace gets a default ServiceAccount, recreated after deletion', async () => {
    await c.kubectl(['create', 'namespace', 'sa-test']);
    const sa = async () => ((await c.exists('serviceaccount/default', '-n', 'sa-test')) ? c.get('serviceaccount/default', '-n', 'sa-test') : undefined);
    const first = await until(sa, 'default ServiceAccount');
    await c.kubectl(['delete', 'serviceaccount/default', '-n', 'sa-test']);
    const again = await until(async () => { const s = await sa(); return s && s.metadata.uid !== first.metadata.uid ? s : undefined; }, 'default ServiceAccount recreated');
    assert.equal(again.metadata.name, 'default');
  });

  test('kubectl delete namespace returns once its content and the namespace are gone', async () => {
    await c.kubectl(['create', 'namespace', 'doomed']);
    await c.apply(deployment('app', 'doomed', 2, 'busybox:1'));
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'doomed' }, data: { a: 'b' } });
    await c.kubectl(['rollout', 'status', 'deployment/app', '-n', 'doomed', '--timeout=60s']);
    await c.kubectl(['delete', 'namespace', 'doomed', '--timeout=60s']);
    assert.equal(await c.exists('namespace/doomed'), false);
    // Nothing of it survives, whatever the resource type.
    for (const kind of ['deployments', 'replicasets', 'pods', 'configmaps', 'serviceaccounts']) {
      assert.equal((await c.list(kind, '-n', 'doomed')).length, 0, kind);
    }
  });

  test('content held by a finalizer keeps the namespace Terminating, with upstream conditions', async () => {
    await c.kubectl(['create', 'namespace', 'held']);
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stuck', namespace: 'held', finalizers: ['example.com/hold'] } });
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'plain', namespace: 'held' } });
    await c.kubectl(['delete', 'namespace', 'held', '--wait=false']);
    const ns = await until(async () => {
      const n = await c.get('namespace/held');
      const conds = (n.status?.conditions ?? []) as Cond[];
      return conds.some((x) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True') ? n : undefined;
    }, 'NamespaceFinalizersRemaining');
    assert.equal(ns.status?.phase, 'Terminating');
    assert.deepEqual(ns.spec?.finalizers, ['kubernetes']);
    const conds = Object.fromEntries(((ns.status?.conditions ?? []) as Cond[]).map((x) => [x.type, x]));
    assert.deepEqual(Object.keys(conds), ['NamespaceDeletionDiscoveryFailure', 'NamespaceDeletionGroupVersionParsingFailure', 'NamespaceDeletionContentFailure', 'NamespaceContentRemaining', 'NamespaceFinalizersRemaining']);
    assert.equal(conds.NamespaceDeletionDiscoveryFailure.reason, 'ResourcesDiscovered');
    assert.equal(conds.NamespaceDeletionContentFailure.reason, 'ContentDeleted');
    assert.equal(conds.NamespaceContentRemaining.message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(conds.NamespaceFinalizersRemaining.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    assert.equal(await c.exists('secret/plain', '-n', 'held'), false);
    await assert.rejects(c.kubectl(['create', 'configmap', 'late', '-n', 'held']), /being terminated/);

    await c.kubectl(['patch', 'configmap/stuck', '-n', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await c.kubectl(['wait', '--for=delete', 'namespace/held', '--timeout=30s']);
  });
});
