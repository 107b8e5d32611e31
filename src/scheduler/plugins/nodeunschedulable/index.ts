// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods tolerating the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import { tolerated } from '../../../api/helpers/scheduling.js';
import { unresolvable, type FilterPlugin } from '../../types.js';

export const REASON = 'node(s) were unschedulable';
const TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  events: ['NodeAdd', 'NodeUnschedulable', 'NodeTaint', 'PodSelfUpdate'],
  filter(_s, pod, node) {
    return node.unschedulable && !tolerated(pod.pod.spec?.tolerations, TAINT) ? unresolvable(REASON) : undefined;
  },
};
