// What one object consumes of a ResourceQuota (upstream's quota evaluators), shared by the
// resource quota controller (status.used) and the quota admission plugin.
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { Quantity } from '../../machinery/quantity.js';

export type ResourceList = Map<string, Quantity>;

const one = () => Quantity.fromValue(1);

/** The quota name of an object count: "count/deployments.apps", "count/pods". */
export function countResourceName(group: string, plural: string): string {
  return `count/${plural}${group ? `.${group}` : ''}`;
}

/** Resources with a legacy bare name besides count/<plural>. */
const LEGACY_COUNTS: Record<string, string> = {
  pods: 'pods', services: 'services', configmaps: 'configmaps', secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims', replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
};

function addInto(into: ResourceList, name: string, q: Quantity): void {
  const cur = into.get(name);
  into.set(name, cur ? cur.add(q) : q);
}

function maxInto(into: ResourceList, name: string, q: Quantity): void {
  const cur = into.get(name);
  if (!cur || q.cmp(cur) > 0) into.set(name, q);
}

/** Effective pod requests or limits: max(sum of containers, each init container) plus overhead. */
export function podResourceList(pod: Pod, which: 'requests' | 'limits'): ResourceList {
  const out: ResourceList = new Map();
  const list = (c: Container) => (c.resources?.[which] ?? {}) as Record<string, unknown>;
  for (const c of pod.spec?.containers ?? []) for (const [k, v] of Object.entries(list(c))) addInto(out, k, Quantity.fromJSON(v));
  for (const c of pod.spec?.initContainers ?? []) for (const [k, v] of Object.entries(list(c))) maxInto(out, k, Quantity.fromJSON(v));
  for (const [k, v] of Object.entries((pod.spec?.overhead ?? {}) as Record<string, unknown>)) {
    if (out.has(k)) addInto(out, k, Quantity.fromJSON(v));
  }
  return out;
}

/** Pods that finished, or whose grace period ran out, no longer count against quota. */
export function podCountsForQuota(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const del = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  return !(del && grace !== undefined && Date.parse(del) + grace * 1000 < nowMs);
}

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'];

/** Usage of one object of `group`/`plural`, every quota resource name it contributes to. */
export function objectUsage(group: string, plural: string, obj: unknown, nowMs: number): ResourceList {
  const out: ResourceList = new Map();
  if (group === '' && plural === 'pods' && !podCountsForQuota(obj as Pod, nowMs)) return out;
  out.set(countResourceName(group, plural), one());
  if (group === '' && LEGACY_COUNTS[plural]) out.set(LEGACY_COUNTS[plural], one());
  if (group === '' && plural === 'pods') {
    const pod = obj as Pod;
    for (const [k, q] of podResourceList(pod, 'requests')) {
      if (COMPUTE.includes(k)) { out.set(k, q); out.set(`requests.${k}`, q); }
      else if (k.includes('/') || k.startsWith('hugepages-')) out.set(`requests.${k}`, q);
    }
    for (const [k, q] of podResourceList(pod, 'limits')) if (COMPUTE.includes(k)) out.set(`limits.${k}`, q);
  }
  if (group === '' && plural === 'services') {
    const spec = (obj as { spec?: { type?: string; ports?: unknown[] } }).spec;
    if (spec?.type === 'NodePort' || spec?.type === 'LoadBalancer') out.set('services.nodeports', Quantity.fromValue(spec.ports?.length ?? 0));
    if (spec?.type === 'LoadBalancer') out.set('services.loadbalancers', one());
  }
  if (group === '' && plural === 'persistentvolumeclaims') {
    const spec = (obj as { spec?: { storageClassName?: string; resources?: { requests?: Record<string, unknown> } } }).spec;
    const storage = spec?.resources?.requests?.storage;
    if (storage !== undefined) {
      const q = Quantity.fromJSON(storage);
      out.set('requests.storage', q);
      if (spec?.storageClassName) {
        out.set(`${spec.storageClassName}.storageclass.storage.k8s.io/requests.storage`, q);
        out.set(`${spec.storageClassName}.storageclass.storage.k8s.io/persistentvolumeclaims`, one());
      }
    }
  }
  return out;
}

/** Every pod container must state the compute resources a quota limits (upstream's legacy rule). */
export function podQuotaConstraints(pod: Pod, limited: readonly string[]): string | undefined {
  const missing = new Map<string, string[]>();
  for (const name of limited) {
    const m = /^(?:(requests|limits)\.)?(cpu|memory)$/.exec(name);
    if (!m) continue;
    const which = (m[1] ?? 'requests') as 'requests' | 'limits';
    for (const c of pod.spec?.containers ?? []) {
      if ((c.resources?.[which] as Record<string, unknown> | undefined)?.[m[2]] !== undefined) continue;
      const l = missing.get(name) ?? [];
      if (!l.includes(c.name)) l.push(c.name);
      missing.set(name, l);
    }
  }
  if (!missing.size) return undefined;
  return `must specify ${[...missing.keys()].sort().map((k) => `${k} for: ${missing.get(k)!.sort().join(',')}`).join('; ')}`;
}

/** "pods=1,requests.cpu=500m": sorted by name, as upstream's prettyPrint. */
export function formatResourceList(list: ResourceList): string {
  return [...list.keys()].sort().map((k) => `${k}=${list.get(k)!.toString()}`).join(',');
}

export function resourceListFromJSON(o: Readonly<Record<string, unknown>> | undefined | null): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of Object.entries(o ?? {})) out.set(k, Quantity.fromJSON(v));
  return out;
}

export function resourceListToJSON(l: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of [...l.keys()].sort()) out[k] = l.get(k)!.toString();
  return out;
}
