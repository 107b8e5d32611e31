// policy/v1: PodDisruptionBudget.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { validateLabelSelector } from '../../../machinery/labels.js';
import { AGE, age, asNum, asSelector, col, isSet, readSpec, readStatus, validateNotMoreThan100Percent, validatePositiveIntOrPercent } from './util.js';

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

function validatePDB(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  if (isSet(spec.minAvailable) && isSet(spec.maxUnavailable)) errs.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const k of ['minAvailable', 'maxUnavailable']) {
    if (isSet(spec[k])) errs.push(...validatePositiveIntOrPercent(spec[k], `spec.${k}`), ...validateNotMoreThan100Percent(spec[k], `spec.${k}`));
  }
  errs.push(...validateLabelSelector(asSelector(spec.selector), 'spec.selector'));
  if (isSet(spec.unhealthyPodEvictionPolicy) && !EVICTION_POLICIES.includes(String(spec.unhealthyPodEvictionPolicy))) {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', spec.unhealthyPodEvictionPolicy, EVICTION_POLICIES));
  }
  return errs;
}

/** IntOrString.String(): the number or the percent string; "N/A" when unset. */
const intOrString = (v: unknown): string => (isSet(v) ? String(v) : 'N/A');

const podDisruptionBudgets: ResourceStrategy = {
  group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', singular: 'poddisruptionbudget', namespaced: true,
  shortNames: ['pdb'], subresources: { status: true },
  prepareForCreate(obj) { obj.status = { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 }; },
  validate: validatePDB,
  validateUpdate: validatePDB,
  validateStatusUpdate: (obj) => {
    const s = readStatus(obj);
    return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']
      .filter((k) => asNum(s[k]) < 0)
      .map((k) => field.invalid(`status.${k}`, s[k], 'must be greater than or equal to 0'));
  },
  columns: [
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    return [intOrString(spec.minAvailable), intOrString(spec.maxUnavailable), asNum(readStatus(obj).disruptionsAllowed), age(obj, ctx)];
  },
};

export const policyResources: ResourceStrategy[] = [podDisruptionBudgets];
