// NodeName: a pod that names its node fits only there.
import { SKIP, unresolvable, type FilterPlugin, type PreFilterPlugin } from '../../types.js';

export const REASON = "node(s) didn't match the requested node name";

export const nodeName: PreFilterPlugin & FilterPlugin = {
  name: 'NodeName',
  events: ['NodeAdd'],
  preFilter(_s, pod) {
    const want = pod.pod.spec?.nodeName;
    return want ? { nodeNames: new Set([want]) } : { status: SKIP };
  },
  filter(_s, pod, node) {
    const want = pod.pod.spec?.nodeName;
    return want && want !== node.name ? unresolvable(REASON) : undefined;
  },
};
