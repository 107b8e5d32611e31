// Deployment and ReplicaSet controllers against an in-process API server, driven with
// the real kubectl: ReplicaSet and pod naming, labels and owners, scaling, rolling
// updates, rollout status/history/undo/restart, pause/resume, Recreate, `wait`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestCluster, deployment, until, type Item } from './support/deployment-cluster.js';

const ns = 'default';

describe('deployment controller', () => {
  const c = new TestCluster();
  before(() => c.start());
  after(() => c.stop());

  const replicaSets = async (app: string) => (await c.list('rs', '-n', ns, '-l', `app=${app}`)).sort((a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision']) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision']));
  const pods = (app: string) => c.list('pods', '-n', ns, '-l', `app=${app}`);
  const condition = (d: Item, type: string) => (d.status?.conditions as { type: string; status: string; reason: string }[] | undefined)?.find((x) => x.type === type);

  test('create: a ReplicaSet named by template hash owns pods named after it; rollout status and wait', async () => {
    await c.apply(deployment('web', ns, 3, 'nginx:1.25'));
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    await c.kubectl(['wait', '--for=condition=Available', 'deployment/web', '-n', ns, '--timeout=30s']);

    const d = await c.get('deployment/web', '-n', ns);
    const [rs] = await replicaSets('web');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual((rs.spec?.selector as { matchLabels: Record<string, string> }).matchLabels, { app: 'web', 'pod-template-hash': hash });
    const ref = rs.metadata.ownerReferences?.[0];
    assert.deepEqual({ kind: ref?.kind, name: ref?.name, uid: ref?.uid, controller: ref?.controller, block: ref?.blockOwnerDeletion },
      { kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, block: true });
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

    const ps = await pods('web');
    assert.equal(ps.length, 3);
    for (const p of ps) {
      assert.match(p.metadata.name, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      assert.equal(p.metadata.labels?.['pod-template-hash'], hash);
      assert.equal(p.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
      assert.equal(p.metadata.ownerReferences?.[0]?.controller, true);
    }
    assert.equal(d.status?.observedGeneration, d.metadata.generation);
    assert.deepEqual([d.status?.replicas, d.status?.updatedReplicas, d.status?.readyReplicas, d.status?.availableReplicas], [3, 3, 3, 3]);
    assert.equal(condition(d, 'Available')?.reason, 'MinimumReplicasAvailable');
    assert.equal(condition(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    const rsStatus = (await c.get(`rs/${rs.metadata.name}`, '-n', ns)).status;
    assert.deepEqual([rsStatus?.replicas, rsStatus?.fullyLabeledReplicas, rsStatus?.readyReplicas, rsStatus?.availableReplicas], [3, 3, 3, 3]);

    const events = await c.kubectl(['get', 'events', '-n', ns, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, new RegExp(`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 3`));
    assert.match(events, new RegExp(`SuccessfulCreate: Created pod: web-${hash}-`));
  });

  test('scale up and down', async () => {
    await c.kubectl(['scale', 'deployment/web', '-n', ns, '--replicas=5']);
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    await until(async () => (await pods('web')).length === 5, '5 pods');
    await c.kubectl(['scale', 'deployment/web', '-n', ns, '--replicas=2']);
    await until(async () => (await pods('web')).length === 2, '2 pods');
    const d = await c.get('deployment/web', '-n', ns);
    await until(async () => (await c.get('deployment/web', '-n', ns)).status?.replicas === 2, 'status.replicas 2');
    assert.equal((await replicaSets('web')).length, 1);
    assert.equal(d.spec?.replicas, 2);
  });

  test('set image rolls out a new ReplicaSet; history, undo and restart', async () => {
    await c.kubectl(['set', 'image', 'deployment/web', '-n', ns, 'main=nginx:1.26']);
    await c.kubectl(['annotate', 'deployment/web', '-n', ns, 'kubernetes.io/change-cause=image 1.26']);
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    let rss = await replicaSets('web');
    assert.equal(rss.length, 2);
    assert.deepEqual(rss.map((r) => r.spec?.replicas), [0, 2]);
    assert.equal(rss[1].metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    assert.equal(rss[1].metadata.annotations?.['kubernetes.io/change-cause'], 'image 1.26');
    assert.notEqual(rss[0].metadata.labels?.['pod-template-hash'], rss[1].metadata.labels?.['pod-template-hash']);
    const ps = await until(async () => { const p = await pods('web'); return p.length === 2 && p; }, 'old pods gone');
    for (const p of ps) assert.equal(p.metadata.ownerReferences?.[0]?.uid, rss[1].metadata.uid);

    const history = await c.kubectl(['rollout', 'history', 'deployment/web', '-n', ns]);
    assert.match(history, /^1\s+<none>$/m);
    assert.match(history, /^2\s+image 1\.26$/m);

    await c.kubectl(['rollout', 'undo', 'deployment/web', '-n', ns]);
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    rss = await replicaSets('web');
    assert.equal(rss.length, 2);
    const back = rss.find((r) => (r.spec?.template as { spec: { containers: { image: string }[] } }).spec.containers[0].image === 'nginx:1.25')!;
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec?.replicas, 2);
    const d = await c.get('deployment/web', '-n', ns);
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '3');
    assert.match(await c.kubectl(['rollout', 'history', 'deployment/web', '-n', ns]), /^3\s/m);

    await c.kubectl(['rollout', 'restart', 'deployment/web', '-n', ns]);
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    rss = await replicaSets('web');
    assert.equal(rss.length, 3);
    assert.equal(rss[2].metadata.annotations?.['deployment.kubernetes.io/revision'], '4');
    assert.ok((rss[2].spec?.template as { metadata: { annotations: Record<string, string> } }).metadata.annotations['kubectl.kubernetes.io/restartedAt']);
    assert.deepEqual(rss.map((r) => r.spec?.replicas), [0, 0, 2]);
  });

  test('pause holds a template change; resume rolls it out', async () => {
    await c.kubectl(['rollout', 'pause', 'deployment/web', '-n', ns]);
    await until(async () => condition(await c.get('deployment/web', '-n', ns), 'Progressing')?.reason === 'DeploymentPaused', 'DeploymentPaused');
    await c.kubectl(['set', 'image', 'deployment/web', '-n', ns, 'main=nginx:1.27']);
    await until(async () => { const d = await c.get('deployment/web', '-n', ns); return d.status?.observedGeneration === d.metadata.generation; }, 'paused spec observed');
    assert.equal((await replicaSets('web')).length, 3);
    await c.kubectl(['rollout', 'resume', 'deployment/web', '-n', ns]);
    await c.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s']);
    const rss = await replicaSets('web');
    assert.equal(rss.length, 4);
    assert.equal((rss[3].spec?.template as { spec: { containers: { image: string }[] } }).spec.containers[0].image, 'nginx:1.27');
  });

  test('revisionHistoryLimit removes old scaled-down ReplicaSets', async () => {
    await c.kubectl(['patch', 'deployment/web', '-n', ns, '--type=merge', '-p', '{"spec":{"revisionHistoryLimit":1}}']);
    await until(async () => (await replicaSets('web')).length === 2, 'history trimmed to 1 old ReplicaSet');
  });

  test('Recreate: old pods go before new ones come', async () => {
    await c.apply(deployment('rec', ns, 2, 'busybox:1', { strategy: { type: 'Recreate' } }));
    await c.kubectl(['rollout', 'status', 'deployment/rec', '-n', ns, '--timeout=60s']);
    await c.kubectl(['set', 'image', 'deployment/rec', '-n', ns, 'main=busybox:2']);
    await c.kubectl(['rollout', 'status', 'deployment/rec', '-n', ns, '--timeout=60s']);
    const rss = await replicaSets('rec');
    assert.deepEqual(rss.map((r) => r.spec?.replicas), [0, 2]);
    const events = await c.kubectl(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=rec', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, new RegExp(`Scaled down replica set ${rss[0].metadata.name} from 2 to 0`));
    assert.match(events, new RegExp(`Scaled up replica set ${rss[1].metadata.name} from 0 to 2`));
  });

  test('progress deadline: pods that never become ready time the rollout out', async () => {
    c.kubelet.hold = (p) => p.metadata?.labels?.app === 'stuck';
    await c.apply(deployment('stuck', ns, 1, 'busybox:1', { progressDeadlineSeconds: 2 }));
    await until(async () => condition(await c.get('deployment/stuck', '-n', ns), 'Progressing')?.reason === 'ProgressDeadlineExceeded', 'ProgressDeadlineExceeded', 20_000);
    const d = await c.get('deployment/stuck', '-n', ns);
    assert.equal(condition(d, 'Available')?.status, 'False');
    await assert.rejects(c.kubectl(['rollout', 'status', 'deployment/stuck', '-n', ns, '--timeout=10s']), /exceeded its progress deadline/);
  });

  test('ReplicaSet alone: adopts matching orphans and releases pods that stop matching', async () => {
    await c.apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: ns, labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
    await c.apply({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo', namespace: ns },
      spec: { replicas: 2, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const rs = await until(async () => { const r = await c.get('rs/solo', '-n', ns); return r.status?.readyReplicas === 2 && r; }, 'solo ready');
    const ps = await pods('solo');
    assert.equal(ps.length, 2);
    assert.ok(ps.some((p) => p.metadata.name === 'orphan'));
    assert.ok(ps.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid));
    await c.kubectl(['label', 'pod/orphan', '-n', ns, 'app=gone', '--overwrite']);
    await until(async () => { const p = await c.get('pod/orphan', '-n', ns); return !p.metadata.ownerReferences?.length; }, 'orphan released');
    await until(async () => (await pods('solo')).length === 2, 'replacement pod');
  });
});
