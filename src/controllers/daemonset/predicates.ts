// Which nodes a daemon pod belongs on: the node-name, node-selector / required node
// affinity and taint checks the DaemonSet controller runs itself (it does not ask the
// scheduler), and the pod shape it creates for one node.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Pod, Toleration } from 'kubernetes-types/core/v1.js';
import { toleratesTaint } from '../../api/helpers/taints.js';

/** Tolerations every daemon pod gets, so node problems do not evict or block it. */
export function daemonTolerations(spec: PodSpec): Toleration[] {
  const add: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const out = [...(spec.tolerations ?? [])];
  for (const t of add) {
    const i = out.findIndex((o) => o.key === t.key && o.effect === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

function matchRequirement(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt': case 'Lt': {
      const a = Number(value), b = Number(values[0]);
      if (value === undefined || !Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default: return false;
  }
}

/** A term matches when all its requirements do; a term with none matches nothing. */
export function matchNodeSelectorTerm(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata?.labels ?? {};
  return exprs.every((r) => matchRequirement(r, labels[r.key]))
    && fields.every((r) => r.key === 'metadata.name' && matchRequirement(r, node.metadata?.name));
}

/** nodeName, nodeSelector and required node affinity (any term) all admit the node. */
export function fitsNode(spec: PodSpec, node: Node): { name: boolean; affinity: boolean } {
  const name = !spec.nodeName || spec.nodeName === node.metadata?.name;
  const labels = node.metadata?.labels ?? {};
  const selectorOk = Object.entries(spec.nodeSelector ?? {}).every(([k, v]) => labels[k] === v);
  const terms = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const affinityOk = !terms || terms.some((t) => matchNodeSelectorTerm(t, node));
  return { name, affinity: selectorOk && affinityOk };
}

/**
 * shouldRun: a daemon pod should be placed on the node. shouldContinueRunning: a pod
 * already there may stay (untolerated NoSchedule taints only block new pods).
 */
export function nodeShouldRunDaemonPod(spec: PodSpec, node: Node): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const fit = fitsNode(spec, node);
  if (!fit.name || !fit.affinity) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonTolerations(spec);
  const untolerated = (effects: string[]) => (node.spec?.taints ?? []).some((t) => effects.includes(t.effect) && !tolerations.some((tol) => toleratesTaint(tol, t)));
  if (untolerated(['NoSchedule', 'NoExecute'])) return { shouldRun: false, shouldContinueRunning: !untolerated(['NoExecute']) };
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is bound or pinned to: spec.nodeName, else its metadata.name affinity field. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/**
 * The spec of the pod for one node: the template's, with the daemon tolerations and a
 * required node affinity replaced by one term pinning metadata.name (preferred terms kept).
 */
export function podSpecForNode(template: PodSpec, nodeName: string): PodSpec {
  const spec = structuredClone(template);
  spec.tolerations = daemonTolerations(spec);
  const affinity = spec.affinity ?? {};
  const nodeAffinity = affinity.nodeAffinity ?? {};
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  spec.affinity = { ...affinity, nodeAffinity };
  return spec;
}
