// Node lifecycle: watches node heartbeats (the node's Lease in kube-node-lease and its
// Ready condition). A node silent for --node-monitor-grace-period gets its conditions set
// to Unknown; NoExecute taints follow the Ready condition (not-ready / unreachable), the
// NoSchedule taints follow conditions and spec.unschedulable (TaintNodesByCondition);
// pods on a not-ready node are marked not Ready, and pods that do not tolerate a node's
// NoExecute taints are deleted, at once or after their tolerationSeconds.
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { WorkQueue, byNodeName, isConflict, isNotFound, type GroupVersionResource } from '../../client/index.js';
import { noExecuteTolerationSeconds, sameTaint, TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE } from '../../api/helpers/taints.js';
import { isPodReady } from '../../api/helpers/pods.js';
import { deepEqual, rfc3339Now } from '../../machinery/meta.js';
import type { Controller, ControllerContext } from '../context.js';

const NODES: GroupVersionResource = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const LEASES: GroupVersionResource = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', namespaced: true };
const NODE_LEASE_NS = 'kube-node-lease';
const BY_NODE = 'nodeName';

/** Conditions the kubelet owns that go Unknown when it falls silent. */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** NoSchedule taints mirrored from conditions (upstream's TaintNodesByCondition). */
const CONDITION_TAINTS: [string, string, string][] = [
  ['Ready', 'False', TAINT_NOT_READY], ['Ready', 'Unknown', TAINT_UNREACHABLE],
  ['MemoryPressure', 'True', 'node.kubernetes.io/memory-pressure'], ['DiskPressure', 'True', 'node.kubernetes.io/disk-pressure'],
  ['PIDPressure', 'True', 'node.kubernetes.io/pid-pressure'], ['NetworkUnavailable', 'True', 'node.kubernetes.io/network-unavailable'],
];
const MANAGED_NO_SCHEDULE = new Set([...CONDITION_TAINTS.map((c) => c[2]), TAINT_UNSCHEDULABLE]);

const readyOf = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready');

/** The node's taints with the controller-managed ones set as its conditions and spec dictate. */
export function desiredTaints(node: Node, now: string): Taint[] {
  const conds = node.status?.conditions ?? [];
  const keep = (node.spec?.taints ?? []).filter((t) =>
    !(t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) &&
    !(t.effect === 'NoExecute' && (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE)));
  const want: Taint[] = [];
  for (const [type, status, key] of CONDITION_TAINTS) {
    if (conds.find((c) => c.type === type)?.status === status) want.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  const ready = readyOf(node)?.status;
  if (ready === 'False') want.push({ key: TAINT_NOT_READY, effect: 'NoExecute', timeAdded: now });
  if (ready === 'Unknown') want.push({ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: now });
  // A taint already present keeps its timeAdded.
  const old = node.spec?.taints ?? [];
  return [...keep, ...want.map((t) => old.find((o) => sameTaint(o, t)) ?? t)];
}

export function newNodeLifecycleController(ctx: ControllerContext): Controller {
  return {
    name: 'nodelifecycle',
    async run(signal) {
      const nodes = ctx.informers.informerFor<Node>(NODES);
      const pods = ctx.informers.informerFor<Pod>(PODS, { indexers: { [BY_NODE]: byNodeName } });
      const leases = ctx.informers.informerFor<Lease>(LEASES);
      const nodeClient = ctx.client.resource<Node>(NODES);
      const podClient = ctx.client.resource<Pod>(PODS);
      const recorder = ctx.recorder('node-controller');
      const evictions = ctx.recorder('taint-eviction-controller');
      const grace = ctx.options.nodeMonitorGracePeriodMs;
      const queue = new WorkQueue<string>({ name: 'nodelifecycle', clock: ctx.clock });
      // Last heartbeat seen per node and when (on this controller's clock) it changed.
      const health = new Map<string, { beat: string; at: number }>();

      // Nodes this controller has seen, for upstream's RegisteredNode / RemovingNode events.
      const known = new Set<string>();
      const nodeEvent = (n: Node, reason: string, what: string) => {
        const name = n.metadata!.name!;
        recorder.event({ kind: 'Node', apiVersion: 'v1', name, uid: n.metadata?.uid }, 'Normal', reason, `Node ${name} event: ${what}`);
      };
      nodes.addEventHandler({
        onAdd: (n) => queue.add(n.metadata!.name!),
        onUpdate: (_o, n) => queue.add(n.metadata!.name!),
        onDelete: (n) => {
          const name = n.metadata!.name!;
          health.delete(name);
          if (known.delete(name)) nodeEvent(n, 'RemovingNode', `Removing Node ${name} from Controller`);
        },
      });
      leases.addEventHandler({
        onAdd: (l) => { if (l.metadata?.namespace === NODE_LEASE_NS) queue.add(l.metadata.name!); },
        onUpdate: (_o, l) => { if (l.metadata?.namespace === NODE_LEASE_NS) queue.add(l.metadata.name!); },
      });
      const podEvent = (p: Pod) => { if (p.spec?.nodeName) queue.add(p.spec.nodeName); };
      pods.addEventHandler({ onAdd: podEvent, onUpdate: (_o, p) => podEvent(p) });
      if (!(await ctx.informers.waitForSync(signal))) return;

      const ticker = (async () => {
        while (await ctx.clock.sleep(ctx.options.nodeMonitorPeriodMs, signal)) for (const n of nodes.lister.list()) queue.add(n.metadata!.name!);
      })();

      /** Marks the node's kubelet conditions Unknown when its heartbeat is older than the grace period. */
      const checkHealth = async (node: Node): Promise<Node> => {
        const name = node.metadata!.name!;
        const ready = readyOf(node);
        const beat = `${ready?.lastHeartbeatTime ?? ''}|${leases.lister.get(NODE_LEASE_NS, name)?.spec?.renewTime ?? ''}`;
        const now = ctx.clock.now();
        const h = health.get(name);
        if (!h || h.beat !== beat) { health.set(name, { beat, at: now }); return node; }
        if (now - h.at <= grace || ready?.status === 'Unknown') return node;
        const stamp = rfc3339Now(now);
        const next = structuredClone(node) as Node;
        const conds: NodeCondition[] = next.status?.conditions ?? [];
        for (const type of KUBELET_CONDITIONS) {
          const c = conds.find((x) => x.type === type);
          if (!c) {
            conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: stamp, lastTransitionTime: stamp });
          } else if (c.status !== 'Unknown') {
            Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: stamp });
          }
        }
        Object.assign(next, { status: { ...next.status, conditions: conds } });
        const out = await nodeClient.updateStatus('', next);
        recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        return out;
      };

      const sync = async (name: string) => {
        let node = nodes.lister.get('', name);
        if (!node) return;
        if (!known.has(name)) {
          known.add(name);
          nodeEvent(node, 'RegisteredNode', `Registered Node ${name} in Controller`);
        }
        node = await checkHealth(node);
        const now = ctx.clock.now();
        const taints = desiredTaints(node, rfc3339Now(now));
        if (!deepEqual(taints, node.spec?.taints ?? [])) {
          const next = structuredClone(node) as Node;
          (next.spec ??= {}).taints = taints;
          if (!taints.length) delete next.spec.taints;
          node = await nodeClient.update('', next);
        }
        const onNode = pods.lister.byIndex(BY_NODE, name);
        if (readyOf(node)?.status !== 'True') {
          for (const p of onNode) {
            if (!isPodReady(p) || p.metadata?.deletionTimestamp) continue;
            const next = structuredClone(p) as Pod;
            for (const c of next.status?.conditions ?? []) {
              if (c.type === 'Ready') Object.assign(c, { status: 'False', lastTransitionTime: rfc3339Now(now) });
            }
            try {
              await podClient.updateStatus(p.metadata!.namespace!, next);
              recorder.event(p, 'Warning', 'NodeNotReady', 'Node is not ready');
            } catch (e) { if (!isNotFound(e) && !isConflict(e)) throw e; }
          }
        }
        // NoExecute taint eviction.
        const noExec = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
        if (!noExec.length) return;
        let wake: number | undefined;
        for (const p of onNode) {
          if (p.metadata?.deletionTimestamp) continue;
          const secs = noExecuteTolerationSeconds(p.spec?.tolerations, noExec);
          if (secs === undefined) continue;
          const since = Math.max(...noExec.map((t) => (t.timeAdded ? Date.parse(t.timeAdded) : now)));
          const due = since + secs * 1000;
          if (due > now) { wake = Math.min(wake ?? Infinity, due - now); continue; }
          evictions.event(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata!.namespace}/${p.metadata!.name}`);
          try { await podClient.delete(p.metadata!.namespace!, p.metadata!.name!); } catch (e) { if (!isNotFound(e)) throw e; }
        }
        return wake === undefined ? undefined : { requeueAfterMs: wake };
      };
      await queue.runWorkers(ctx.options.workers, sync, signal);
      await ticker;
    },
  };
}
