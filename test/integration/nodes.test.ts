// Nodes with the real kubectl: pod CIDRs, heartbeat loss (Unknown, unreachable taint,
// pods marked not ready and evicted after their tolerationSeconds), cordon, drain against
// a PodDisruptionBudget; and the quota and LimitRange admission plugins.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodesKubelet, startCluster, until, type Cluster } from './support/nodes-kubelet.js';

type Json = Record<string, any>;

describe('nodes', { timeout: 180_000 }, () => {
  let c: Cluster;
  let kubelet: NodesKubelet;
  const getJson = async (args: string[]): Promise<Json> => JSON.parse(await c.ok(['get', ...args, '-o', 'json'])) as Json;
  before(async () => {
    c = await startCluster('nodes', { nodeMonitorGracePeriodMs: 3000, nodeMonitorPeriodMs: 500 });
    kubelet = new NodesKubelet(c.client);
  });
  after(async () => { kubelet.stopAll(); await c.stop(); });

  test('nodes get a /24 pod CIDR each', async () => {
    await kubelet.addNode('a1');
    await kubelet.addNode('a2');
    const cidrs = await until(async () => {
      const l = await getJson(['nodes']);
      const got = (l.items as Json[]).map((n) => n.spec.podCIDR as string | undefined);
      return got.every(Boolean) ? got : undefined;
    }, 'pod CIDRs');
    assert.equal(new Set(cidrs).size, 2);
    for (const cidr of cidrs) assert.match(cidr!, /^10\.42\.\d+\.0\/24$/);
    const n = await getJson(['node', 'a1']);
    assert.deepEqual(n.spec.podCIDRs, [n.spec.podCIDR]);
    // The node controller announces each node it starts watching, as upstream's does.
    const described = await until(async () => {
      const out = await c.ok(['describe', 'node', 'a1']);
      return /RegisteredNode\s+\S+\s+node-controller\s+Node a1 event: Registered Node a1 in Controller/.test(out) ? out : undefined;
    }, 'RegisteredNode event');
    assert.ok(described);
  });

  test('a node whose lease stops is Unknown, tainted unreachable, and its pods evicted', async () => {
    await kubelet.addNode('lost');
    const tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }];
    await c.ok(['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata:\n  name: short\nspec:\n  nodeName: lost\n  tolerations: ${JSON.stringify(tolerations)}\n  containers:\n  - name: c\n    image: busybox\n`);
    await c.ok(['run', 'patient', '--image=busybox', '--overrides={"spec":{"nodeName":"lost"}}']);
    await kubelet.setStatus('default', 'short', '10.42.9.2', true);
    await kubelet.setStatus('default', 'patient', '10.42.9.3', true);
    const patient = await getJson(['pod', 'patient']);
    // DefaultTolerationSeconds admission.
    assert.deepEqual((patient.spec.tolerations as Json[]).filter((t) => t.tolerationSeconds === 300).map((t) => t.key).sort(),
      ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']);
    assert.deepEqual((await getJson(['pod', 'short'])).spec.tolerations.map((t: Json) => t.key), ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready']);

    kubelet.stopHeartbeat('lost');
    const node = await until(async () => {
      const n = await getJson(['node', 'lost']);
      return (n.spec.taints as Json[] | undefined)?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
    }, 'unreachable taint');
    const ready = (node.status.conditions as Json[]).find((x) => x.type === 'Ready')!;
    assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    assert.ok((node.spec.taints as Json[]).some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule'));
    assert.match(await c.ok(['get', 'node', 'lost']), /lost\s+NotReady/);
    await until(async () => ((await getJson(['pod', 'short'])).metadata.deletionTimestamp ? true : undefined), 'short evicted');
    await until(async () => {
      const p = await getJson(['pod', 'patient']);
      return (p.status.conditions as Json[]).find((x) => x.type === 'Ready')?.status === 'False' ? true : undefined;
    }, 'patient marked not ready');
    assert.equal((await getJson(['pod', 'patient'])).metadata.deletionTimestamp, undefined, 'a pod tolerating for 300s stays');
  });

  test('cordon adds the unschedulable taint and uncordon removes it', async () => {
    await c.ok(['cordon', 'a1']);
    await until(async () => ((await getJson(['node', 'a1'])).spec.taints as Json[] | undefined)?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule') ? true : undefined, 'unschedulable taint');
    await c.ok(['uncordon', 'a1']);
    await until(async () => (((await getJson(['node', 'a1'])).spec.taints as Json[] | undefined) ?? []).length === 0 ? true : undefined, 'taint removed');
  });

  test('drain is blocked by a PodDisruptionBudget, then allowed', async () => {
    await kubelet.addPod('default', 'guarded', { labels: { app: 'guarded' }, node: 'a2', ip: '10.42.1.5', ready: true });
    await c.ok(['create', 'pdb', 'guard', '--selector=app=guarded', '--min-available=1']);
    const pdb = await until(async () => {
      const p = await getJson(['pdb', 'guard']);
      return p.status?.observedGeneration === p.metadata.generation ? p : undefined;
    }, 'pdb status');
    assert.deepEqual([pdb.status.currentHealthy, pdb.status.desiredHealthy, pdb.status.expectedPods, pdb.status.disruptionsAllowed], [1, 1, 1, 0]);
    assert.deepEqual([pdb.status.conditions[0].type, pdb.status.conditions[0].status, pdb.status.conditions[0].reason], ['DisruptionAllowed', 'False', 'InsufficientPods']);
    const blocked = await c.kubectl(['drain', 'a2', '--force', '--timeout=3s']);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stdout + blocked.stderr, /Cannot evict pod as it would violate the pod's disruption budget/);

    await c.ok(['patch', 'pdb', 'guard', '--type=merge', '-p', '{"spec":{"minAvailable":0}}']);
    await until(async () => ((await getJson(['pdb', 'guard'])).status.disruptionsAllowed === 1 ? true : undefined), 'disruption allowed');
    const reaper = setInterval(() => { void kubelet.reapDeleted().catch(() => undefined); }, 200);
    try {
      const out = await c.ok(['drain', 'a2', '--force', '--timeout=30s']);
      assert.match(out, /pod\/guarded evicted/);
      assert.match(out, /node\/a2 drained/);
    } finally { clearInterval(reaper); }
  });
});

describe('quota and limit range admission', { timeout: 120_000 }, () => {
  let c: Cluster;
  before(async () => { c = await startCluster('admission'); });
  after(async () => { await c.stop(); });

  test('a create over a ResourceQuota is forbidden with the upstream message', async () => {
    await c.ok(['create', 'namespace', 'q']);
    await c.ok(['create', 'quota', 'q1', '-n', 'q', '--hard=pods=2,configmaps=5']);
    await until(async () => {
      const q = JSON.parse(await c.ok(['get', 'quota', 'q1', '-n', 'q', '-o', 'json'])) as Json;
      return q.status?.used?.pods === '0' ? true : undefined;
    }, 'quota status');
    await c.ok(['run', 'p1', '-n', 'q', '--image=busybox']);
    await c.ok(['run', 'p2', '-n', 'q', '--image=busybox']);
    const r = await c.kubectl(['run', 'p3', '-n', 'q', '--image=busybox']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /pods "p3" is forbidden: exceeded quota: q1, requested: pods=1, used: pods=2, limited: pods=2/);
    await until(async () => /pods: 2\/2/.test(await c.ok(['get', 'quota', '-n', 'q'])) ? true : undefined, 'used shown');
    await c.ok(['delete', 'pod', 'p1', '-n', 'q', '--grace-period=0', '--force']);
    await until(async () => ((await c.kubectl(['run', 'p3', '-n', 'q', '--image=busybox'])).code === 0 ? true : undefined), 'room again after a delete');
  });

  test('LimitRange defaults are applied and max is enforced', async () => {
    await c.ok(['create', 'namespace', 'lr']);
    await c.ok(['apply', '-n', 'lr', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: limits\nspec:\n  limits:\n  - type: Container\n    default:\n      cpu: 500m\n    defaultRequest:\n      cpu: 100m\n    max:\n      memory: 1Gi\n');
    await c.ok(['run', 'd', '-n', 'lr', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"d","image":"busybox","resources":{"limits":{"memory":"512Mi"}}}]}}']);
    const pod = JSON.parse(await c.ok(['get', 'pod', 'd', '-n', 'lr', '-o', 'json'])) as Json;
    const res = pod.spec.containers[0].resources;
    assert.equal(res.limits.cpu, '500m');
    assert.equal(res.requests.cpu, '100m');
    assert.match(pod.metadata.annotations['kubernetes.io/limit-ranger'], /^LimitRanger plugin set: cpu request for container d; cpu limit for container d$/);
    const big = await c.kubectl(['run', 'big', '-n', 'lr', '--image=busybox', '--overrides={"spec":{"containers":[{"name":"big","image":"busybox","resources":{"limits":{"memory":"2Gi"}}}]}}']);
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi/);
  });
});
