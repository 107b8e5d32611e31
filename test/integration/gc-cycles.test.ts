// The garbage collector's handling of foreground-deletion cycles and of owner references
// that cannot resolve, against an in-process API server driven with the real kubectl.
// Upstream is the spec: pkg/controller/garbagecollector and the e2e/integration suites
// ("should not be blocked by dependency circle", TestCrossNamespaceReferences,
// TestClusterScopedOwners).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, until, type Item } from './support/deployment-cluster.js';

const ns = 'default';
const HOLD = 'example.com/hold';

interface EventItem {
  type?: string; reason?: string; message?: string;
  source?: { component?: string };
  involvedObject: { kind?: string; apiVersion?: string; namespace?: string; name?: string; uid?: string };
}

describe('garbage collector: foreground cycles and unresolvable owners', () => {
  const c = new TestCluster();
  before(() => c.start());
  after(() => c.stop());

  const ref = (o: Item, kind = 'ConfigMap', block = true) => ({ apiVersion: 'v1', kind, name: o.metadata.name, uid: o.metadata.uid!, ...(block ? { blockOwnerDeletion: true } : {}) });
  const configMap = async (name: string, extra: Record<string, unknown> = {}, namespace = ns) => {
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, ...extra } });
    return c.get(`configmap/${name}`, '-n', namespace);
  };
  const setOwners = (kindName: string, owners: unknown[], namespace = ns) =>
    c.kubectl(['patch', kindName, '-n', namespace, '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: owners } })]);
  const release = (kindName: string, namespace = ns) =>
    c.kubectl(['patch', kindName, '-n', namespace, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  const gone = (kindName: string, what: string, namespace = ns) => until(async () => !(await c.exists(kindName, '-n', namespace)), what);
  /**
   * Evidence that the collector has worked through what was queued before: an object
   * created now with a missing owner is collected. Used before asserting that something
   * was left alone.
   */
  let canaries = 0;
  const settle = async () => {
    const name = `canary-${++canaries}`;
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'no-such-owner', uid: '00000000-0000-0000-0000-00000000c0de' }] } });
    await gone(`configmap/${name}`, `${name} collected`);
  };
  const events = async (namespace: string, reason: string) =>
    (await c.get<{ items: EventItem[] }>('events', '-n', namespace)).items.filter((e) => e.reason === reason);

  test('two objects owning each other: deleting one in the foreground deletes both', async () => {
    const a = await configMap('pair-a');
    const b = await configMap('pair-b');
    await setOwners('configmap/pair-a', [ref(b)]);
    await setOwners('configmap/pair-b', [ref(a)]);
    await c.kubectl(['delete', 'configmap/pair-a', '-n', ns, '--cascade=foreground', '--wait=false']);
    await gone('configmap/pair-a', 'pair-a deleted');
    await gone('configmap/pair-b', 'pair-b deleted');
  });

  test('a dependency circle of three does not block a foreground deletion (upstream e2e)', async () => {
    const one = await configMap('circle-1');
    const two = await configMap('circle-2');
    const three = await configMap('circle-3');
    await setOwners('configmap/circle-1', [ref(three)]);
    await setOwners('configmap/circle-2', [ref(one)]);
    await setOwners('configmap/circle-3', [ref(two)]);
    await c.kubectl(['delete', 'configmap/circle-1', '-n', ns, '--cascade=foreground', '--wait=false']);
    for (const n of ['circle-1', 'circle-2', 'circle-3']) await gone(`configmap/${n}`, `${n} deleted`);
  });

  test('the dependent unblocked to break a cycle keeps its references, now non-blocking, until deleted', async () => {
    // The dependent holds a finalizer of its own so the moment after the unblocking can be seen.
    const owner = await configMap('unblock-owner');
    const dep = await configMap('unblock-dep', { finalizers: [HOLD], ownerReferences: [ref(owner)] });
    await setOwners('configmap/unblock-owner', [ref(dep)]);
    await c.kubectl(['delete', 'configmap/unblock-owner', '-n', ns, '--cascade=foreground', '--wait=false']);
    const seen = await until(async () => {
      const d = await c.get('configmap/unblock-dep', '-n', ns);
      return d.metadata.deletionTimestamp ? d : undefined;
    }, 'dependent deleted in turn');
    assert.deepEqual(seen.metadata.ownerReferences?.map((r) => r.blockOwnerDeletion), [false]);
    // No longer blocked by the dependent, the owner finishes first.
    await gone('configmap/unblock-owner', 'owner deleted while the dependent is still held');
    assert.equal(await c.exists('configmap/unblock-dep', '-n', ns), true);
    await release('configmap/unblock-dep');
    await gone('configmap/unblock-dep', 'dependent deleted once released');
  });

  test('two foreground deletions that block each other stay stuck, as upstream', async () => {
    // x and y are both deleting in the foreground (each held by a dependent of its own) before
    // they come to own each other: neither is an undeleted dependent the collector could unblock.
    const x = await configMap('stuck-x');
    const y = await configMap('stuck-y');
    await configMap('stuck-hold-x', { finalizers: [HOLD], ownerReferences: [ref(x)] });
    await configMap('stuck-hold-y', { finalizers: [HOLD], ownerReferences: [ref(y)] });
    await c.kubectl(['delete', 'configmap/stuck-x', 'configmap/stuck-y', '-n', ns, '--cascade=foreground', '--wait=false']);
    for (const h of ['stuck-hold-x', 'stuck-hold-y']) {
      await until(async () => !!(await c.get(`configmap/${h}`, '-n', ns)).metadata.deletionTimestamp, `${h} deleted by the collector`);
    }
    await setOwners('configmap/stuck-x', [ref(y)]);
    await setOwners('configmap/stuck-y', [ref(x)]);
    await release('configmap/stuck-hold-x');
    await release('configmap/stuck-hold-y');
    await gone('configmap/stuck-hold-x', 'stuck-hold-x gone');
    await gone('configmap/stuck-hold-y', 'stuck-hold-y gone');
    await settle();
    for (const n of ['stuck-x', 'stuck-y']) {
      const o = await c.get(`configmap/${n}`, '-n', ns);
      assert.deepEqual(o.metadata.finalizers, ['foregroundDeletion'], `${n} still waits for its dependents`);
      assert.deepEqual(o.metadata.ownerReferences?.map((r) => r.blockOwnerDeletion), [true], `${n} still blocks its owner`);
    }
    // Whoever breaks the cycle by hand lets both go.
    await release('configmap/stuck-x');
    await gone('configmap/stuck-x', 'stuck-x deleted once its finalizer is removed');
    await gone('configmap/stuck-y', 'stuck-y no longer blocked');
  });

  test('an owner reference whose uid does not match the live object is dangling: background deletion', async () => {
    await configMap('reused-name');
    const dep = await configMap('uid-mismatch');
    // A blocking dependent of the collected object shows the policy: in the background the
    // object goes without waiting for it.
    await configMap('uid-mismatch-child', { finalizers: [HOLD], ownerReferences: [ref(dep)] });
    await setOwners('configmap/uid-mismatch', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'reused-name', uid: '00000000-0000-0000-0000-0000000000aa', blockOwnerDeletion: true }]);
    await gone('configmap/uid-mismatch', 'dependent of a mismatched uid collected');
    assert.equal(await c.exists('configmap/uid-mismatch-child', '-n', ns), true);
    await until(async () => !!(await c.get('configmap/uid-mismatch-child', '-n', ns)).metadata.deletionTimestamp, 'its own dependent collected after it');
    assert.equal(await c.exists('configmap/reused-name', '-n', ns), true);
    await release('configmap/uid-mismatch-child');
  });

  test('an owner in another namespace is absent: the dependent is collected, with an OwnerRefInvalidNamespace event', async () => {
    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-ns-a' } });
    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-ns-b' } });
    const parent = await configMap('parent', {}, 'gc-ns-b');
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'valid-child', namespace: 'gc-ns-b', ownerReferences: [ref(parent, 'ConfigMap', false)] } });
    // As upstream's test: the kind is wrong too; the uid alone identifies the owner.
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'invalid-child', namespace: 'gc-ns-a', ownerReferences: [{ apiVersion: 'v1', kind: 'Secret', name: 'invalid', uid: parent.metadata.uid }] } });
    await gone('secret/invalid-child', 'cross-namespace dependent collected', 'gc-ns-a');
    const [e] = await until(async () => { const l = await events('gc-ns-a', 'OwnerRefInvalidNamespace'); return l.length ? l : undefined; }, 'OwnerRefInvalidNamespace event');
    assert.equal(e.type, 'Warning');
    assert.equal(e.source?.component, 'garbage-collector-controller');
    assert.deepEqual([e.involvedObject.kind, e.involvedObject.apiVersion, e.involvedObject.namespace, e.involvedObject.name], ['Secret', 'v1', 'gc-ns-a', 'invalid-child']);
    assert.equal(e.message, `ownerRef [v1/Secret, namespace: gc-ns-a, name: invalid, uid: ${parent.metadata.uid}] does not exist in namespace "gc-ns-a"`);
    // Looking for the owner in the wrong namespace must not make it absent for its own namespace.
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'valid-child-late', namespace: 'gc-ns-b', ownerReferences: [ref(parent, 'ConfigMap', false)] } });
    await settle();
    assert.equal(await c.exists('secret/valid-child', '-n', 'gc-ns-b'), true);
    assert.equal(await c.exists('secret/valid-child-late', '-n', 'gc-ns-b'), true);
    assert.equal((await events('gc-ns-b', 'OwnerRefInvalidNamespace')).length, 0);
  });

  test('a cross-namespace reference next to a live owner is removed, the dependent kept', async () => {
    const far = await configMap('far-owner', {}, 'gc-ns-b');
    const near = await configMap('near-owner', {}, 'gc-ns-a');
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'two-owners', namespace: 'gc-ns-a', ownerReferences: [ref(far, 'ConfigMap', false), ref(near, 'ConfigMap', false)] } });
    const s = await until(async () => { const o = await c.get('secret/two-owners', '-n', 'gc-ns-a'); return o.metadata.ownerReferences?.length === 1 && o; }, 'invalid reference dropped');
    assert.equal(s.metadata.ownerReferences?.[0]?.uid, near.metadata.uid);
    await until(async () => (await events('gc-ns-a', 'OwnerRefInvalidNamespace')).some((e) => e.involvedObject.name === 'two-owners'), 'event for two-owners');
  });

  test('a cluster-scoped dependent of a namespaced owner is never collected; an observed owner earns an event', async () => {
    const owner = await configMap('cluster-dep-owner');
    const rules: unknown[] = [];
    await c.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gc-cluster-dep', ownerReferences: [ref(owner, 'ConfigMap', false)] }, rules });
    await c.apply({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gc-cluster-dep-missing', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nowhere', uid: '00000000-0000-0000-0000-0000000000bb' }] }, rules });
    const e = await until(async () => (await events('default', 'OwnerRefInvalidNamespace')).find((x) => x.involvedObject.name === 'gc-cluster-dep'), 'event for the cluster-scoped dependent');
    assert.equal(e.message, `ownerRef [v1/ConfigMap, namespace: , name: cluster-dep-owner, uid: ${owner.metadata.uid}] does not exist in namespace ""`);
    assert.deepEqual([e.involvedObject.kind, e.involvedObject.apiVersion], ['ClusterRole', 'rbac.authorization.k8s.io/v1']);
    // Deleting the owner changes nothing either.
    await c.kubectl(['delete', 'configmap/cluster-dep-owner', '-n', ns]);
    await settle();
    assert.equal(await c.exists('clusterrole/gc-cluster-dep'), true);
    assert.equal(await c.exists('clusterrole/gc-cluster-dep-missing'), true);
    assert.equal((await events('default', 'OwnerRefInvalidNamespace')).some((x) => x.involvedObject.name === 'gc-cluster-dep-missing'), false);
  });
});
