// PodTopologySpread: DoNotSchedule constraints bound the skew of matching pods across
// topology domains (filter); ScheduleAnyway constraints, or the system defaults for pods
// that set none but belong to a service or workload, prefer less crowded domains (score).
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { firstUntoleratedTaint, podMatchesNodeSelectorAndAffinity } from '../../../api/helpers/scheduling.js';
import { selectorFromLabelSelector, type Selector } from '../../../machinery/labels.js';
import {
  MAX_NODE_SCORE, SKIP, unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin,
} from '../../types.js';

export const NAME = 'PodTopologySpread';
export const REASON = "node(s) didn't match pod topology spread constraints";
export const MISSING_LABEL_REASON = "node(s) didn't match pod topology spread constraints (missing required label)";
const HOSTNAME = 'kubernetes.io/hostname';
const FILTER_KEY = `${NAME}/filter`;
const SCORE_KEY = `${NAME}/score`;

/** Upstream's system default constraints, used when a pod sets none. */
export const SYSTEM_DEFAULTS: readonly TopologySpreadConstraint[] = [
  { topologyKey: HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3, labelSelector: undefined },
  { topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5, labelSelector: undefined },
];

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

function parse(pod: Pod, cs: readonly TopologySpreadConstraint[], selector?: Selector): Constraint[] {
  const labels = pod.metadata?.labels ?? {};
  return cs.map((c) => {
    let sel = selector;
    if (!sel) {
      const extra = (c.matchLabelKeys ?? []).filter((k) => k in labels).map((k) => ({ key: k, operator: 'In', values: [labels[k]] }));
      sel = selectorFromLabelSelector(c.labelSelector && extra.length ? { ...c.labelSelector, matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra] } : c.labelSelector ?? null);
    }
    return {
      maxSkew: c.maxSkew, topologyKey: c.topologyKey, selector: sel, minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor', honorTaints: c.nodeTaintsPolicy === 'Honor',
    };
  });
}

function eligible(pod: PodInfo, node: NodeInfo, c: Constraint): boolean {
  if (!node.node) return false;
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod.pod.spec ?? { containers: [] }, node.node)) return false;
  if (c.honorTaints && firstUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

function countMatching(pod: PodInfo, node: NodeInfo, sel: Selector): number {
  let n = 0;
  for (const p of node.pods.values()) if (p.namespace === pod.namespace && !p.pod.metadata?.deletionTimestamp && sel.matches(p.labels)) n++;
  return n;
}

const hasAllKeys = (node: NodeInfo, cs: Constraint[]) => cs.every((c) => node.labels?.[c.topologyKey] !== undefined);

class FilterState {
  constructor(readonly cs: Constraint[], readonly domains: Map<string, number>[], readonly mins: number[]) {}
  clone(): FilterState { return new FilterState(this.cs, this.domains.map((d) => new Map(d)), [...this.mins]); }
  recomputeMin(i: number): void {
    let m = Infinity;
    for (const v of this.domains[i].values()) if (v < m) m = v;
    this.mins[i] = this.domains[i].size < this.cs[i].minDomains || m === Infinity ? 0 : m;
  }
  update(pod: PodInfo, other: PodInfo, node: NodeInfo, sign: 1 | -1): void {
    if (other.namespace !== pod.namespace || !hasAllKeys(node, this.cs)) return;
    this.cs.forEach((c, i) => {
      if (!eligible(pod, node, c) || !c.selector.matches(other.labels)) return;
      const v = node.labels![c.topologyKey];
      this.domains[i].set(v, (this.domains[i].get(v) ?? 0) + sign);
      this.recomputeMin(i);
    });
  }
}

interface ScoreState { cs: Constraint[]; counts: Map<string, number>[]; weights: number[]; requireAll: boolean }

/** defaultSelector: the selector of the services and workloads the pod belongs to (for system defaults), if any. */
export function podTopologySpread(defaultSelector: (pod: Pod) => Selector | undefined = () => undefined, weight = 2): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    weight,
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeDelete', 'NodeLabel', 'NodeTaint'],
    preFilter(state: CycleState, pod, snap) {
      const hard = (pod.pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === 'DoNotSchedule');
      if (!hard.length) return { status: SKIP };
      const cs = parse(pod.pod, hard);
      const domains = cs.map(() => new Map<string, number>());
      for (const node of snap.nodes()) {
        if (!hasAllKeys(node, cs)) continue;
        cs.forEach((c, i) => {
          if (!eligible(pod, node, c)) return;
          const v = node.labels![c.topologyKey];
          domains[i].set(v, (domains[i].get(v) ?? 0) + countMatching(pod, node, c.selector));
        });
      }
      const st = new FilterState(cs, domains, cs.map(() => 0));
      cs.forEach((_, i) => st.recomputeMin(i));
      state.write(FILTER_KEY, st);
      return undefined;
    },
    addPod(state, pod, added, node) { state.read<FilterState>(FILTER_KEY)?.update(pod, added, node, 1); },
    removePod(state, pod, removed, node) { state.read<FilterState>(FILTER_KEY)?.update(pod, removed, node, -1); },
    filter(state, pod, node) {
      const st = state.read<FilterState>(FILTER_KEY);
      if (!st) return undefined;
      for (let i = 0; i < st.cs.length; i++) {
        const c = st.cs[i];
        const v = node.labels?.[c.topologyKey];
        if (v === undefined) return unresolvable(MISSING_LABEL_REASON);
        const self = c.selector.matches(pod.labels) ? 1 : 0;
        if ((st.domains[i].get(v) ?? 0) + self - st.mins[i] > c.maxSkew) return unschedulable(REASON);
      }
      return undefined;
    },
    preScore(state, pod, nodes, snap) {
      const all = pod.pod.spec?.topologySpreadConstraints ?? [];
      let cs: Constraint[];
      if (all.length) cs = parse(pod.pod, all.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway'));
      else {
        const sel = defaultSelector(pod.pod);
        cs = sel && !sel.empty ? parse(pod.pod, SYSTEM_DEFAULTS, sel) : [];
      }
      if (!cs.length) return SKIP;
      const requireAll = all.length > 0;
      const counts = cs.map(() => new Map<string, number>());
      const filtered = new Set(nodes);
      const seen = cs.map(() => new Set<string>());
      for (const node of snap.nodes()) {
        if (requireAll && !hasAllKeys(node, cs)) continue;
        cs.forEach((c, i) => {
          const v = node.labels?.[c.topologyKey];
          // Hostname domains count only the nodes that passed filtering.
          if (v === undefined || (c.topologyKey === HOSTNAME && !filtered.has(node)) || !eligible(pod, node, c)) return;
          seen[i].add(v);
          counts[i].set(v, (counts[i].get(v) ?? 0) + countMatching(pod, node, c.selector));
        });
      }
      state.write(SCORE_KEY, { cs, counts, weights: seen.map((s) => Math.log(s.size + 2)), requireAll } satisfies ScoreState);
      return undefined;
    },
    score(state, _pod, node) {
      const st = state.read<ScoreState>(SCORE_KEY)!;
      let s = 0;
      let any = false;
      for (let i = 0; i < st.cs.length; i++) {
        const v = node.labels?.[st.cs[i].topologyKey];
        if (v === undefined) { if (st.requireAll) return -1; continue; }
        any = true;
        s += (st.counts[i].get(v) ?? 0) * st.weights[i] + (st.cs[i].maxSkew - 1);
      }
      return any ? Math.round(s) : -1;
    },
    // -1 marks nodes without the topology labels: they score 0. Fewer matching pods score higher.
    normalize(_s, _p, scores) {
      let min = Infinity, max = 0;
      for (const s of scores) if (s >= 0) { if (s < min) min = s; if (s > max) max = s; }
      for (let i = 0; i < scores.length; i++) {
        const s = scores[i];
        scores[i] = s < 0 ? 0 : max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max + min - s)) / max);
      }
    },
  };
}
