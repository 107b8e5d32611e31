// ImageLocality (score): favours nodes that already hold the pod's images (init and
// regular containers), each image counted by its size scaled by the fraction of nodes
// having it, so a ubiquitous image does not pile pods onto a few nodes.
import type { Container } from 'kubernetes-types/core/v1.js';
import { MAX_NODE_SCORE, SKIP, type PreScorePlugin, type ScorePlugin } from '../../types.js';

export const NAME = 'ImageLocality';

const MB = 1024 * 1024;
/** Bounds of the summed image size mapped onto 0..MAX_NODE_SCORE (upstream's choice: typical compressed image sizes). */
export const MIN_THRESHOLD = 23 * MB;
/** Per container: the upper bound is this times the pod's container count (init included). */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

const KEY = 'ImageLocality/preScore';

interface PreScoreState {
  /** Normalized image of each container that at least one node has (duplicates kept: each container counts). */
  names: string[];
  totalNodes: number;
  numContainers: number;
}

/** A name whose last segment has no tag means `:latest` (a digest's ':' counts as a tag, as upstream). */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

/** Maps the summed scaled sizes onto 0..MAX_NODE_SCORE between the thresholds. */
export function imagePriority(sum: number, numContainers: number): number {
  if (numContainers <= 0) return 0;
  const max = MAX_CONTAINER_THRESHOLD * numContainers;
  const clamped = sum < MIN_THRESHOLD ? MIN_THRESHOLD : sum > max ? max : sum;
  return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
}

export function imageLocality(weight = 1): PreScorePlugin & ScorePlugin {
  return {
    name: NAME,
    weight,
    // Every node would score 0 when no node has any of the pod's images, so the plugin is
    // skipped then; this keeps clusters of image-less nodes at no per-node cost.
    preScore(state, pod, _nodes, snap) {
      const known = snap.images();
      if (!known.size) return SKIP;
      const spec = pod.pod.spec;
      const names: string[] = [];
      let numContainers = 0;
      const collect = (cs: readonly Container[] | undefined) => {
        for (const c of cs ?? []) {
          numContainers++;
          const n = normalizedImageName(c.image ?? '');
          if (known.has(n)) names.push(n);
        }
      };
      collect(spec?.initContainers);
      collect(spec?.containers);
      if (!names.length) return SKIP;
      state.write(KEY, { names, totalNodes: snap.nodes().length, numContainers } satisfies PreScoreState);
      return undefined;
    },
    score(state, _pod, node) {
      const s = state.read<PreScoreState>(KEY);
      if (!s || !node.images.size) return 0;
      let sum = 0;
      for (const name of s.names) {
        const st = node.images.get(name);
        if (st) sum += Math.trunc(st.size * (st.numNodes / s.totalNodes));
      }
      return imagePriority(sum, s.numContainers);
    },
  };
}
