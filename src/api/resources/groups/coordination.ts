// coordination.k8s.io/v1: Lease.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { AGE, age, asStr, col, readSpec } from './util.js';

function validateLease(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(field.invalid('spec.leaseDurationSeconds', spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  if (typeof spec.leaseTransitions === 'number' && spec.leaseTransitions < 0) {
    errs.push(field.invalid('spec.leaseTransitions', spec.leaseTransitions, 'must be greater than or equal to 0'));
  }
  if (asStr(spec.preferredHolder) !== '' && !asStr(spec.strategy)) {
    errs.push(field.forbidden('spec.preferredHolder', 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

const leases: ResourceStrategy = {
  group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true,
  validate: validateLease,
  validateUpdate: validateLease,
  columns: [col('Holder', 'string', 'The identity of the holder of the current lease.'), AGE],
  row: (obj, ctx) => [asStr(readSpec(obj).holderIdentity), age(obj, ctx)],
};

export const coordinationResources: ResourceStrategy[] = [leases];
