// A node with its pods and the aggregates plugins read (requested resources, used host
// ports, pods with affinity terms), kept up to date incrementally as pods come and go.
import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { resourceList, type ResourceAmounts } from '../api/helpers/scheduling.js';
import type { Labels } from '../machinery/labels.js';
import { hasAffinityTerms, type PodInfo } from './podinfo.js';

const NO_TAINTS: readonly Taint[] = Object.freeze([]);
export const NO_IMAGES: ReadonlyMap<string, ImageStateSummary> = new Map();

/**
 * One image name as the cache knows it cluster-wide. Shared by every NodeInfo listing the
 * name and updated in place by the cache, so numNodes is always current.
 */
export interface ImageStateSummary {
  /** Bytes, from the first node that reported the name while no node had it. */
  readonly size: number;
  /** Nodes (with a Node object) whose status.images lists the name. */
  numNodes: number;
}

export class NodeInfo {
  node?: Node;
  name: string;
  labels: Labels = {};
  taints: readonly Taint[] = NO_TAINTS;
  unschedulable = false;
  allocatable: ResourceAmounts = {};
  readonly pods = new Map<string, PodInfo>();
  /** Sum of pod requests by resource. */
  requested: ResourceAmounts = {};
  nonZeroCpu = 0;
  nonZeroMemory = 0;
  /** `${protocol}/${port}` -> host IP -> number of pods using it. */
  usedPorts = new Map<string, Map<string, number>>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** Image name (each of status.images[].names) -> its cluster-wide state; kept by the cache. */
  images: ReadonlyMap<string, ImageStateSummary> = NO_IMAGES;

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? NO_TAINTS;
    this.unschedulable = !!node.spec?.unschedulable;
    this.allocatable = resourceList((node.status?.allocatable ?? node.status?.capacity) as Record<string, unknown> | undefined);
  }

  addPod(p: PodInfo): void {
    this.account(p, 1);
    this.pods.set(p.key, p);
  }

  /** Returns whether the pod was there. */
  removePod(key: string): boolean {
    const p = this.pods.get(key);
    if (!p) return false;
    this.pods.delete(key);
    this.account(p, -1);
    return true;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    for (const k in p.requests) this.requested[k] = (this.requested[k] ?? 0) + sign * p.requests[k];
    this.nonZeroCpu += sign * p.nonZeroCpu;
    this.nonZeroMemory += sign * p.nonZeroMemory;
    for (const hp of p.hostPorts) {
      const k = `${hp.protocol}/${hp.port}`;
      let ips = this.usedPorts.get(k);
      if (!ips) this.usedPorts.set(k, (ips = new Map()));
      const n = (ips.get(hp.ip) ?? 0) + sign;
      if (n > 0) ips.set(hp.ip, n);
      else ips.delete(hp.ip);
      if (!ips.size) this.usedPorts.delete(k);
    }
    if (hasAffinityTerms(p)) this.podsWithAffinity += sign;
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity += sign;
  }

  /** A copy whose pod set and aggregates can change without touching this one (for preemption). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.labels = this.labels;
    c.taints = this.taints;
    c.unschedulable = this.unschedulable;
    c.allocatable = this.allocatable;
    for (const [k, p] of this.pods) c.pods.set(k, p);
    c.requested = { ...this.requested };
    c.nonZeroCpu = this.nonZeroCpu;
    c.nonZeroMemory = this.nonZeroMemory;
    for (const [k, ips] of this.usedPorts) c.usedPorts.set(k, new Map(ips));
    c.podsWithAffinity = this.podsWithAffinity;
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    c.images = this.images;
    return c;
  }
}
