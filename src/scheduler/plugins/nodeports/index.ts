// NodePorts: a host port (protocol, IP) can be used by one pod per node; 0.0.0.0 clashes
// with every IP.
import { SKIP, unschedulable, type FilterPlugin, type NodeInfo, type PodInfo, type PreFilterPlugin } from '../../types.js';

export const REASON = "node(s) didn't have free ports for the requested pod ports";

export function portsConflict(pod: PodInfo, node: NodeInfo): boolean {
  for (const hp of pod.hostPorts) {
    const ips = node.usedPorts.get(`${hp.protocol}/${hp.port}`);
    if (ips && (hp.ip === '0.0.0.0' || ips.has(hp.ip) || ips.has('0.0.0.0'))) return true;
  }
  return false;
}

export const nodePorts: PreFilterPlugin & FilterPlugin = {
  name: 'NodePorts',
  events: ['NodeAdd', 'AssignedPodDelete'],
  preFilter(_s, pod) { return pod.hostPorts.length ? undefined : { status: SKIP }; },
  filter(_s, pod, node) { return portsConflict(pod, node) ? unschedulable(REASON) : undefined; },
};
