// NodeResourcesFit (filter: requests fit what allocatable leaves, and the pod count;
// score: LeastAllocated over cpu and memory) and NodeResourcesBalancedAllocation (score:
// prefer nodes whose cpu and memory fractions stay close).
import { MAX_NODE_SCORE, unschedulable, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Status } from '../../types.js';

/** Every resource the node cannot satisfy, as upstream's "Insufficient <name>" reasons, "Too many pods" first; undefined when it fits. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] | undefined {
  let reasons: string[] | undefined;
  if (node.pods.size + 1 > (node.allocatable.pods ?? 0)) reasons = ['Too many pods'];
  const alloc = node.allocatable, used = node.requested;
  for (const r of pod.requestedResources) {
    if (pod.requests[r] > (alloc[r] ?? 0) - (used[r] ?? 0)) (reasons ??= []).push(`Insufficient ${r}`);
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
      return r ? unschedulable(...r) : undefined;
    },
    // LeastAllocated with cpu and memory weighted 1 each, on non-zero requests.
    score(_s, pod, node): number {
      const cpu = least(node.allocatable.cpu ?? 0, node.nonZeroCpu + pod.nonZeroCpu);
      const mem = least(node.allocatable.memory ?? 0, node.nonZeroMemory + pod.nonZeroMemory);
      return Math.floor((cpu + mem) / 2);
    },
  };
}

function least(alloc: number, req: number): number {
  return alloc <= 0 || req > alloc ? 0 : Math.floor(((alloc - req) * MAX_NODE_SCORE) / alloc);
}

function fraction(node: NodeInfo, pod: PodInfo, r: string): number {
  const alloc = node.allocatable[r] ?? 0;
  return alloc > 0 ? Math.min(1, ((node.requested[r] ?? 0) + (pod.requests[r] ?? 0)) / alloc) : 0;
}

export function balancedAllocation(weight = 1): ScorePlugin {
  return {
    name: 'NodeResourcesBalancedAllocation',
    weight,
    events: ['NodeAdd', 'NodeAllocatable', 'AssignedPodDelete'],
    score(_s, pod, node): number {
      const std = Math.abs(fraction(node, pod, 'cpu') - fraction(node, pod, 'memory')) / 2;
      return Math.floor((1 - std) * MAX_NODE_SCORE);
    },
  };
}
