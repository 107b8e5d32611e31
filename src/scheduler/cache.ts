// The scheduler's view of nodes and the pods on them, including ASSUMED pods: a pod
// counts on its chosen node from the moment it is picked, before the binding is written,
// and is confirmed when the informer shows it bound (or forgotten if binding fails).
//
// The cache is also the cycle's snapshot. A scheduling cycle (PreFilter through
// Reserve) runs synchronously, so no informer event can change the cache mid-cycle; the
// node list is rebuilt only when nodes come or go. NodeInfos are updated in place as
// pods change, which keeps per-cycle work proportional to the nodes sampled.
import type { ContainerImage, Node } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../machinery/labels.js';
import { NO_IMAGES, NodeInfo, type ImageStateSummary } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';
import type { Snapshot } from './types.js';

interface PodState { info: PodInfo; node: string; assumed: boolean }

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  private list: NodeInfo[] = [];
  private listDirty = false;
  private readonly podStates = new Map<string, PodState>();
  private readonly withAffinity = new Set<NodeInfo>();
  private readonly withAntiAffinity = new Set<NodeInfo>();
  /** Image name -> size and node count, over nodes with a Node object (upstream's cache imageStates). */
  private readonly imageStates = new Map<string, ImageStateSummary>();

  constructor(private readonly nsLabels: (ns: string) => Labels = () => undefined) {}

  // --- Snapshot ---
  nodes(): readonly NodeInfo[] {
    if (this.listDirty) {
      this.list = [...this.infos.values()].filter((n) => n.node);
      this.listDirty = false;
    }
    return this.list;
  }
  get(name: string): NodeInfo | undefined {
    const n = this.infos.get(name);
    return n?.node ? n : undefined;
  }
  nodesWithAffinityPods(): Iterable<NodeInfo> { return this.withAffinity; }
  nodesWithRequiredAntiAffinityPods(): Iterable<NodeInfo> { return this.withAntiAffinity; }
  namespaceLabels(ns: string): Labels { return this.nsLabels(ns); }
  images(): ReadonlyMap<string, ImageStateSummary> { return this.imageStates; }

  // --- nodes ---
  /** Adds or updates a node; returns the previous Node object. */
  setNode(node: Node): Node | undefined {
    const name = node.metadata?.name ?? '';
    let info = this.infos.get(name);
    const old = info?.node;
    if (!info) this.infos.set(name, (info = new NodeInfo(name, node)));
    else info.setNode(node);
    // Nodes without images (the usual simulated node) cost two length checks here.
    if (info.images.size) this.untrackImages(info);
    const imgs = node.status?.images;
    if (imgs?.length) this.trackImages(info, imgs);
    if (!old) this.listDirty = true;
    return old;
  }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    if (info.images.size) this.untrackImages(info);
    // Pods still bound to a vanished node keep their accounting until they go too.
    if (info.pods.size) info.node = undefined;
    else this.dropInfo(name, info);
    this.listDirty = true;
  }

  /** Counts the node once per distinct name it lists; the first listing of a name gives its size. */
  private trackImages(info: NodeInfo, imgs: readonly ContainerImage[]): void {
    const own = new Map<string, ImageStateSummary>();
    for (const img of imgs) {
      for (const name of img.names ?? []) {
        if (own.has(name)) continue;
        let st = this.imageStates.get(name);
        if (!st) this.imageStates.set(name, (st = { size: img.sizeBytes ?? 0, numNodes: 0 }));
        st.numNodes++;
        own.set(name, st);
      }
    }
    if (own.size) info.images = own;
  }

  /** Undoes trackImages for the node's current names; names no node has any more are forgotten. */
  private untrackImages(info: NodeInfo): void {
    for (const [name, st] of info.images) {
      if (--st.numNodes <= 0 && this.imageStates.get(name) === st) this.imageStates.delete(name);
    }
    info.images = NO_IMAGES;
  }

  private dropInfo(name: string, info: NodeInfo): void {
    this.infos.delete(name);
    this.withAffinity.delete(info);
    this.withAntiAffinity.delete(info);
  }

  // --- pods ---
  private place(p: PodInfo, nodeName: string): void {
    let info = this.infos.get(nodeName);
    if (!info) this.infos.set(nodeName, (info = new NodeInfo(nodeName)));
    info.addPod(p);
    this.track(info);
  }

  private unplace(key: string, nodeName: string): void {
    const info = this.infos.get(nodeName);
    if (!info?.removePod(key)) return;
    this.track(info);
    if (!info.node && !info.pods.size) this.dropInfo(nodeName, info);
  }

  private track(info: NodeInfo): void {
    if (info.podsWithAffinity > 0) this.withAffinity.add(info); else this.withAffinity.delete(info);
    if (info.podsWithRequiredAntiAffinity > 0) this.withAntiAffinity.add(info); else this.withAntiAffinity.delete(info);
  }

  /** A pod chosen for nodeName counts there right away. */
  assumePod(p: PodInfo, nodeName: string): void {
    if (this.podStates.has(p.key)) throw new Error(`pod ${p.key} is already in the cache`);
    this.place(p, nodeName);
    this.podStates.set(p.key, { info: p, node: nodeName, assumed: true });
  }

  /** Binding failed: the assumed pod no longer counts. */
  forgetPod(key: string): void {
    const st = this.podStates.get(key);
    if (!st?.assumed) return;
    this.unplace(key, st.node);
    this.podStates.delete(key);
  }

  isAssumed(key: string): boolean { return !!this.podStates.get(key)?.assumed; }
  has(key: string): boolean { return this.podStates.has(key); }

  /** A bound pod as the informer shows it: confirms an assumed pod or adds/updates a known one. */
  setPod(p: PodInfo, nodeName: string): void {
    const st = this.podStates.get(p.key);
    if (st) this.unplace(p.key, st.node);
    this.place(p, nodeName);
    this.podStates.set(p.key, { info: p, node: nodeName, assumed: false });
  }

  removePod(key: string): void {
    const st = this.podStates.get(key);
    if (!st) return;
    this.unplace(key, st.node);
    this.podStates.delete(key);
  }

  get podCount(): number { return this.podStates.size; }
  get nodeCount(): number { return this.nodes().length; }
}
