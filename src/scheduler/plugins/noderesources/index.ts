// NodeResourcesFit (filter: requests fit what allocatable leaves, and the pod count;
// score: LeastAllocated over cpu and memory) and NodeResourcesBalancedAllocation (score:
// prefer nodes whose cpu and memory fractions stay close).
import { MAX_NODE_SCORE, unschedulable, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Status } from '../../types.js';

const FIXED_ORDER = ['cpu', 'memory', 'ephemeral-storage'];

/** Every resource the node cannot satisfy, as upstream's "Insufficient <name>" reasons, "Too many pods" first. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.size + 1 > (node.allocatable.pods ?? 0)) reasons.push('Too many pods');
  const short = (r: string) => {
    const want = pod.requests[r] ?? 0;
    return want > 0 && want > (node.allocatable[r] ?? 0) - (node.requested[r] ?? 0);
  };
  for (const r of FIXED_ORDER) if (short(r)) reasons.push(`Insufficient ${r}`);
  for (const r of Object.keys(pod.requests).sort()) {
    if (r !== 'pods' && !FIXED_ORDER.includes(r) && short(r)) reasons.push(`Insufficient ${r}`);
  }
  return reasons;
}

export const NAME = 'NodeResourcesFit';

export function nodeResourcesFit(weight = 1): FilterPlugin & ScorePlugin {
  return {
    name: NAME,
    weight,
    events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    filter(_s, pod, node): Status | undefined {
      const r = insufficientResources(pod, node);
      return r.length ? unschedulable(...r) : undefined;
    },
    // LeastAllocated with cpu and memory weighted 1 each, on non-zero requests.
    score(_s, pod, node): number {
      const least = (alloc: number, req: number) => (alloc <= 0 || req > alloc ? 0 : Math.floor(((alloc - req) * MAX_NODE_SCORE) / alloc));
      const cpu = least(node.allocatable.cpu ?? 0, node.nonZeroCpu + pod.nonZeroCpu);
      const mem = least(node.allocatable.memory ?? 0, node.nonZeroMemory + pod.nonZeroMemory);
      return Math.floor((cpu + mem) / 2);
    },
  };
}

export function balancedAllocation(weight = 1): ScorePlugin {
  return {
    name: 'NodeResourcesBalancedAllocation',
    weight,
    events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    score(_s, pod, node): number {
      const frac = (r: string) => {
        const alloc = node.allocatable[r] ?? 0;
        return alloc > 0 ? Math.min(1, ((node.requested[r] ?? 0) + (pod.requests[r] ?? 0)) / alloc) : 0;
      };
      const std = Math.abs(frac('cpu') - frac('memory')) / 2;
      return Math.floor((1 - std) * MAX_NODE_SCORE);
    },
  };
}
