// A pod with everything plugins need precomputed once (requests, host ports, parsed
// affinity terms), so a cycle never re-parses quantities or selectors.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { podNonZeroRequests, podRequests, type ResourceAmounts } from '../api/helpers/scheduling.js';
import { selectorFromLabelSelector, type Labels, type Selector } from '../machinery/labels.js';

export interface AffinityTerm {
  /** Explicit namespaces (the owner's namespace when neither namespaces nor namespaceSelector is given). */
  namespaces: ReadonlySet<string>;
  /** undefined: none given; an empty selector matches every namespace. */
  namespaceSelector?: Selector;
  selector: Selector;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm { weight: number }

export interface HostPort { ip: string; protocol: string; port: number }

export interface PodInfo {
  readonly pod: Pod;
  readonly key: string;
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly priority: number;
  readonly requests: ResourceAmounts;
  /** Resources with a positive request: cpu, memory, ephemeral-storage first, then the rest sorted. */
  readonly requestedResources: readonly string[];
  readonly nonZeroCpu: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

function term(owner: Pod, t: PodAffinityTerm, labelsOf: (pod: Pod) => Labels): AffinityTerm {
  let selector = selectorFromLabelSelector(t.labelSelector ?? null);
  // matchLabelKeys / mismatchLabelKeys add requirements from the owner's own labels.
  const own = labelsOf(owner) ?? {};
  const extra: { key: string; operator: string; values: string[] }[] = [];
  for (const k of t.matchLabelKeys ?? []) if (k in own) extra.push({ key: k, operator: 'In', values: [own[k]] });
  for (const k of t.mismatchLabelKeys ?? []) if (k in own) extra.push({ key: k, operator: 'NotIn', values: [own[k]] });
  if (extra.length && t.labelSelector) {
    selector = selectorFromLabelSelector({ ...t.labelSelector, matchExpressions: [...(t.labelSelector.matchExpressions ?? []), ...extra] });
  }
  const namespaces = new Set(t.namespaces ?? []);
  const namespaceSelector = t.namespaceSelector ? selectorFromLabelSelector(t.namespaceSelector) : undefined;
  if (!namespaces.size && !namespaceSelector) namespaces.add(owner.metadata?.namespace ?? '');
  return { namespaces, namespaceSelector, selector, topologyKey: t.topologyKey };
}

const weighted = (owner: Pod, ts: readonly WeightedPodAffinityTerm[] | undefined, labelsOf: (p: Pod) => Labels): WeightedAffinityTerm[] =>
  (ts ?? []).map((w) => ({ ...term(owner, w.podAffinityTerm, labelsOf), weight: w.weight }));

const FIRST = ['cpu', 'memory', 'ephemeral-storage'];
const rank = (r: string) => { const i = FIRST.indexOf(r); return i < 0 ? FIRST.length : i; };

const NO_TERMS: readonly never[] = Object.freeze([]);

/** priority: the resolved value (spec.priority, else the PriorityClass's, else the default class's or 0). */
export function newPodInfo(pod: Pod, priority: number): PodInfo {
  const spec = pod.spec ?? { containers: [] };
  const labelsOf = (p: Pod) => p.metadata?.labels;
  const nz = podNonZeroRequests(spec);
  const hostPorts: HostPort[] = [];
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    for (const p of c.ports ?? []) if (p.hostPort) hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
  }
  const requests = podRequests(spec);
  const a = spec.affinity;
  const req = (ts: readonly PodAffinityTerm[] | undefined) => (ts?.length ? ts.map((t) => term(pod, t, labelsOf)) : NO_TERMS);
  return {
    pod,
    key: `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`,
    uid: pod.metadata?.uid ?? '',
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    labels: pod.metadata?.labels,
    priority,
    requests,
    requestedResources: Object.keys(requests).filter((r) => r !== 'pods' && requests[r] > 0).sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0)),
    nonZeroCpu: nz.cpu,
    nonZeroMemory: nz.memory,
    hostPorts,
    requiredAffinity: req(a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: req(a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? weighted(pod, a.podAffinity.preferredDuringSchedulingIgnoredDuringExecution, labelsOf) : NO_TERMS,
    preferredAntiAffinity: a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? weighted(pod, a.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, labelsOf) : NO_TERMS,
  };
}

export function hasAffinityTerms(p: PodInfo): boolean {
  return p.requiredAffinity.length + p.requiredAntiAffinity.length + p.preferredAffinity.length + p.preferredAntiAffinity.length > 0;
}

/** Whether `target` (in namespace with labels nsLabels) is selected by the term. */
export function termMatches(t: AffinityTerm, target: PodInfo, nsLabels: Labels): boolean {
  if (!t.namespaces.has(target.namespace) && !t.namespaceSelector?.matches(nsLabels ?? {})) return false;
  return t.selector.matches(target.labels);
}
