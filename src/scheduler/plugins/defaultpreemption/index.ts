// DefaultPreemption (PostFilter): when no node fits, find a node where evicting
// lower-priority pods makes the pod fit, preferring candidates that violate fewer
// PodDisruptionBudgets, then lower and fewer victims; nominate that node for the pod and
// evict the victims (DisruptionTarget condition, then delete). The pod retries once the
// victims are gone.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { selectorFromLabelSelector } from '../../../machinery/labels.js';
import type { NodeInfo } from '../../nodeinfo.js';
import type { PodInfo } from '../../podinfo.js';
import { FitError } from '../../framework.js';
import { unresolvable, unschedulable, type CycleState, type PostFilterPlugin, type PreFilterPlugin, type Snapshot, type Status } from '../../types.js';

export const NAME = 'DefaultPreemption';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
/** Upstream's defaults: dry-run at least 10% of potential nodes, and at least 100. */
const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

export interface PreemptionHandle {
  preFilterPlugins: readonly PreFilterPlugin[];
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
  pdbs(): readonly PodDisruptionBudget[];
  nominatedPods(node: string): readonly PodInfo[];
  /** Patch the DisruptionTarget condition, delete the victim, record the Preempted event. */
  evict(victim: PodInfo, preemptor: PodInfo, node: string): Promise<void>;
  /** Clear status.nominatedNodeName of a pod that lost its nomination. */
  clearNomination(pod: PodInfo): Promise<void>;
  random?: () => number;
}

export interface Candidate { node: string; victims: PodInfo[]; pdbViolations: number }

/** Pods more important come first: higher priority, then started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const sa = a.pod.status?.startTime ?? a.pod.metadata?.creationTimestamp ?? '';
  const sb = b.pod.status?.startTime ?? b.pod.metadata?.creationTimestamp ?? '';
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Splits pods (in order) into those whose eviction a budget forbids and the rest, spending each budget as it goes. */
export function splitByPDB(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): { violating: PodInfo[]; ok: PodInfo[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const sels = pdbs.map((p) => (p.spec?.selector ? selectorFromLabelSelector(p.spec.selector) : undefined));
  const violating: PodInfo[] = [], ok: PodInfo[] = [];
  for (const p of pods) {
    let bad = false;
    pdbs.forEach((pdb, i) => {
      const sel = sels[i];
      if (pdb.metadata?.namespace !== p.namespace || !sel || sel.empty || !sel.matches(p.labels)) return;
      if (pdb.status?.disruptedPods && p.name in pdb.status.disruptedPods) return;
      if (--allowed[i] < 0) bad = true;
    });
    (bad ? violating : ok).push(p);
  }
  return { violating, ok };
}

/** The fewest-evictions set of lower-priority pods on node whose removal makes pod fit, or undefined. */
export function selectVictimsOnNode(h: PreemptionHandle, state0: CycleState, pod: PodInfo, node0: NodeInfo): Candidate | undefined {
  const lower = [...node0.pods.values()].filter((p) => p.priority < pod.priority);
  if (!lower.length) return undefined;
  const state = state0.clone();
  const node = node0.clone();
  const remove = (p: PodInfo) => {
    node.removePod(p.key);
    for (const pl of h.preFilterPlugins) if (!state.skipFilter.has(pl.name)) pl.removePod?.(state, pod, p, node);
  };
  const add = (p: PodInfo) => {
    node.addPod(p);
    for (const pl of h.preFilterPlugins) if (!state.skipFilter.has(pl.name)) pl.addPod?.(state, pod, p, node);
  };
  for (const p of lower) remove(p);
  if (h.runFilters(state, pod, node)) return undefined;
  lower.sort(moreImportant);
  const { violating, ok } = splitByPDB(lower, h.pdbs());
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  // Give back as many pods as still fit, the most important first, budget-protected ones before others.
  const reprieve = (p: PodInfo, isViolating: boolean) => {
    add(p);
    if (h.runFilters(state, pod, node)) {
      remove(p);
      victims.push(p);
      if (isViolating) pdbViolations++;
    }
  };
  for (const p of violating) reprieve(p, true);
  for (const p of ok) reprieve(p, false);
  if (!victims.length) return undefined;
  victims.sort(moreImportant);
  return { node: node0.name, victims, pdbViolations };
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** Upstream's order: fewest PDB violations, lowest top victim priority, lowest priority sum, fewest victims. */
export function pickCandidate(cs: readonly Candidate[]): Candidate | undefined {
  const key = (c: Candidate) => [
    c.pdbViolations,
    c.victims[0]?.priority ?? -Infinity,
    c.victims.reduce((s, v) => s + v.priority + 2 ** 31, 0),
    c.victims.length,
  ];
  let best: Candidate | undefined;
  let bestKey: number[] = [];
  for (const c of cs) {
    const k = key(c);
    if (!best || lexLess(k, bestKey)) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

export function defaultPreemption(h: PreemptionHandle): PostFilterPlugin {
  const random = h.random ?? Math.random;
  return {
    name: NAME,
    async postFilter(state, pod, statuses, snap: Snapshot) {
      if (pod.pod.spec?.preemptionPolicy === 'Never') return { status: unschedulable('preemption: not eligible due to preemptionPolicy=Never.') };
      const nom = pod.pod.status?.nominatedNodeName;
      const nomNode = nom ? snap.get(nom) : undefined;
      if (nomNode) {
        for (const p of nomNode.pods.values()) {
          if (p.pod.metadata?.deletionTimestamp && p.priority < pod.priority) return { status: unschedulable('preemption: not eligible due to a terminating pod on the nominated node.') };
        }
      }
      const all = snap.nodes();
      const result = new Map<string, Status>();
      const potential: NodeInfo[] = [];
      for (const n of all) {
        if (statuses.get(n.name)?.code === 'Unschedulable') potential.push(n);
        else result.set(n.name, unresolvable(NOT_HELPFUL));
      }
      const candidates: Candidate[] = [];
      if (potential.length) {
        const want = Math.min(potential.length, Math.max(MIN_CANDIDATE_NODES_ABSOLUTE, Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100)));
        const offset = Math.floor(random() * potential.length);
        for (let i = 0; i < potential.length; i++) {
          const node = potential[(offset + i) % potential.length];
          const c = selectVictimsOnNode(h, state, pod, node);
          if (c) {
            candidates.push(c);
            // Enough candidates that evict nobody protected by a budget: stop looking.
            if (candidates.filter((x) => !x.pdbViolations).length >= want) break;
          } else result.set(node.name, unschedulable(NO_VICTIMS));
        }
      }
      const best = pickCandidate(candidates);
      if (!best) {
        const fe = new FitError(all.length, result, new Set());
        return { status: unschedulable(`preemption: ${fe.text}`) };
      }
      // Lower-priority pods nominated to the same node lose their place.
      for (const p of h.nominatedPods(best.node)) if (p.priority < pod.priority && p.uid !== pod.uid) await h.clearNomination(p);
      await Promise.all(best.victims.map((v) => h.evict(v, pod, best.node)));
      return { nominatedNodeName: best.node };
    },
  };
}
