// Scheduling predicates every component that places or admits pods agrees on: pod
// resource requests (the init-container and sidecar rules, overhead), taint toleration,
// and node selector matching (nodeSelector, NodeSelectorTerms with matchFields).
import type { Container, Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../machinery/quantity.js';

/** Amounts by resource name: cpu in millicores, everything else in whole units (bytes for memory). */
export type ResourceAmounts = Record<string, number>;

/** Requests the scheduler assumes for a container that sets none (upstream's non-zero defaults). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** A quantity's amount in the unit ResourceAmounts uses for `name`; malformed counts as 0. */
export function resourceAmount(name: string, q: unknown): number {
  if (typeof q !== 'string' && typeof q !== 'number') return 0;
  const parsed = Quantity.tryParse(String(q));
  if (!(parsed instanceof Quantity)) return 0;
  return Number(name === 'cpu' ? parsed.milliValue() : parsed.value());
}

export function resourceList(list: Readonly<Record<string, unknown>> | undefined): ResourceAmounts {
  const out: ResourceAmounts = {};
  if (list) for (const [k, v] of Object.entries(list)) out[k] = resourceAmount(k, v);
  return out;
}

function addInto(into: ResourceAmounts, r: ResourceAmounts): void {
  for (const k in r) into[k] = (into[k] ?? 0) + r[k];
}

function maxInto(into: ResourceAmounts, r: ResourceAmounts): void {
  for (const k in r) if (r[k] > (into[k] ?? 0)) into[k] = r[k];
}

const requestsOf = (c: Container): ResourceAmounts => resourceList(c.resources?.requests as Record<string, unknown> | undefined);

/**
 * The effective requests of a pod: the larger of (sum of containers + sidecars) and each
 * init container's request stacked on the sidecars started before it; plus overhead.
 */
export function podRequests(spec: PodSpec): ResourceAmounts {
  const total: ResourceAmounts = {};
  for (const c of spec.containers ?? []) addInto(total, requestsOf(c));
  const sidecars: ResourceAmounts = {};
  const initPeak: ResourceAmounts = {};
  for (const c of spec.initContainers ?? []) {
    const r = requestsOf(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      maxInto(initPeak, sidecars);
    } else {
      const stacked = { ...sidecars };
      addInto(stacked, r);
      maxInto(initPeak, stacked);
    }
  }
  addInto(total, sidecars);
  maxInto(total, initPeak);
  if (spec.overhead) addInto(total, resourceList(spec.overhead as Record<string, unknown>));
  return total;
}

/**
 * cpu and memory requests where a container without a request counts as 100m / 200Mi:
 * what scoring uses so that request-less pods still spread.
 */
export function podNonZeroRequests(spec: PodSpec): { cpu: number; memory: number } {
  const one = (c: Container) => {
    const r = c.resources?.requests as Record<string, unknown> | undefined;
    return {
      cpu: r?.cpu !== undefined ? resourceAmount('cpu', r.cpu) : DEFAULT_MILLI_CPU_REQUEST,
      memory: r?.memory !== undefined ? resourceAmount('memory', r.memory) : DEFAULT_MEMORY_REQUEST,
    };
  };
  let cpu = 0, memory = 0, sideCpu = 0, sideMem = 0, initCpu = 0, initMem = 0;
  for (const c of spec.containers ?? []) { const r = one(c); cpu += r.cpu; memory += r.memory; }
  for (const c of spec.initContainers ?? []) {
    const r = one(c);
    if (c.restartPolicy === 'Always') { sideCpu += r.cpu; sideMem += r.memory; initCpu = Math.max(initCpu, sideCpu); initMem = Math.max(initMem, sideMem); }
    else { initCpu = Math.max(initCpu, sideCpu + r.cpu); initMem = Math.max(initMem, sideMem + r.memory); }
  }
  cpu = Math.max(cpu + sideCpu, initCpu);
  memory = Math.max(memory + sideMem, initMem);
  const o = spec.overhead as Record<string, unknown> | undefined;
  if (o?.cpu !== undefined) cpu += resourceAmount('cpu', o.cpu);
  if (o?.memory !== undefined) memory += resourceAmount('memory', o.memory);
  return { cpu, memory };
}

/** Whether one toleration tolerates one taint (an empty effect tolerates every effect; Exists with no key tolerates all). */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal': case '': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

export function tolerated(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return !!tolerations?.some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of `effects` that no toleration covers. */
export function firstUntoleratedTaint(taints: readonly Taint[] | undefined, tolerations: readonly Toleration[] | undefined, effects: readonly string[]): Taint | undefined {
  return taints?.find((taint) => effects.includes(taint.effect) && !tolerated(tolerations, taint));
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && vals.includes(value);
    case 'NotIn': return value === undefined || !vals.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      if (value === undefined || vals.length !== 1 || !/^-?\d+$/.test(value) || !/^-?\d+$/.test(vals[0])) return false;
      const a = BigInt(value), b = BigInt(vals[0]);
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** One term: all label expressions and all field expressions (only metadata.name exists) hold; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata?.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, Object.prototype.hasOwnProperty.call(labels, r.key) ? labels[r.key] : undefined)) return false;
  for (const r of fields) {
    if (r.key !== 'metadata.name' || !requirementMatches(r, node.metadata?.name ?? '')) return false;
  }
  return true;
}

/** Terms are ORed. */
export function nodeSelectorTermsMatch(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => nodeSelectorTermMatches(t, node));
}

/** spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution both hold. */
export function podMatchesNodeSelectorAndAffinity(spec: PodSpec, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return !req || nodeSelectorTermsMatch(req.nodeSelectorTerms ?? [], node);
}
