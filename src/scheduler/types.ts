// The scheduling framework's vocabulary: statuses, cycle state, the precomputed pod and
// node views plugins read, and the extension points a plugin may implement.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Labels } from '../machinery/labels.js';
import type { ImageStateSummary, NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';

export type { ImageStateSummary, NodeInfo } from './nodeinfo.js';
export type { PodInfo, AffinityTerm, WeightedAffinityTerm } from './podinfo.js';

export const MAX_NODE_SCORE = 100;

/**
 * Unschedulable: preemption might help. UnschedulableAndUnresolvable: it cannot.
 * Skip (PreFilter/PreScore only): the plugin has nothing to do for this pod.
 */
export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip';

/** A non-success outcome; success is `undefined` so the hot path allocates nothing. */
export interface Status {
  code: Code;
  reasons: string[];
  /** The plugin that produced it (filled by the framework). */
  plugin?: string;
}

export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: 'UnschedulableAndUnresolvable', reasons });
export const errorStatus = (reason: string): Status => ({ code: 'Error', reasons: [reason] });
/** Scales scores so the best node gets MAX_NODE_SCORE (all zero stays zero); reversed, the worst gets 0. */
export function defaultNormalize(scores: number[], reverse = false): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) scores[i] = reverse ? MAX_NODE_SCORE : 0;
    else {
      const s = Math.floor((scores[i] * MAX_NODE_SCORE) / max);
      scores[i] = reverse ? MAX_NODE_SCORE - s : s;
    }
  }
}

export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] }) as Status;

/** Per-cycle scratch space shared by a pod's plugins: PreFilter writes, Filter/Score read. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter (or PreScore) returned Skip. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  /** The filter plugins that run this cycle (set once PreFilter is done). */
  filters?: readonly FilterPlugin[];
  write(key: string, v: unknown): void { this.data.set(key, v); }
  read<T>(key: string): T | undefined { return this.data.get(key) as T | undefined; }
  /** Preemption simulates removals on copies; state that PreFilter extensions update must be copyable. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, typeof (v as { clone?: unknown })?.clone === 'function' ? (v as { clone(): unknown }).clone() : v);
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    c.filters = this.filters;
    return c;
  }
}

/** What the plugins see of the cluster for one cycle. */
export interface Snapshot {
  /** Every node with a Node object, in a stable order. */
  nodes(): readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** Nodes holding a pod with any (anti-)affinity term / with required anti-affinity. */
  nodesWithAffinityPods(): Iterable<NodeInfo>;
  nodesWithRequiredAntiAffinityPods(): Iterable<NodeInfo>;
  /** Every image name some node reports, with its size and how many nodes have it. */
  images(): ReadonlyMap<string, ImageStateSummary>;
  /** Labels of a namespace (for namespaceSelector), undefined when unknown. */
  namespaceLabels(ns: string): Labels;
}

export interface PreFilterResult {
  status?: Status;
  /** Only these nodes can fit (NodeName, NodeAffinity on metadata.name). */
  nodeNames?: Set<string>;
}

/** A cluster change a rejected pod may be waiting for (upstream's ClusterEvent, flattened). */
export type ClusterEvent =
  | 'NodeAdd' | 'NodeDelete' | 'NodeAllocatable' | 'NodeLabel' | 'NodeTaint' | 'NodeUnschedulable' | 'NodeCondition'
  | 'AssignedPodAdd' | 'AssignedPodUpdate' | 'AssignedPodDelete'
  | 'NamespaceChange' | 'PodSelfUpdate';

export interface Plugin {
  readonly name: string;
  /** Events that may make a pod this plugin rejected schedulable. */
  readonly events?: readonly ClusterEvent[];
}

export interface PreFilterPlugin extends Plugin {
  preFilter(state: CycleState, pod: PodInfo, snap: Snapshot): PreFilterResult | undefined;
  /** Keep PreFilter state right when preemption simulates adding/removing a pod on a node. */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface PostFilterResult {
  status?: Status;
  nominatedNodeName?: string;
}

export interface PostFilterPlugin extends Plugin {
  postFilter(state: CycleState, pod: PodInfo, statuses: Map<string, Status>, snap: Snapshot): Promise<PostFilterResult>;
}

export interface PreScorePlugin extends Plugin {
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot): Status | undefined;
}

export interface ScorePlugin extends Plugin {
  readonly weight: number;
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales raw scores (same order as nodes) into 0..MAX_NODE_SCORE in place. */
  normalize?(state: CycleState, pod: PodInfo, scores: number[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitPlugin extends Plugin {
  /** Resolves undefined to allow, a Status to reject; may wait (bounded by the plugin). */
  permit(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface PreBindPlugin extends Plugin {
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

export interface BindPlugin extends Plugin {
  /** Skip: let the next bind plugin do it. */
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined>;
}

/** Everything a profile runs, by extension point, in order. */
export interface Profile {
  schedulerName: string;
  queueSort: (a: { pod: PodInfo; timestamp: number }, b: { pod: PodInfo; timestamp: number }) => boolean;
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: ScorePlugin[];
  reserve: ReservePlugin[];
  permit: PermitPlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
}

export type { Node, Pod };
