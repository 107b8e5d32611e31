// Acceptance test of the controllers, the scheduler and the simulated nodes, as a user
// runs them: the built `kite server --disable-agent` and `kite simulate --nodes 3` as two
// child processes, the real kubectl driving every workload controller. No fake kubelet:
// the simulator is the kubelet and the real scheduler binds the pods.
// One cluster serves the whole file; tests run in order and build on each other's objects.
// The node-failure test stops the simulator, so it comes last.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Event, Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { waitFor, type ExecResult, type KiteServer, type KubectlOptions } from './helpers.js';
import { startClusterServer, startSimulator, type List, type Simulator } from './cluster-helpers.js';

const NS = 'e2e';
const NODES = ['kite-sim-0', 'kite-sim-1', 'kite-sim-2'];
/**
 * --node-monitor-grace-period. It must exceed the interval between two heartbeats, or
 * healthy nodes flap to Unknown between them: the simulator renews its node leases every
 * 10s (+4% jitter), as the kubelet does with the default 40s lease; 12s leaves a margin.
 */
const GRACE_S = 12;
/** Node lifecycle's --node-monitor-period: how often silent nodes are noticed at most. */
const MONITOR_PERIOD_S = 5;

const isLive = (p: Pod) => !p.metadata?.deletionTimestamp;
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const names = (items: { metadata?: { name?: string } }[]) => items.map((i) => i.metadata!.name!).sort();

describe('controllers, scheduler and simulated nodes, driven by kubectl', { timeout: 180_000 }, () => {
  let s: KiteServer;
  let sim: Simulator;
  const k = (args: string[], o?: KubectlOptions): Promise<ExecResult> => s.kubectl(args, { timeoutMs: 90_000, ...o });
  /** kubectl in the test namespace; returns stdout. */
  const kn = async (...args: string[]): Promise<string> => (await k(['-n', NS, ...args])).stdout;
  const get = async <T>(...args: string[]): Promise<T> => JSON.parse(await kn('get', ...args, '-o', 'json')) as T;
  const pods = async (selector: string): Promise<Pod[]> => (await get<List<Pod>>('pods', '-l', selector)).items;
  /** Waits until the selected pods are exactly `n` live, Running, Ready pods; returns them. */
  const runningPods = (selector: string, n: number, deadlineMs = 30_000) =>
    waitFor(async () => {
      const ps = await pods(selector);
      return ps.length === n && ps.every((p) => isLive(p) && p.status?.phase === 'Running' && isReady(p)) ? ps : undefined;
    }, deadlineMs, `${n} running ready pods with ${selector}`);
  const rollout = (what: string) => kn('rollout', 'status', what, '--timeout=60s');

  before(async () => {
    s = await startClusterServer(['--node-monitor-grace-period', `${GRACE_S}s`, '--service-node-port-range', '31000-31009']);
    sim = await startSimulator(s, ['--nodes', String(NODES.length), '--pod-complete-after', '2s']);
    await k(['create', 'namespace', NS]);
  });
  after(async () => {
    await sim?.cleanup();
    await s?.cleanup();
  });

  test('kubectl get nodes shows the simulated nodes Ready', async () => {
    const out = await waitFor(async () => {
      const o = (await k(['get', 'nodes', '--no-headers'])).stdout;
      return NODES.every((n) => new RegExp(`^${n}\\s+Ready\\s`, 'm').test(o)) ? o : undefined;
    }, 15_000, 'three Ready nodes');
    assert.equal(out.trim().split('\n').length, NODES.length, out);
    const nodes = JSON.parse((await k(['get', 'nodes', '-o', 'json'])).stdout) as List<Node>;
    for (const n of nodes.items) assert.match(n.spec?.podCIDR ?? '', /^10\.42\.\d+\.0\/24$/, `${n.metadata?.name} gets a pod CIDR`);
  });

  test('deployment: create, rollout status, pods Running with IPs on the simulated nodes', async () => {
    assert.equal(await kn('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3'), 'deployment.apps/web created\n');
    assert.match(await rollout('deploy/web'), /deployment "web" successfully rolled out/);
    const ps = await runningPods('app=web', 3);
    for (const p of ps) {
      assert.ok(NODES.includes(p.spec?.nodeName ?? ''), `${p.metadata?.name} is bound to a simulated node, not ${p.spec?.nodeName}`);
      assert.match(p.status?.podIP ?? '', /^10\.42\.\d+\.\d+$/, `${p.metadata?.name} has a pod IP`);
    }
    assert.equal(new Set(ps.map((p) => p.status!.podIP)).size, 3, 'pod IPs are distinct');
  });

  test('deployment: scale, set image, history, undo, restart, wait Available', async () => {
    assert.equal(await kn('scale', 'deploy/web', '--replicas=5'), 'deployment.apps/web scaled\n');
    await rollout('deploy/web');
    await runningPods('app=web', 5);

    assert.equal(await kn('set', 'image', 'deploy/web', 'nginx=nginx:1.26'), 'deployment.apps/web image updated\n');
    await rollout('deploy/web');
    const revisions = (out: string) => out.split('\n').flatMap((l) => /^(\d+)\s+/.exec(l)?.[1] ?? []);
    const history = await kn('rollout', 'history', 'deploy/web');
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.deepEqual(revisions(history), ['1', '2'], history);
    const images = async () => (await runningPods('app=web', 5)).map((p) => p.spec!.containers[0].image);
    assert.deepEqual(new Set(await images()), new Set(['nginx:1.26']));

    assert.equal(await kn('rollout', 'undo', 'deploy/web'), 'deployment.apps/web rolled back\n');
    await rollout('deploy/web');
    assert.equal((await get<Deployment>('deploy', 'web')).spec?.template.spec?.containers[0].image, 'nginx:1.25');
    assert.deepEqual(revisions(await kn('rollout', 'history', 'deploy/web')), ['2', '3'], 'undo turns revision 1 into 3');
    await waitFor(async () => (await images()).every((i) => i === 'nginx:1.25'), 30_000, 'pods back on nginx:1.25');

    assert.equal(await kn('rollout', 'restart', 'deploy/web'), 'deployment.apps/web restarted\n');
    await rollout('deploy/web');
    await kn('wait', '--for=condition=Available', 'deploy/web', '--timeout=30s');
    const d = await get<Deployment>('deploy', 'web');
    const restartedAt = d.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    assert.ok(restartedAt, 'restart stamps the template');
    assert.equal(d.status?.availableReplicas, 5);
    assert.equal(d.status?.updatedReplicas, 5);
    const rs = (await get<List<ReplicaSet>>('rs', '-l', 'app=web')).items;
    assert.deepEqual(rs.map((r) => r.spec?.replicas ?? 0).sort(), [0, 0, 5], 'old replica sets scaled to zero');
    await waitFor(async () => (await runningPods('app=web', 5)).every((p) => p.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'] === restartedAt), 30_000, 'restarted pods');
  });

  test('service: expose gives a ClusterIP and EndpointSlices hold the ready pod IPs', async () => {
    assert.equal(await kn('expose', 'deploy', 'web', '--port', '80'), 'service/web exposed\n');
    const svc = await get<Service>('svc', 'web');
    assert.equal(svc.spec?.type, 'ClusterIP');
    assert.match(svc.spec?.clusterIP ?? '', /^10\.43\.\d+\.\d+$/);
    await waitFor(async () => {
      const ips = new Set((await runningPods('app=web', 5)).map((p) => p.status!.podIP!));
      const slices = (await get<List<EndpointSlice>>('endpointslices', '-l', 'kubernetes.io/service-name=web')).items;
      const ready = slices.flatMap((sl) => sl.endpoints.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses));
      const ports = slices.flatMap((sl) => (sl.ports ?? []).map((p) => p.port));
      return ready.length === ips.size && ready.every((a) => ips.has(a)) && ports.every((p) => p === 80) && ports.length > 0;
    }, 20_000, 'EndpointSlices listing exactly the ready pod IPs on port 80');
  });

  test('service: NodePorts come from --service-node-port-range', async () => {
    assert.equal(await kn('create', 'service', 'nodeport', 'np', '--tcp=80'), 'service/np created\n');
    const port = (await get<Service>('svc', 'np')).spec?.ports?.[0]?.nodePort ?? 0;
    assert.ok(port >= 31000 && port <= 31009, `nodePort ${port}`);
    const r = await k(['-n', NS, 'create', 'service', 'nodeport', 'np2', '--tcp=80', '--node-port=30080'], { allowFail: true });
    assert.match(r.stderr, /provided port is not in the valid range. The range of valid ports is 31000-31009/);
    await kn('delete', 'service', 'np');
  });

  test('job runs to completion', async () => {
    assert.equal(await kn('create', 'job', 'j', '--image=busybox', '--', 'true'), 'job.batch/j created\n');
    assert.match(await kn('wait', '--for=condition=complete', 'job/j', '--timeout=30s'), /job.batch\/j condition met/);
    const job = await get<Job>('job', 'j');
    assert.equal(job.status?.succeeded, 1);
    assert.ok(job.status?.completionTime);
    const ps = await pods('job-name=j');
    assert.deepEqual(ps.map((p) => p.status?.phase), ['Succeeded']);
  });

  test('daemonset: one pod on every node', async () => {
    const manifest = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox}]
`;
    assert.equal((await k(['-n', NS, 'apply', '-f', '-'], { input: manifest })).stdout, 'daemonset.apps/agent created\n');
    assert.match(await rollout('ds/agent'), /daemon set "agent" successfully rolled out/);
    const ps = await runningPods('app=agent', NODES.length);
    assert.deepEqual(ps.map((p) => p.spec?.nodeName).sort(), NODES);
    const ds = await get<DaemonSet>('ds', 'agent');
    assert.equal(ds.status?.desiredNumberScheduled, 3);
    assert.equal(ds.status?.numberReady, 3);
  });

  test('statefulset: pods created in order, each after the previous one is Ready', async () => {
    const rv = (await get<List<Pod> & { metadata: { resourceVersion: string } }>('pods')).metadata.resourceVersion;
    const manifest = `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:16}]
`;
    await k(['-n', NS, 'apply', '-f', '-'], { input: manifest });
    assert.match(await rollout('sts/web'), /^partitioned roll out complete: 3 new pods have been updated\.\.\./);
    const ps = await runningPods('app=db', 3);
    assert.deepEqual(names(ps), ['web-0', 'web-1', 'web-2']);
    // Replay every change to these pods since before the apply, in revision order.
    const raw = (await k(['get', '--raw', `/api/v1/namespaces/${NS}/pods?watch=true&labelSelector=app%3Ddb&resourceVersion=${rv}&timeoutSeconds=1`])).stdout;
    const events = raw.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; object: Pod });
    const firstSeen = (name: string) => events.findIndex((e) => e.object.metadata?.name === name);
    const firstReady = (name: string) => events.findIndex((e) => e.object.metadata?.name === name && isReady(e.object));
    assert.deepEqual(['web-0', 'web-1', 'web-2'].map((n) => events[firstSeen(n)]?.type), ['ADDED', 'ADDED', 'ADDED']);
    assert.ok(firstReady('web-0') >= 0 && firstReady('web-0') < firstSeen('web-1'), 'web-1 is created only once web-0 is Ready');
    assert.ok(firstReady('web-1') >= 0 && firstReady('web-1') < firstSeen('web-2'), 'web-2 is created only once web-1 is Ready');
  });

  test('a pod asking for 100 CPUs stays Pending with a FailedScheduling event', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: big}
spec:
  containers:
  - name: big
    image: nginx
    resources: {requests: {cpu: "100"}}
`;
    await k(['-n', NS, 'apply', '-f', '-'], { input: manifest });
    const describe = await waitFor(async () => {
      const out = await kn('describe', 'pod', 'big');
      return /FailedScheduling/.test(out) ? out : undefined;
    }, 20_000, 'a FailedScheduling event on pod big');
    assert.match(describe, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\./);
    const pod = await get<Pod>('pod', 'big');
    assert.equal(pod.status?.phase, 'Pending');
    assert.equal(pod.spec?.nodeName, undefined);
    const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    await kn('delete', 'pod', 'big', '--timeout=30s');
  });

  test('taints: new pods avoid a NoSchedule-tainted node until the taint is removed', async () => {
    const node = NODES[0];
    assert.equal((await k(['taint', 'nodes', node, 'dedicated=x:NoSchedule'])).stdout, `node/${node} tainted\n`);
    await kn('create', 'deployment', 'spread', '--image=nginx', '--replicas=6');
    await rollout('deploy/spread');
    const placed = (await runningPods('app=spread', 6)).map((p) => p.spec?.nodeName);
    assert.ok(!placed.includes(node), `no pod on the tainted node: ${placed.join(', ')}`);
    assert.equal((await k(['taint', 'nodes', node, 'dedicated=x:NoSchedule-'])).stdout, `node/${node} untainted\n`);
    const n = JSON.parse((await k(['get', 'node', node, '-o', 'json'])).stdout) as Node;
    assert.ok(!(n.spec?.taints ?? []).some((t) => t.key === 'dedicated'));
    // After the taint is gone the scheduler uses the node again.
    await kn('scale', 'deploy/spread', '--replicas=9');
    await rollout('deploy/spread');
    assert.ok((await runningPods('app=spread', 9)).some((p) => p.spec?.nodeName === node), 'the untainted node takes new pods');
    await kn('delete', 'deploy', 'spread');
    await waitFor(async () => (await pods('app=spread')).length === 0, 30_000, 'spread pods to go');
  });

  test('cordon and drain: deployment pods are evicted and recreated elsewhere; uncordon', async () => {
    // Drain the node holding the most web pods, so the eviction is observable.
    const before = await runningPods('app=web', 5);
    const count = (n: string) => before.filter((p) => p.spec?.nodeName === n).length;
    const node = [...NODES].sort((a, b) => count(b) - count(a))[0];
    const evicted = names(before.filter((p) => p.spec?.nodeName === node));
    assert.ok(evicted.length > 0);

    assert.equal((await k(['cordon', node])).stdout, `node/${node} cordoned\n`);
    assert.match((await k(['get', 'nodes', '--no-headers'])).stdout, new RegExp(`^${node}\\s+Ready,SchedulingDisabled\\s`, 'm'));
    const drain = await k(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    for (const p of evicted) assert.match(drain.stdout, new RegExp(`evicting pod ${NS}/${p}\\b`));
    assert.match(drain.stdout, new RegExp(`node/${node} drained`));
    const after = await waitFor(async () => {
      const ps = await runningPods('app=web', 5);
      return ps.every((p) => p.spec?.nodeName !== node && !evicted.includes(p.metadata!.name!)) ? ps : undefined;
    }, 30_000, 'web pods recreated on other nodes');
    assert.equal(after.length, 5);
    // DaemonSet pods are left alone.
    assert.ok((await pods('app=agent')).some((p) => p.spec?.nodeName === node && isLive(p)));
    await kn('wait', '--for=condition=Available', 'deploy/web', '--timeout=30s');

    assert.equal((await k(['uncordon', node])).stdout, `node/${node} uncordoned\n`);
    assert.match((await k(['get', 'nodes', '--no-headers'])).stdout, new RegExp(`^${node}\\s+Ready\\s`, 'm'));
  });

  test('delete a deployment with each cascade mode', async () => {
    const modes = ['background', 'foreground', 'orphan'] as const;
    for (const m of modes) await kn('create', 'deployment', `cas-${m}`, '--image=nginx', '--replicas=2');
    await Promise.all(modes.map((m) => rollout(`deploy/cas-${m}`)));
    const rsOf = async (m: string) => (await get<List<ReplicaSet>>('rs', '-l', `app=cas-${m}`)).items;

    assert.equal(await kn('delete', 'deploy', 'cas-background', '--cascade=background'), 'deployment.apps "cas-background" deleted\n');
    await waitFor(async () => (await rsOf('background')).length === 0 && (await pods('app=cas-background')).length === 0, 30_000, 'background deletion to remove the replica set and pods');

    // Foreground: the deployment is gone only after its replica set and pods are.
    assert.equal(await kn('delete', 'deploy', 'cas-foreground', '--cascade=foreground'), 'deployment.apps "cas-foreground" deleted\n');
    assert.deepEqual(await rsOf('foreground'), []);
    assert.deepEqual(await pods('app=cas-foreground'), []);

    // Orphan: the replica set and its pods stay, no longer owned.
    assert.equal(await kn('delete', 'deploy', 'cas-orphan', '--cascade=orphan'), 'deployment.apps "cas-orphan" deleted\n');
    const rs = await rsOf('orphan');
    assert.equal(rs.length, 1);
    assert.deepEqual(rs[0].metadata?.ownerReferences ?? [], []);
    const orphans = await runningPods('app=cas-orphan', 2);
    assert.ok(orphans.every((p) => p.metadata?.ownerReferences?.[0]?.name === rs[0].metadata?.name), 'pods still belong to the replica set');
    await kn('delete', 'rs', rs[0].metadata!.name!);
    await waitFor(async () => (await pods('app=cas-orphan')).length === 0, 30_000, 'orphaned pods to go with their replica set');
  });

  test('namespace deletion returns once everything in it is gone', async () => {
    await k(['create', 'namespace', 'doomed']);
    await k(['-n', 'doomed', 'create', 'deployment', 'd', '--image=nginx', '--replicas=2']);
    await k(['-n', 'doomed', 'rollout', 'status', 'deploy/d', '--timeout=60s']);
    assert.equal((await k(['delete', 'namespace', 'doomed', '--timeout=60s'])).stdout, 'namespace "doomed" deleted\n');
    const gone = await k(['get', 'namespace', 'doomed'], { allowFail: true });
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /namespaces "doomed" not found/);
    const all = JSON.parse((await k(['get', 'pods,rs,deploy', '-A', '-o', 'json'])).stdout) as List<Pod | ReplicaSet | Deployment>;
    assert.deepEqual(all.items.filter((i) => i.metadata?.namespace === 'doomed'), []);
    const nsList = JSON.parse((await k(['get', 'namespaces', '-o', 'json'])).stdout) as List<Namespace>;
    assert.ok(!names(nsList.items).includes('doomed'));
  });

  test('node failure: nodes go NotReady, get the unreachable taint, and intolerant pods are evicted', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: fragile}
spec:
  containers: [{name: c, image: nginx}]
  tolerations:
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
`;
    await k(['-n', NS, 'apply', '-f', '-'], { input: manifest });
    await waitFor(async () => (await get<Pod>('pod', 'fragile')).status?.phase === 'Running', 20_000, 'pod fragile Running');
    const web = await runningPods('app=web', 5);

    await sim.stop();
    const silentSince = Date.now();
    const rows = await waitFor(async () => {
      const o = (await k(['get', 'nodes', '--no-headers'])).stdout;
      return NODES.every((n) => new RegExp(`^${n}\\s+NotReady\\s`, 'm').test(o)) ? o : undefined;
    }, (GRACE_S + 2 * MONITOR_PERIOD_S + 5) * 1000, 'every node NotReady');
    assert.ok(Date.now() - silentSince <= (GRACE_S + 2 * MONITOR_PERIOD_S + 5) * 1000, rows);
    const nodes = JSON.parse((await k(['get', 'nodes', '-o', 'json'])).stdout) as List<Node>;
    for (const n of nodes.items) {
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'Unknown', `${n.metadata?.name} Ready is Unknown`);
      const taints = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
      assert.ok(taints.includes('node.kubernetes.io/unreachable:NoExecute'), `${n.metadata?.name} taints: ${taints.join(', ')}`);
      assert.ok(taints.includes('node.kubernetes.io/unreachable:NoSchedule'), `${n.metadata?.name} taints: ${taints.join(', ')}`);
    }

    // fragile tolerates the taint for 2s only; with no kubelet left it stays Terminating.
    await waitFor(async () => {
      const r = await k(['-n', NS, 'get', 'pod', 'fragile', '-o', 'json'], { allowFail: true });
      return r.code !== 0 || Boolean((JSON.parse(r.stdout) as Pod).metadata?.deletionTimestamp);
    }, 15_000, 'pod fragile to be evicted');
    const events = (await get<List<Event>>('events', '--field-selector', 'involvedObject.name=fragile')).items;
    assert.ok(events.some((e) => e.reason === 'TaintManagerEviction'), `events: ${events.map((e) => e.reason).join(', ')}`);

    // Pods with the default 300s tolerations stay, marked not Ready.
    await waitFor(async () => {
      const ps = await pods('app=web');
      return ps.length === web.length && ps.every((p) => isLive(p) && !isReady(p));
    }, 15_000, 'web pods kept but marked not Ready');
  });
});
