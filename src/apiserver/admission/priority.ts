// Priority admission, as upstream's plugin of that name:
//  - pod creates resolve spec.priorityClassName to spec.priority and spec.preemptionPolicy;
//    without a class name the pod takes the globalDefault class (the lowest-valued one if
//    several), or priority 0 and PreemptLowerPriority when there is none; a class that does
//    not exist, or a priority / preemptionPolicy in the pod that disagrees with the class,
//    is 403;
//  - at most one PriorityClass may be globalDefault (403 on create or update otherwise).
// Classes are read from the watch cache without awaiting: pod creates are a hot path.
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { KObject } from '../../api/types.js';
import type { Admit } from '../registry/store.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';
import { forbidden } from './resourcequota.js';

const DEFAULT_PRIORITY = 0;
const DEFAULT_PREEMPTION = 'PreemptLowerPriority';

export function priorityAdmission(server: () => ApiServer): Admit {
  return (op, res, obj) => {
    const isClass = res.group === 'scheduling.k8s.io' && res.plural === 'priorityclasses';
    if (!(isClass && (op === 'CREATE' || op === 'UPDATE')) && !(op === 'CREATE' && res.group === '' && res.plural === 'pods')) return;
    const store = server().storeFor('scheduling.k8s.io', 'priorityclasses');
    const classes = (): PriorityClass[] => (store ? [...store.cache.range(store.scopePrefix(undefined))].map((o) => o.obj as unknown as PriorityClass) : []);
    if (isClass) return admitClass(res, obj, classes());
    const spec = (obj.spec ??= {}) as PodSpec;
    let priority = DEFAULT_PRIORITY;
    let preemption: string | undefined = DEFAULT_PREEMPTION;
    if (!spec.priorityClassName) {
      const d = globalDefault(classes());
      if (d) {
        spec.priorityClassName = d.metadata?.name;
        priority = d.value;
        preemption = d.preemptionPolicy;
      }
    } else {
      const pc = store?.cache.get(store.key(undefined, spec.priorityClassName))?.obj as unknown as PriorityClass | undefined;
      if (!pc) throw forbidden(res, obj, `no PriorityClass with name ${spec.priorityClassName} was found`);
      priority = pc.value;
      preemption = pc.preemptionPolicy;
    }
    if (typeof spec.priority === 'number' && spec.priority !== priority) {
      throw forbidden(res, obj, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`);
    }
    spec.priority = priority;
    if (preemption) {
      if (spec.preemptionPolicy && spec.preemptionPolicy !== preemption) {
        throw forbidden(res, obj, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${preemption} from the given PriorityClass name`);
      }
      spec.preemptionPolicy = preemption;
    }
  };
}

/** The default class: globalDefault, the lowest value winning if several claim it. */
function globalDefault(all: PriorityClass[]): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of all) if (pc.globalDefault && (!best || pc.value < best.value)) best = pc;
  return best;
}

function admitClass(res: ServedResource, obj: KObject, all: PriorityClass[]): void {
  const pc = obj as unknown as PriorityClass;
  if (!pc.globalDefault) return;
  const other = all.find((c) => c.globalDefault && c.metadata?.name !== pc.metadata?.name);
  if (other) throw forbidden(res, obj, `PriorityClass ${other.metadata?.name} is already marked as default. Only one default can exist`);
}
