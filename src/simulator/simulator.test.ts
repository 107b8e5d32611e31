import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { eventually, FakeApi, tick } from '../client/testing/index.js';
import { FakeClock } from '../util/clock.js';
import { Simulator, type SimulatorOptions } from './simulator.js';

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };

interface Harness { api: FakeApi; clock: FakeClock; sim: Simulator; stop(): Promise<void> }
let running: Harness[] = [];
afterEach(async () => { for (const h of running.splice(0)) await h.stop(); });

async function start(opts: Partial<SimulatorOptions> = {}, setup?: (api: FakeApi) => Promise<void>): Promise<Harness> {
  const clock = new FakeClock();
  const api = new FakeApi({ clock });
  await setup?.(api);
  const sim = new Simulator(api.client, { nodes: 3, clock, random: () => 0.5, ...opts });
  const ac = new AbortController();
  const done = sim.run(ac.signal);
  await sim.registered;
  const h = { api, clock, sim, stop: async () => { ac.abort(); await done; } };
  running.push(h);
  return h;
}

const pod = (name: string, node: string, extra: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: node, containers: [{ name: 'app', image: 'nginx:1.27' }], ...extra },
  status: { phase: 'Pending', qosClass: 'BestEffort' },
});

const getPod = (api: FakeApi, name: string) => api.get<Pod>(PODS, 'default', name);
const cond = (p: Pod | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);

describe('node registration', () => {
  test('registers Ready nodes with labels, capacity, addresses and node info', async () => {
    const { api, sim } = await start({ cpu: '4', memory: '16Gi', pods: 50 });
    const nodes = api.list<Node>(NODES);
    assert.deepEqual(nodes.map((n) => n.metadata?.name), ['kite-sim-0', 'kite-sim-1', 'kite-sim-2']);
    const n = nodes[1];
    assert.deepEqual(n.metadata?.labels, {
      'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'kite-sim-1', 'kubernetes.io/os': 'linux', 'kite.dev/simulated': 'true',
    });
    assert.deepEqual(n.status?.capacity, { cpu: '4', memory: '16Gi', pods: '50', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' });
    assert.deepEqual(n.status?.allocatable, n.status?.capacity);
    assert.deepEqual(n.status?.conditions?.map((c) => [c.type, c.status, c.reason]), [
      ['NetworkUnavailable', 'False', 'RouteCreated'],
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
      ['Ready', 'True', 'KubeletReady'],
    ]);
    assert.equal(n.status?.conditions?.[4].message, 'kubelet is posting ready status');
    assert.deepEqual(n.status?.addresses, [{ type: 'InternalIP', address: '198.18.0.2' }, { type: 'Hostname', address: 'kite-sim-1' }]);
    assert.equal(n.status?.daemonEndpoints?.kubeletEndpoint?.Port, 10250);
    const info = n.status!.nodeInfo!;
    assert.equal(info.kubeletVersion, 'v1.32.0-kite');
    assert.equal(info.containerRuntimeVersion, 'kite-sim://0.1');
    assert.equal(info.architecture, 'amd64');
    assert.equal(info.operatingSystem, 'linux');
    assert.ok(info.osImage && info.kernelVersion);
    assert.equal(sim.stats().registered, 3);
  });

  test('takes over an existing node: labels refreshed, Ready again', async () => {
    const { api } = await start({ nodes: 1 }, async (api) => {
      await api.client.resource<Node>(NODES).create('', {
        metadata: { name: 'kite-sim-0', labels: { keep: 'me' } },
        status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] },
      });
    });
    const n = api.get<Node>(NODES, '', 'kite-sim-0')!;
    assert.equal(n.metadata?.labels?.keep, 'me');
    assert.equal(n.metadata?.labels?.['kite.dev/simulated'], 'true');
    assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  });
});

describe('leases and heartbeats', () => {
  test('each node renews its lease every 10s; status is re-posted only every 5 minutes', async () => {
    const { api, clock, sim } = await start();
    await eventually(() => api.list<Lease>(LEASES, 'kube-node-lease').length === 3, 'leases created');
    const lease = api.get<Lease>(LEASES, 'kube-node-lease', 'kite-sim-0')!;
    assert.equal(lease.spec?.holderIdentity, 'kite-sim-0');
    assert.equal(lease.spec?.leaseDurationSeconds, 40);
    const node = api.get<Node>(NODES, '', 'kite-sim-0')!;
    assert.deepEqual(lease.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'kite-sim-0', uid: node.metadata?.uid }]);
    const created = Date.parse(lease.spec!.renewTime!);

    // Renewals: walk time forward a second at a time until every lease was renewed twice.
    await eventually(() => { clock.advance(1000); return sim.stats().leaseRenewals >= 9; }, 'two renewals per node');
    const elapsed = clock.now() - created;
    assert.ok(elapsed >= 15_000 && elapsed <= 17_000, `renewals took ${elapsed}ms`);
    for (const l of api.list<Lease>(LEASES, 'kube-node-lease')) assert.ok(Date.parse(l.spec!.renewTime!) > created);
    assert.equal(sim.stats().statusPosts, 0);

    const heartbeat = () => api.get<Node>(NODES, '', 'kite-sim-0')!.status!.conditions!.find((c) => c.type === 'Ready')!;
    const first = heartbeat();
    await eventually(() => { clock.advance(10_000); return sim.stats().statusPosts === 3; }, 'status re-posted');
    const later = heartbeat();
    assert.ok(Date.parse(later.lastHeartbeatTime!) - Date.parse(first.lastHeartbeatTime!) >= 300_000);
    assert.equal(later.lastTransitionTime, first.lastTransitionTime);
  });

  test('a node marked Unknown by someone else is reported Ready again', async () => {
    const { api, clock } = await start({ nodes: 1 });
    clock.advance(60_000);
    await api.client.resource<Node>(NODES).patch('', 'kite-sim-0', 'merge', {
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }] },
    }, { subresource: 'status' });
    await eventually(() => api.get<Node>(NODES, '', 'kite-sim-0')?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True', 'Ready again');
    const ready = api.get<Node>(NODES, '', 'kite-sim-0')!.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(Date.parse(ready.lastTransitionTime!), Math.floor(clock.now() / 1000) * 1000);
  });

  test('stopping leaves nodes registered and stops renewals', async () => {
    const { api, clock, sim, stop } = await start();
    await eventually(() => sim.stats().leaseRenewals === 3, 'leases created');
    await stop();
    const renewals = sim.stats().leaseRenewals;
    clock.advance(60_000);
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(sim.stats().leaseRenewals, renewals);
    assert.equal(api.list(NODES).length, 3);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('pod lifecycle', () => {
  test('a pod bound to a simulated node runs with an address from the node', async () => {
    const { api } = await start();
    const pods = api.client.resource<Pod>(PODS);
    await pods.create('default', pod('web', 'kite-sim-1', { initContainers: [{ name: 'init', image: 'busybox' }] }));
    await pods.create('default', pod('web2', 'kite-sim-1', { restartPolicy: 'Never' }));
    await pods.create('default', pod('elsewhere', 'real-node'));
    await eventually(() => getPod(api, 'web')?.status?.phase === 'Running' && getPod(api, 'web2')?.status?.phase === 'Running', 'pods running');
    const p = getPod(api, 'web')!;
    const s = p.status!;
    assert.match(s.podIP!, /^10\.42\.1\.\d+$/);
    assert.deepEqual(s.podIPs, [{ ip: s.podIP }]);
    assert.notEqual(getPod(api, 'web2')!.status!.podIP, s.podIP);
    assert.equal(s.hostIP, '198.18.0.2');
    assert.deepEqual(s.hostIPs, [{ ip: '198.18.0.2' }]);
    assert.ok(s.startTime);
    assert.equal(s.qosClass, 'BestEffort');
    assert.deepEqual(s.conditions?.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'], ['Initialized', 'True'], ['Ready', 'True'], ['ContainersReady', 'True'], ['PodScheduled', 'True'],
    ]);
    const c = s.containerStatuses![0];
    assert.equal(c.name, 'app');
    assert.equal(c.image, 'nginx:1.27');
    assert.match(c.imageID, /^docker-pullable:\/\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(c.containerID!, /^kite-sim:\/\/[0-9a-f]{64}$/);
    assert.deepEqual([c.ready, c.started, c.restartCount], [true, true, 0]);
    assert.equal(c.state?.running?.startedAt, s.startTime);
    const init = s.initContainerStatuses![0];
    assert.deepEqual([init.state?.terminated?.reason, init.state?.terminated?.exitCode, init.ready], ['Completed', 0, true]);
    assert.equal(getPod(api, 'elsewhere')!.status!.phase, 'Pending');
  });

  test('pods use the podCIDR the node was given; host-network pods use the node address', async () => {
    const { api } = await start({ nodes: 1 }, async (api) => {
      await api.client.resource<Node>(NODES).create('', { metadata: { name: 'kite-sim-0' }, spec: { podCIDR: '10.244.7.0/24', podCIDRs: ['10.244.7.0/24'] } });
    });
    const pods = api.client.resource<Pod>(PODS);
    await pods.create('default', pod('a', 'kite-sim-0'));
    await pods.create('default', pod('h', 'kite-sim-0', { hostNetwork: true }));
    await eventually(() => getPod(api, 'a')?.status?.phase === 'Running' && getPod(api, 'h')?.status?.phase === 'Running', 'running');
    assert.match(getPod(api, 'a')!.status!.podIP!, /^10\.244\.7\.\d+$/);
    assert.equal(getPod(api, 'h')!.status!.podIP, '198.18.0.1');
  });

  test('Never and OnFailure pods succeed after --pod-complete-after; Always pods keep running', async () => {
    const { api, clock, sim } = await start({ podCompleteAfterMs: 5000 });
    const pods = api.client.resource<Pod>(PODS);
    await pods.create('default', pod('job', 'kite-sim-0', { restartPolicy: 'Never' }));
    await pods.create('default', pod('retry', 'kite-sim-0', { restartPolicy: 'OnFailure' }));
    await pods.create('default', pod('svc', 'kite-sim-0', { restartPolicy: 'Always' }));
    await eventually(() => ['job', 'retry', 'svc'].every((n) => getPod(api, n)?.status?.phase === 'Running'), 'running');
    assert.equal(sim.stats().pods, 3);
    clock.advance(4000);
    for (let i = 0; i < 10; i++) await tick();
    assert.equal(getPod(api, 'job')!.status!.phase, 'Running');
    clock.advance(1000);
    await eventually(() => getPod(api, 'job')?.status?.phase === 'Succeeded' && getPod(api, 'retry')?.status?.phase === 'Succeeded', 'succeeded');
    const s = getPod(api, 'job')!.status!;
    assert.deepEqual([cond(getPod(api, 'job'), 'Ready')?.status, cond(getPod(api, 'job'), 'Ready')?.reason], ['False', 'PodCompleted']);
    assert.equal(cond(getPod(api, 'job'), 'ContainersReady')?.reason, 'PodCompleted');
    assert.equal(cond(getPod(api, 'job'), 'Initialized')?.reason, 'PodCompleted');
    assert.equal(cond(getPod(api, 'job'), 'PodReadyToStartContainers')?.status, 'False');
    const t = s.containerStatuses![0].state!.terminated!;
    assert.deepEqual([t.reason, t.exitCode, s.containerStatuses![0].ready], ['Completed', 0, false]);
    assert.equal(Date.parse(t.finishedAt!) - Date.parse(t.startedAt!), 5000);
    assert.equal(getPod(api, 'svc')!.status!.phase, 'Running');
    await eventually(() => sim.stats().pods === 1, 'addresses of finished pods released');
  });

  test('a deleted pod is reported terminated, then removed with grace 0 and a uid precondition', async () => {
    const { api, sim } = await start();
    const pods = api.client.resource<Pod>(PODS);
    // A finalizer keeps the pod visible after its final deletion, so the status can be checked.
    const created = await pods.create('default', { ...pod('doomed', 'kite-sim-2'), metadata: { name: 'doomed', namespace: 'default', finalizers: ['test/hold'] } });
    await eventually(() => getPod(api, 'doomed')?.status?.phase === 'Running', 'running');
    await pods.delete('default', 'doomed');
    await eventually(() => api.requests.some((r) => r.verb === 'delete' && (r.body as { gracePeriodSeconds?: number }).gracePeriodSeconds === 0), 'final delete');
    const del = api.requests.find((r) => r.verb === 'delete' && (r.body as { gracePeriodSeconds?: number }).gracePeriodSeconds === 0)!;
    assert.deepEqual((del.body as { preconditions?: unknown }).preconditions, { uid: created.metadata?.uid });
    const p = getPod(api, 'doomed')!;
    assert.equal(p.status?.phase, 'Succeeded');
    assert.equal(p.status?.containerStatuses?.[0].state?.terminated?.reason, 'Completed');
    await eventually(() => sim.stats().pods === 0, 'address released');
  });
});
