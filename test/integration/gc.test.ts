// The garbage collector against an in-process API server, driven with the real kubectl:
// background, orphan and foreground cascading deletion of Deployments, ownership across
// arbitrary resource types, cluster-scoped owners, and custom resources found by discovery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, deployment, until, type Item } from './support/deployment-cluster.js';

const ns = 'default';

describe('garbage collector', () => {
  const c = new TestCluster();
  before(() => c.start());
  after(() => c.stop());

  const ready = async (name: string) => {
    await c.apply(deployment(name, ns, 2, 'busybox:1'));
    await c.kubectl(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=60s']);
    return { rs: (await c.list('rs', '-n', ns, '-l', `app=${name}`))[0], pods: await c.list('pods', '-n', ns, '-l', `app=${name}`) };
  };
  const count = async (kind: string, app: string) => (await c.list(kind, '-n', ns, '-l', `app=${app}`)).length;

  test('background: deleting a Deployment removes its ReplicaSets and their pods', async () => {
    await ready('bg');
    await c.kubectl(['delete', 'deployment/bg', '-n', ns]);
    await until(async () => (await count('rs', 'bg')) === 0 && (await count('pods', 'bg')) === 0, 'ReplicaSet and pods collected');
  });

  test('orphan: dependents stay, without the owner reference', async () => {
    const { rs } = await ready('orph');
    await c.kubectl(['delete', 'deployment/orph', '-n', ns, '--cascade=orphan']);
    assert.equal(await c.exists('deployment/orph', '-n', ns), false);
    const left = await c.get(`rs/${rs.metadata.name}`, '-n', ns);
    assert.equal(left.metadata.ownerReferences, undefined);
    assert.equal(await count('pods', 'orph'), 2);
    // The ReplicaSet keeps its pods.
    for (const p of await c.list('pods', '-n', ns, '-l', 'app=orph')) assert.equal(p.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
  });

  test('foreground: the owner stays until blocking dependents are gone', async () => {
    const { rs, pods } = await ready('fg');
    // A finalizer on one pod holds the cascade.
    const held = pods[0].metadata.name;
    await c.kubectl(['patch', `pod/${held}`, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);
    await c.kubectl(['delete', 'deployment/fg', '-n', ns, '--cascade=foreground', '--wait=false']);
    const d = await until(async () => { const x = await c.get('deployment/fg', '-n', ns); return x.metadata.deletionTimestamp ? x : undefined; }, 'deployment marked');
    assert.deepEqual(d.metadata.finalizers, ['foregroundDeletion']);
    await until(async () => (await c.get(`rs/${rs.metadata.name}`, '-n', ns)).metadata.finalizers?.includes('foregroundDeletion'), 'ReplicaSet deleted in the foreground too');
    await until(async () => (await count('pods', 'fg')) === 1, 'unheld pod deleted');
    assert.equal(await c.exists('deployment/fg', '-n', ns), true);
    await c.kubectl(['patch', `pod/${held}`, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await c.kubectl(['wait', '--for=delete', 'deployment/fg', '-n', ns, '--timeout=30s']);
    assert.equal(await c.exists(`rs/${rs.metadata.name}`, '-n', ns), false);
    assert.equal(await count('pods', 'fg'), 0);
  });

  test('foreground through kubectl delete: returns once everything is gone', async () => {
    const { rs } = await ready('fg2');
    await c.kubectl(['delete', 'deployment/fg2', '-n', ns, '--cascade=foreground', '--timeout=60s']);
    assert.equal(await c.exists(`rs/${rs.metadata.name}`, '-n', ns), false);
    assert.equal(await count('pods', 'fg2'), 0);
  });

  test('any resource can own any other; cluster-scoped owners; a dependent with a live owner stays', async () => {
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns } });
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keeper', namespace: ns } });
    await c.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-owner-ns' } });
    const owner = await c.get('configmap/owner', '-n', ns);
    const keeper = await c.get('configmap/keeper', '-n', ns);
    const nsOwner = await c.get('namespace/gc-owner-ns');
    const ref = (o: Item, kind: string) => ({ apiVersion: 'v1', kind, name: o.metadata.name, uid: o.metadata.uid });
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dep-one', namespace: ns, ownerReferences: [ref(owner, 'ConfigMap')] } });
    await c.apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dep-two', namespace: ns, ownerReferences: [ref(owner, 'ConfigMap'), ref(keeper, 'ConfigMap')] } });
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dep-cluster', namespace: ns, ownerReferences: [ref(nsOwner, 'Namespace')] } });
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dep-dangling', namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'never', uid: '00000000-0000-0000-0000-000000000001' }] } });

    await c.kubectl(['delete', 'configmap/owner', '-n', ns]);
    await until(async () => !(await c.exists('secret/dep-one', '-n', ns)), 'dep-one collected');
    const two = await until(async () => { const s = await c.get('secret/dep-two', '-n', ns); return s.metadata.ownerReferences?.length === 1 && s; }, 'dangling reference dropped from dep-two');
    assert.equal(two.metadata.ownerReferences?.[0]?.uid, keeper.metadata.uid);
    await until(async () => !(await c.exists('configmap/dep-dangling', '-n', ns)), 'object whose owner never existed collected');
    assert.equal(await c.exists('configmap/dep-cluster', '-n', ns), true);
    await c.kubectl(['delete', 'namespace/gc-owner-ns', '--timeout=60s']);
    await until(async () => !(await c.exists('configmap/dep-cluster', '-n', ns)), 'dependent of a cluster-scoped owner collected');
  });

  test('custom resources: a CRD created later is watched', async () => {
    await c.apply({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.gc.example.com' },
      spec: {
        group: 'gc.example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
      },
    });
    await c.kubectl(['wait', '--for=condition=Established', 'crd/widgets.gc.example.com', '--timeout=30s']);
    await c.apply({ apiVersion: 'gc.example.com/v1', kind: 'Widget', metadata: { name: 'parent', namespace: ns } });
    const parent = await c.get('widget/parent', '-n', ns);
    await c.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'widget-child', namespace: ns, ownerReferences: [{ apiVersion: 'gc.example.com/v1', kind: 'Widget', name: 'parent', uid: parent.metadata.uid }] } });
    await c.apply({ apiVersion: 'gc.example.com/v1', kind: 'Widget', metadata: { name: 'kid', namespace: ns, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'widget-child', uid: (await c.get('configmap/widget-child', '-n', ns)).metadata.uid }] } });
    await c.kubectl(['delete', 'widget/parent', '-n', ns]);
    await until(async () => !(await c.exists('configmap/widget-child', '-n', ns)), 'ConfigMap owned by a Widget collected');
    await until(async () => !(await c.exists('widget/kid', '-n', ns)), 'Widget owned by a ConfigMap collected', 45_000);
  });
});
