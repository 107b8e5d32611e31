// NodeAffinity: spec.nodeSelector and required node affinity must hold (filter);
// matching preferred terms add their weights (score). Terms that all pin metadata.name
// narrow the nodes considered at PreFilter.
import type { NodeSelectorTerm, PreferredSchedulingTerm } from 'kubernetes-types/core/v1.js';
import { nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinity } from '../../../api/helpers/scheduling.js';
import { SKIP, defaultNormalize, unresolvable, type FilterPlugin, type PreFilterPlugin, type PreScorePlugin, type ScorePlugin } from '../../types.js';

export const REASON = "node(s) didn't match Pod's node affinity/selector";

/** Node names every term restricts itself to with `metadata.name In`, or undefined when some term does not. */
function pinnedNames(terms: readonly NodeSelectorTerm[]): Set<string> | undefined {
  const names = new Set<string>();
  for (const t of terms) {
    const f = t.matchFields?.find((r) => r.key === 'metadata.name' && r.operator === 'In');
    if (!f) return undefined;
    for (const v of f.values ?? []) names.add(v);
  }
  return terms.length ? names : undefined;
}

export function nodeAffinity(weight = 2): PreFilterPlugin & FilterPlugin & PreScorePlugin & ScorePlugin {
  return {
    name: 'NodeAffinity',
    weight,
    events: ['NodeAdd', 'NodeLabel', 'PodSelfUpdate'],
    preFilter(_s, pod) {
      const spec = pod.pod.spec;
      const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
      if (!req && !Object.keys(spec?.nodeSelector ?? {}).length) return { status: SKIP };
      const names = req ? pinnedNames(req.nodeSelectorTerms ?? []) : undefined;
      return names ? { nodeNames: names } : undefined;
    },
    filter(_s, pod, node) {
      return node.node && podMatchesNodeSelectorAndAffinity(pod.pod.spec ?? { containers: [] }, node.node) ? undefined : unresolvable(REASON);
    },
    preScore(_s, pod) {
      return pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ? undefined : SKIP;
    },
    score(_s, pod, node) {
      const prefs: readonly PreferredSchedulingTerm[] = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      let sum = 0;
      for (const p of prefs) if (p.weight && node.node && nodeSelectorTermMatches(p.preference, node.node)) sum += p.weight;
      return sum;
    },
    normalize(_s, _p, scores) { defaultNormalize(scores); },
  };
}
