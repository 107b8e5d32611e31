// The default profile: upstream's default plugin set, order and score weights.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Selector } from '../machinery/labels.js';
import { balancedAllocation, nodeResourcesFit } from './plugins/noderesources/index.js';
import { nodeName } from './plugins/nodename/index.js';
import { nodeUnschedulable } from './plugins/nodeunschedulable/index.js';
import { nodeAffinity } from './plugins/nodeaffinity/index.js';
import { taintToleration } from './plugins/tainttoleration/index.js';
import { nodePorts } from './plugins/nodeports/index.js';
import { interPodAffinity } from './plugins/interpodaffinity/index.js';
import { podTopologySpread } from './plugins/podtopologyspread/index.js';
import { prioritySort } from './plugins/queuesort/index.js';
import { imageLocality } from './plugins/imagelocality/index.js';
import type { BindPlugin, ClusterEvent, FilterPlugin, Plugin, PostFilterPlugin, PreFilterPlugin, PreScorePlugin, Profile, ScorePlugin } from './types.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface ProfileDeps {
  schedulerName?: string;
  binder: BindPlugin;
  /** PostFilter (preemption) plugins; built by the scheduler, which owns the API access they need. */
  postFilter?: PostFilterPlugin[];
  defaultSpreadSelector?: (pod: Pod) => Selector | undefined;
}

export function defaultProfile(d: ProfileDeps): Profile {
  const fit = nodeResourcesFit(1);
  const affinity = nodeAffinity(2);
  const taints = taintToleration(3);
  const ipa = interPodAffinity(2);
  const spread = podTopologySpread(d.defaultSpreadSelector, 2);
  const images = imageLocality(1);
  // Cheap, decisive filters first: most nodes are rejected before the costly ones run.
  const filter: FilterPlugin[] = [nodeUnschedulable, nodeName, taints, affinity, nodePorts, fit, spread, ipa];
  const preFilter: PreFilterPlugin[] = [nodeName, affinity, nodePorts, spread, ipa];
  const preScore: PreScorePlugin[] = [taints, affinity, spread, ipa, images];
  const score: ScorePlugin[] = [taints, affinity, fit, spread, ipa, balancedAllocation(1), images];
  return {
    schedulerName: d.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    queueSort: prioritySort,
    preFilter, filter, preScore, score,
    postFilter: d.postFilter ?? [],
    reserve: [], permit: [], preBind: [],
    bind: [d.binder],
  };
}

/** Which events each plugin of the profile waits for (for the queue). */
export function pluginEvents(p: Profile): Map<string, Set<ClusterEvent>> {
  const m = new Map<string, Set<ClusterEvent>>();
  const all: Plugin[] = [...p.preFilter, ...p.filter, ...p.postFilter, ...p.preScore, ...p.score, ...p.reserve, ...p.permit, ...p.preBind, ...p.bind];
  for (const pl of all) {
    let s = m.get(pl.name);
    if (!s) m.set(pl.name, (s = new Set()));
    for (const e of pl.events ?? []) s.add(e);
  }
  return m;
}
