// One profile's plugins run through the extension points: the synchronous part of a
// scheduling cycle (PreFilter, Filter over a sample of nodes, PreScore, Score,
// NormalizeScore, host selection) and the pieces the scheduler calls around it.
import { NodeInfo } from './nodeinfo.js';
import type { PodInfo } from './podinfo.js';
import { CycleState, unresolvable, type Profile, type Snapshot, type Status } from './types.js';

/** Upstream's floor on how many feasible nodes a cycle looks for, and the adaptive percentage's bounds. */
const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE = 5;
const DEFAULT_PERCENTAGE_BASE = 50;
const ADAPTIVE_NODES_PER_PERCENT = 125;

/** How many feasible nodes to look for among `all`: every node below 100, else a percentage (adaptive when 0). */
export function numFeasibleNodesToFind(all: number, percentage = 0): number {
  if (all < MIN_FEASIBLE_NODES_TO_FIND) return all;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, DEFAULT_PERCENTAGE_BASE - Math.trunc(all / ADAPTIVE_NODES_PER_PERCENT));
  if (pct >= 100) return all;
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.trunc((all * pct) / 100));
}

export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

/** A pod no node fits; `text` is what the PodScheduled condition and FailedScheduling event say. */
export class FitError extends Error {
  postFilterMsg = '';
  constructor(
    readonly numAllNodes: number,
    readonly statuses: Map<string, Status>,
    readonly unschedulablePlugins: Set<string>,
    readonly preFilterMsg = '',
  ) {
    super('no node fits the pod');
  }

  get text(): string {
    if (this.numAllNodes === 0) return NO_NODES_MESSAGE;
    let msg = `0/${this.numAllNodes} nodes are available:`;
    if (this.preFilterMsg) msg += ` ${this.preFilterMsg}.`;
    else {
      const hist = reasonHistogram(this.statuses.values());
      if (hist) msg += ` ${hist}.`;
    }
    if (this.postFilterMsg) msg += ` ${this.postFilterMsg}`;
    return msg;
  }
}

/** "1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu": count per reason, sorted as strings. */
export function reasonHistogram(statuses: Iterable<Status>): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts].map(([r, n]) => `${n} ${r}`).sort().join(', ');
}

export interface FrameworkOptions {
  /** 0 = adaptive (upstream default). */
  percentageOfNodesToScore?: number;
  /** Pods nominated to a node by preemption, which lower-or-equal-priority pods must leave room for. */
  nominatedPods?: (nodeName: string) => readonly PodInfo[];
  random?: () => number;
}

export interface ScheduleResult { nodeName: string; evaluatedNodes: number; feasibleNodes: number }

export class Framework {
  private nextStartNodeIndex = 0;
  private readonly random: () => number;

  constructor(readonly profile: Profile, private readonly opts: FrameworkOptions = {}) {
    this.random = opts.random ?? Math.random;
  }

  /** Filter plugins in order; the first failure wins. Nominated pods of at least this pod's priority count as placed. */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const nominated = this.opts.nominatedPods?.(node.name);
    if (nominated?.length) {
      const extra = nominated.filter((p) => p.priority >= pod.priority && p.uid !== pod.uid);
      if (extra.length) {
        const st = state.clone();
        const ni = node.clone();
        for (const p of extra) {
          ni.addPod(p);
          for (const pl of this.profile.preFilter) if (!st.skipFilter.has(pl.name)) pl.addPod?.(st, pod, p, ni);
        }
        const s = this.filterOnly(st, pod, ni);
        if (s) return s;
      }
    }
    return this.filterOnly(state, pod, node);
  }

  private filterOnly(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
    const filters = state.filters ?? this.profile.filter.filter((pl) => !state.skipFilter.has(pl.name));
    for (let i = 0; i < filters.length; i++) {
      const pl = filters[i];
      const s = pl.filter(state, pod, node);
      if (s) {
        s.plugin = pl.name;
        return s;
      }
    }
    return undefined;
  }

  /**
   * The synchronous cycle up to host selection. Throws FitError when no node fits (the
   * caller runs PostFilter), or Error on plugin errors.
   */
  schedule(state: CycleState, pod: PodInfo, snap: Snapshot): ScheduleResult {
    const all = snap.nodes();
    if (!all.length) throw new FitError(0, new Map(), new Set());
    let narrowed: Set<string> | undefined;
    const narrowers: string[] = [];
    for (const pl of this.profile.preFilter) {
      const r = pl.preFilter(state, pod, snap);
      if (!r) continue;
      if (r.status?.code === 'Skip') state.skipFilter.add(pl.name);
      else if (r.status) {
        if (r.status.code === 'Error') throw new Error(`running PreFilter plugin ${pl.name}: ${r.status.reasons.join(', ')}`);
        const statuses = new Map<string, Status>();
        for (const n of all) statuses.set(n.name, { ...r.status, plugin: pl.name });
        throw new FitError(all.length, statuses, new Set([pl.name]), r.status.reasons.join(', '));
      }
      if (r.nodeNames) narrowers.push(pl.name);
      if (r.nodeNames) narrowed = narrowed ? new Set([...narrowed].filter((n) => r.nodeNames!.has(n))) : new Set(r.nodeNames);
    }

    state.filters = this.profile.filter.filter((pl) => !state.skipFilter.has(pl.name));
    const statuses = new Map<string, Status>();
    const feasible: NodeInfo[] = [];
    let evaluated = 0;
    // A node nominated by an earlier preemption is tried first.
    const nominated = pod.pod.status?.nominatedNodeName;
    const nomInfo = nominated ? snap.get(nominated) : undefined;
    if (nomInfo && (!narrowed || narrowed.has(nomInfo.name)) && !this.runFilters(state, pod, nomInfo)) {
      feasible.push(nomInfo);
      evaluated = 1;
    } else {
      const candidates = narrowed ? [...narrowed].map((n) => snap.get(n)).filter((n): n is NodeInfo => !!n) : all;
      const want = numFeasibleNodesToFind(candidates.length, this.opts.percentageOfNodesToScore);
      const len = candidates.length;
      const start = narrowed ? 0 : this.nextStartNodeIndex % Math.max(1, len);
      for (let i = 0; i < len; i++) {
        const node = candidates[(start + i) % len];
        evaluated++;
        const s = this.runFilters(state, pod, node);
        if (!s) {
          feasible.push(node);
          if (feasible.length >= want) break;
        } else if (s.code === 'Error') throw new Error(`running Filter plugin ${s.plugin}: ${s.reasons.join(', ')}`);
        else statuses.set(node.name, s);
      }
      if (!narrowed) this.nextStartNodeIndex = (start + evaluated) % Math.max(1, len);
      if (narrowed && candidates.length < all.length) {
        const absent = unresolvable(`node(s) didn't satisfy plugin(s) [${narrowers.join(', ')}]`);
        for (const n of all) if (!statuses.has(n.name) && !feasible.includes(n)) statuses.set(n.name, absent);
      }
    }
    if (!feasible.length) {
      const plugins = new Set<string>();
      for (const s of statuses.values()) if (s.plugin) plugins.add(s.plugin);
      throw new FitError(all.length, statuses, plugins);
    }
    if (feasible.length === 1) return { nodeName: feasible[0].name, evaluatedNodes: evaluated, feasibleNodes: 1 };
    const scores = this.prioritize(state, pod, feasible, snap);
    return { nodeName: this.selectHost(feasible, scores), evaluatedNodes: evaluated, feasibleNodes: feasible.length };
  }

  /** Weighted sum of normalized plugin scores, per node. */
  prioritize(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot): number[] {
    for (const pl of this.profile.preScore) {
      const s = pl.preScore(state, pod, nodes, snap);
      if (s?.code === 'Skip') state.skipScore.add(pl.name);
      else if (s) throw new Error(`running PreScore plugin ${pl.name}: ${s.reasons.join(', ')}`);
    }
    const total = new Array<number>(nodes.length).fill(0);
    const one = new Array<number>(nodes.length);
    for (const pl of this.profile.score) {
      if (state.skipScore.has(pl.name)) continue;
      for (let i = 0; i < nodes.length; i++) one[i] = pl.score(state, pod, nodes[i]);
      pl.normalize?.(state, pod, one);
      for (let i = 0; i < nodes.length; i++) total[i] += one[i] * pl.weight;
    }
    return total;
  }

  /** The best score; ties broken uniformly at random. */
  selectHost(nodes: readonly NodeInfo[], scores: readonly number[]): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (scores[i] > scores[best]) { best = i; ties = 1; }
      else if (scores[i] === scores[best] && this.random() * ++ties < 1) best = i;
    }
    return nodes[best].name;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status | undefined {
    for (const pl of this.profile.reserve) {
      const s = pl.reserve(state, pod, nodeName);
      if (s) {
        s.plugin = pl.name;
        this.runUnreserve(state, pod, nodeName);
        return s;
      }
    }
    return undefined;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const pl of [...this.profile.reserve].reverse()) pl.unreserve(state, pod, nodeName);
  }

  /** Permit, PreBind and Bind in order; the first non-success ends it. */
  async runBindingCycle(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    for (const pl of this.profile.permit) {
      const s = await pl.permit(state, pod, nodeName);
      if (s) return { ...s, plugin: pl.name };
    }
    for (const pl of this.profile.preBind) {
      const s = await pl.preBind(state, pod, nodeName);
      if (s) return { ...s, plugin: pl.name };
    }
    for (const pl of this.profile.bind) {
      const s = await pl.bind(state, pod, nodeName);
      if (s?.code === 'Skip') continue;
      return s ? { ...s, plugin: pl.name } : undefined;
    }
    return { code: 'Error', reasons: ['no bind plugin bound the pod'] };
  }
}

export { CycleState };
