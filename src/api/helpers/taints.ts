// Taints and tolerations: matching rules shared by the scheduler, node lifecycle and
// admission (upstream's v1helper ToleratesTaint family).
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Whether a toleration matches a taint: same effect (or any), same key (or any with Exists), value under Equal. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Exists': return true;
    case 'Equal': case '': return (t.value ?? '') === (taint.value ?? '');
    default: return false;
  }
}

/** The tolerations matching a taint; empty when none does. */
export function matchingTolerations(tolerations: readonly Toleration[] | undefined, taint: Taint): Toleration[] {
  return (tolerations ?? []).filter((t) => toleratesTaint(t, taint));
}

/**
 * How long a pod may stay on a node with these NoExecute taints: undefined for ever,
 * otherwise seconds (0: evict now). Every taint must be tolerated; the shortest
 * tolerationSeconds over the matching tolerations wins, as upstream's taint manager.
 */
export function noExecuteTolerationSeconds(tolerations: readonly Toleration[] | undefined, taints: readonly Taint[]): number | undefined {
  let min: number | undefined;
  for (const taint of taints) {
    const m = matchingTolerations(tolerations, taint);
    if (!m.length) return 0;
    for (const t of m) {
      if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      const s = Math.max(0, t.tolerationSeconds);
      min = min === undefined ? s : Math.min(min, s);
    }
  }
  return min;
}

export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
