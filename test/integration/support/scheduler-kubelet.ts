// A stand-in for kubelets in scheduler tests: registers Node objects with capacity,
// labels and taints, and finishes the graceful deletion of pods bound to those nodes
// (what a kubelet does once containers stop), so preemption can complete.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Client } from '../../../src/client/index.js';

const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };

export interface FakeNodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  unschedulable?: boolean;
}

export async function registerNode(client: Client, n: FakeNodeSpec): Promise<void> {
  const nodes = client.resource<Node>(NODES);
  const capacity = { cpu: n.cpu ?? '8', memory: n.memory ?? '32Gi', pods: n.pods ?? '110' };
  await nodes.create('', {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', ...n.labels } },
    spec: { taints: n.taints, unschedulable: n.unschedulable },
  });
  await nodes.patch('', n.name, 'merge', {
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] },
  }, { subresource: 'status' });
}

/** Until the signal aborts: pods on our nodes that are being deleted are removed at once. */
export async function finishDeletions(client: Client, signal: AbortSignal): Promise<void> {
  const pods = client.resource<Pod>(PODS);
  const list = await pods.list('');
  const finish = (p: Pod) => {
    if (p.metadata?.deletionTimestamp && p.spec?.nodeName) {
      void pods.delete(p.metadata.namespace ?? '', p.metadata.name ?? '', { gracePeriodSeconds: 0 }).catch(() => undefined);
    }
  };
  list.items.forEach(finish);
  try {
    for await (const ev of pods.watch('', { resourceVersion: list.metadata.resourceVersion, signal })) {
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED') finish(ev.object);
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}
