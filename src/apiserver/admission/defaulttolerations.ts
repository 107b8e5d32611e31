// DefaultTolerationSeconds: every new pod tolerates the not-ready and unreachable
// NoExecute taints for 300 seconds unless it says otherwise, so a brief node outage
// does not evict it at once.
import type { Toleration } from 'kubernetes-types/core/v1.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../api/helpers/taints.js';
import type { Admit } from '../registry/store.js';

export const DEFAULT_TOLERATION_SECONDS = 300;

export function defaultTolerationSeconds(seconds = DEFAULT_TOLERATION_SECONDS): Admit {
  return (op, res, obj) => {
    if (op !== 'CREATE' || res.group !== '' || res.plural !== 'pods') return;
    const spec = ((obj.spec ??= {}) as { tolerations?: Toleration[] });
    const tolerations = spec.tolerations ?? [];
    const covers = (key: string) => tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
    const add: Toleration[] = [];
    for (const key of [TAINT_NOT_READY, TAINT_UNREACHABLE]) {
      if (!covers(key)) add.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
    }
    if (add.length) spec.tolerations = [...tolerations, ...add];
  };
}
