// TaintToleration: NoSchedule/NoExecute taints must be tolerated (filter); fewer
// untolerated PreferNoSchedule taints score higher.
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { firstUntoleratedTaint, tolerated } from '../../../api/helpers/scheduling.js';
import { SKIP, defaultNormalize, unresolvable, type FilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../types.js';

const FILTER_EFFECTS = ['NoSchedule', 'NoExecute'];
const KEY = 'TaintToleration/preferNoSchedule';

export function taintToleration(weight = 3): FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: 'TaintToleration',
    weight,
    events: ['NodeAdd', 'NodeTaint', 'PodSelfUpdate'],
    filter(_s, pod, node) {
      const t = firstUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, FILTER_EFFECTS);
      return t ? unresolvable(`node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`) : undefined;
    },
    preScore(state, pod, nodes) {
      if (!nodes.some((n) => n.taints.length)) return SKIP;
      const tols = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
      state.write(KEY, tols);
      return undefined;
    },
    score(state, _pod, node) {
      const tols = state.read<Toleration[]>(KEY) ?? [];
      let n = 0;
      for (const t of node.taints) if (t.effect === 'PreferNoSchedule' && !tolerated(tols, t)) n++;
      return n;
    },
    // Reversed: the node with the most untolerated taints scores 0.
    normalize(_s, _p, scores) { defaultNormalize(scores, true); },
  };
}
