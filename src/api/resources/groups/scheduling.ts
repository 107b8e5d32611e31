// scheduling.k8s.io/v1: PriorityClass.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { validateImmutableField } from '../../../machinery/validation.js';
import { AGE, age, asNum, asStr, col, isSet, setDefault } from './util.js';

/** Values above this are reserved for the built-in system classes. */
const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_CLASSES: Record<string, number> = { 'system-node-critical': 2_000_001_000, 'system-cluster-critical': 2_000_000_000 };
const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];

function validatePriorityClass(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const name = obj.metadata.name ?? '';
  const value = asNum(obj.value);
  if (name.startsWith('system-')) {
    const want = SYSTEM_CLASSES[name];
    const why = want === undefined ? `${name} is not a known system priority class`
      : value !== want ? `value of ${name} PriorityClass must be ${want}`
        : obj.globalDefault === true ? `globalDefault of ${name} PriorityClass must be false` : '';
    if (why) errs.push(field.forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_PRIORITY) {
    errs.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (isSet(obj.preemptionPolicy) && !PREEMPTION_POLICIES.includes(asStr(obj.preemptionPolicy))) {
    errs.push(field.notSupported('preemptionPolicy', obj.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

const priorityClasses: ResourceStrategy = {
  group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass', plural: 'priorityclasses', singular: 'priorityclass', namespaced: false,
  shortNames: ['pc'],
  defaults(obj) { setDefault(obj, 'preemptionPolicy', 'PreemptLowerPriority'); },
  validate: validatePriorityClass,
  validateUpdate(obj, old) {
    const errs = validatePriorityClass(obj);
    if (obj.value !== old.value) errs.push(field.forbidden('value', 'may not be changed in an update.'));
    return [...errs, ...validateImmutableField(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy')];
  },
  columns: [
    col('Value', 'integer', 'The priority pods of this class get.'),
    col('Global-Default', 'boolean', 'Whether this class is the default for pods without one.'),
    AGE,
    col('PreemptionPolicy', 'string', 'Whether pods of this class may preempt lower-priority pods.', 1),
  ],
  row: (obj, ctx) => [asNum(obj.value), obj.globalDefault === true, age(obj, ctx), asStr(obj.preemptionPolicy)],
};

export const schedulingResources: ResourceStrategy[] = [priorityClasses];
