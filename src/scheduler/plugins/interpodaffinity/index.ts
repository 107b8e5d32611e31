// InterPodAffinity: required pod affinity / anti-affinity of the incoming pod and the
// required anti-affinity of pods already placed (filter), preferred terms of both sides
// (score). Counts are per topology pair (topologyKey=value) and computed once per cycle
// at PreFilter / PreScore; preemption keeps them right through addPod/removePod.
import {
  MAX_NODE_SCORE, SKIP, unresolvable, unschedulable,
  type CycleState, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin, type Snapshot,
} from '../../types.js';
import { termMatches, type AffinityTerm } from '../../podinfo.js';
import type { Labels } from '../../../machinery/labels.js';

export const NAME = 'InterPodAffinity';
export const AFFINITY_REASON = "node(s) didn't match pod affinity rules";
export const ANTI_AFFINITY_REASON = "node(s) didn't match pod anti-affinity rules";
export const EXISTING_ANTI_AFFINITY_REASON = "node(s) didn't satisfy existing pods anti-affinity rules";
const FILTER_KEY = `${NAME}/filter`;
const SCORE_KEY = `${NAME}/score`;
/** Weight of an existing pod's required affinity term when scoring (upstream's hardPodAffinityWeight default). */
const HARD_POD_AFFINITY_WEIGHT = 1;

const pair = (k: string, v: string) => `${k}\u0000${v}`;

class Counts {
  constructor(readonly m = new Map<string, number>()) {}
  inc(key: string, by: number): void {
    const n = (this.m.get(key) ?? 0) + by;
    if (n) this.m.set(key, n); else this.m.delete(key);
  }
  get(key: string): number { return this.m.get(key) ?? 0; }
  clone(): Counts { return new Counts(new Map(this.m)); }
}

class FilterState {
  constructor(
    readonly nsLabels: (ns: string) => Labels,
    readonly existingAnti = new Counts(),
    readonly affinity = new Counts(),
    readonly anti = new Counts(),
  ) {}
  clone(): FilterState { return new FilterState(this.nsLabels, this.existingAnti.clone(), this.affinity.clone(), this.anti.clone()); }
}

/** Folds `existing` (on `node`) into the counts that concern `pod`, with sign +1 or -1. */
function account(st: FilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, sign: 1 | -1): void {
  const labels = node.labels ?? {};
  const podNs = st.nsLabels(pod.namespace);
  for (const t of existing.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, pod, podNs)) st.existingAnti.inc(pair(t.topologyKey, v), sign);
  }
  if (!pod.requiredAffinity.length && !pod.requiredAntiAffinity.length) return;
  const exNs = st.nsLabels(existing.namespace);
  if (pod.requiredAffinity.length && pod.requiredAffinity.every((t) => termMatches(t, existing, exNs))) {
    for (const t of pod.requiredAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined) st.affinity.inc(pair(t.topologyKey, v), sign);
    }
  }
  for (const t of pod.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, existing, exNs)) st.anti.inc(pair(t.topologyKey, v), sign);
  }
}

function satisfiesAffinity(st: FilterState, pod: PodInfo, node: NodeInfo): boolean {
  const labels = node.labels ?? {};
  let podsExist = true;
  for (const t of pod.requiredAffinity) {
    const v = labels[t.topologyKey];
    if (v === undefined) return false;
    if (st.affinity.get(pair(t.topologyKey, v)) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group that selects itself may go anywhere its terms' keys exist.
  return st.affinity.m.size === 0 && pod.requiredAffinity.every((t) => termMatches(t, pod, st.nsLabels(pod.namespace)));
}

interface ScoreState { byKey: Map<string, Map<string, number>> }

function addScore(byKey: Map<string, Map<string, number>>, t: AffinityTerm, node: NodeInfo, w: number): void {
  const v = node.labels?.[t.topologyKey];
  if (v === undefined || !w) return;
  let m = byKey.get(t.topologyKey);
  if (!m) byKey.set(t.topologyKey, (m = new Map()));
  m.set(v, (m.get(v) ?? 0) + w);
}

export function interPodAffinity(weight = 2): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    weight,
    events: ['AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NodeAdd', 'NodeLabel', 'NamespaceChange'],
    preFilter(state: CycleState, pod: PodInfo, snap: Snapshot) {
      const st = new FilterState((ns) => snap.namespaceLabels(ns));
      const own = pod.requiredAffinity.length || pod.requiredAntiAffinity.length;
      const sources: Iterable<NodeInfo> = own ? snap.nodes() : snap.nodesWithRequiredAntiAffinityPods();
      for (const node of sources) {
        if (!node.node) continue;
        for (const p of node.pods.values()) {
          if (own || p.requiredAntiAffinity.length) account(st, pod, p, node, 1);
        }
      }
      if (!own && st.existingAnti.m.size === 0) return { status: SKIP };
      state.write(FILTER_KEY, st);
      return undefined;
    },
    addPod(state, pod, added, node) { const st = state.read<FilterState>(FILTER_KEY); if (st) account(st, pod, added, node, 1); },
    removePod(state, pod, removed, node) { const st = state.read<FilterState>(FILTER_KEY); if (st) account(st, pod, removed, node, -1); },
    filter(state, pod, node) {
      const st = state.read<FilterState>(FILTER_KEY);
      if (!st) return undefined;
      if (pod.requiredAffinity.length && !satisfiesAffinity(st, pod, node)) return unresolvable(AFFINITY_REASON);
      const labels = node.labels ?? {};
      for (const t of pod.requiredAntiAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined && st.anti.get(pair(t.topologyKey, v)) > 0) return unschedulable(ANTI_AFFINITY_REASON);
      }
      if (st.existingAnti.m.size) {
        for (const k in labels) if (st.existingAnti.get(pair(k, labels[k])) > 0) return unschedulable(EXISTING_ANTI_AFFINITY_REASON);
      }
      return undefined;
    },
    preScore(state, pod, _nodes, snap) {
      const own = pod.preferredAffinity.length || pod.preferredAntiAffinity.length;
      const byKey = new Map<string, Map<string, number>>();
      const podNs = snap.namespaceLabels(pod.namespace);
      for (const node of own ? snap.nodes() : snap.nodesWithAffinityPods()) {
        if (!node.node) continue;
        for (const p of node.pods.values()) {
          if (own) {
            const ns = snap.namespaceLabels(p.namespace);
            for (const t of pod.preferredAffinity) if (termMatches(t, p, ns)) addScore(byKey, t, node, t.weight);
            for (const t of pod.preferredAntiAffinity) if (termMatches(t, p, ns)) addScore(byKey, t, node, -t.weight);
          }
          for (const t of p.requiredAffinity) if (termMatches(t, pod, podNs)) addScore(byKey, t, node, HARD_POD_AFFINITY_WEIGHT);
          for (const t of p.preferredAffinity) if (termMatches(t, pod, podNs)) addScore(byKey, t, node, t.weight);
          for (const t of p.preferredAntiAffinity) if (termMatches(t, pod, podNs)) addScore(byKey, t, node, -t.weight);
        }
      }
      if (!byKey.size) return SKIP;
      state.write(SCORE_KEY, { byKey } satisfies ScoreState);
      return undefined;
    },
    score(state, _pod, node) {
      const st = state.read<ScoreState>(SCORE_KEY);
      let s = 0;
      if (st) for (const [k, m] of st.byKey) { const v = node.labels?.[k]; if (v !== undefined) s += m.get(v) ?? 0; }
      return s;
    },
    normalize(_s, _p, scores) {
      let min = Infinity, max = -Infinity;
      for (const s of scores) { if (s < min) min = s; if (s > max) max = s; }
      for (let i = 0; i < scores.length; i++) scores[i] = max > min ? Math.floor((MAX_NODE_SCORE * (scores[i] - min)) / (max - min)) : 0;
    },
  };
}
