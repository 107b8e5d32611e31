// Every built-in kind, in upstream discovery order: the core group first, then named
// groups in the order kube-apiserver lists them under /apis.
import type { ResourceStrategy } from '../types.js';
import { coreResources } from './core/index.js';
import { groupResources } from './groups/index.js';

export const GROUP_ORDER = [
  '', 'apiregistration.k8s.io', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch',
  'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io', 'storage.k8s.io',
  'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'node.k8s.io',
  'discovery.k8s.io', 'flowcontrol.apiserver.k8s.io', 'metrics.k8s.io',
];

/** Orders strategies by GROUP_ORDER (unknown groups last), keeping order within a group. */
export function inDiscoveryOrder(list: ResourceStrategy[]): ResourceStrategy[] {
  const rank = (g: string) => {
    const i = GROUP_ORDER.indexOf(g);
    return i < 0 ? GROUP_ORDER.length : i;
  };
  return list.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s.group) - rank(b.s.group) || a.i - b.i).map((x) => x.s);
}

export function builtinResources(): ResourceStrategy[] {
  return inDiscoveryOrder([...coreResources, ...groupResources]);
}
