// Builders for scheduler tests: pods, nodes and node infos with just the fields a case needs.
import type { ContainerImage, Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from './cache.js';
import { NodeInfo } from './nodeinfo.js';
import { newPodInfo, type PodInfo } from './podinfo.js';

export interface PodOpts {
  ns?: string;
  labels?: Record<string, string>;
  cpu?: string;
  memory?: string;
  priority?: number;
  spec?: Partial<PodSpec>;
  node?: string;
}

let seq = 0;

export function makePod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}-${++seq}`, labels: o.labels, creationTimestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString() },
    spec: { containers: [{ name: 'c', image: 'i', resources: { requests } }], priority: o.priority ?? 0, nodeName: o.node, ...o.spec },
  };
}

export const podInfo = (name: string, o: PodOpts = {}): PodInfo => {
  const p = makePod(name, o);
  return newPodInfo(p, p.spec?.priority ?? 0);
};

export interface NodeOpts { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; images?: ContainerImage[] }

export function makeNode(name: string, o: NodeOpts = {}): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: alloc, capacity: alloc, ...(o.images && { images: o.images }) },
  };
}

export function nodeInfo(name: string, o: NodeOpts = {}, pods: PodInfo[] = []): NodeInfo {
  const n = new NodeInfo(name, makeNode(name, o));
  for (const p of pods) n.addPod(p);
  return n;
}

/** A cache holding nodes and pods placed on them (pods keyed by node name). */
export function makeCache(nodes: Record<string, NodeOpts>, pods: Record<string, PodInfo[]> = {}, nsLabels: Record<string, Record<string, string>> = {}): SchedulerCache {
  const c = new SchedulerCache((ns) => nsLabels[ns]);
  for (const [name, o] of Object.entries(nodes)) c.setNode(makeNode(name, o));
  for (const [node, ps] of Object.entries(pods)) for (const p of ps) c.setPod(p, node);
  return c;
}
