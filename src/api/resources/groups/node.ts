// node.k8s.io/v1: RuntimeClass.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { isDNS1123Label, validateImmutableField } from '../../../machinery/validation.js';
import { AGE, age, asStr, col } from './util.js';

function validateRuntimeClass(obj: KObject): FieldError[] {
  const handler = asStr(obj.handler);
  return isDNS1123Label(handler).map((m) => field.invalid('handler', handler, m));
}

const runtimeClasses: ResourceStrategy = {
  group: 'node.k8s.io', version: 'v1', kind: 'RuntimeClass', plural: 'runtimeclasses', singular: 'runtimeclass', namespaced: false,
  validate: validateRuntimeClass,
  validateUpdate: (obj, old) => [...validateRuntimeClass(obj), ...validateImmutableField(obj.handler, old.handler, 'handler')],
  columns: [col('Handler', 'string', 'The container runtime handler that runs pods of this class.'), AGE],
  row: (obj, ctx) => [asStr(obj.handler), age(obj, ctx)],
};

export const nodeResources: ResourceStrategy[] = [runtimeClasses];
