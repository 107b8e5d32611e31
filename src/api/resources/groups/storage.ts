// storage.k8s.io/v1: StorageClass.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { deepEqual } from '../../../machinery/meta.js';
import { isQualifiedName, validateImmutableField } from '../../../machinery/validation.js';
import { AGE, age, asStr, col, isSet, setDefault } from './util.js';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];

function validateStorageClass(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const provisioner = asStr(obj.provisioner);
  if (!provisioner) errs.push(field.required('provisioner', ''));
  else errs.push(...isQualifiedName(provisioner.toLowerCase()).map((m) => field.invalid('provisioner', provisioner, m)));
  if (asStr(obj.reclaimPolicy) && !RECLAIM_POLICIES.includes(asStr(obj.reclaimPolicy))) {
    errs.push(field.notSupported('reclaimPolicy', obj.reclaimPolicy, RECLAIM_POLICIES));
  }
  if (!isSet(obj.volumeBindingMode)) errs.push(field.required('volumeBindingMode', ''));
  else if (!BINDING_MODES.includes(asStr(obj.volumeBindingMode))) errs.push(field.notSupported('volumeBindingMode', obj.volumeBindingMode, BINDING_MODES));
  return errs;
}

function validateStorageClassUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validateStorageClass(obj);
  if (!deepEqual(obj.parameters ?? {}, old.parameters ?? {})) errs.push(field.forbidden('parameters', 'updates to parameters are forbidden.'));
  if (obj.provisioner !== old.provisioner) errs.push(field.forbidden('provisioner', 'updates to provisioner are forbidden.'));
  if (obj.reclaimPolicy !== old.reclaimPolicy) errs.push(field.forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
  return [...errs, ...validateImmutableField(obj.volumeBindingMode, old.volumeBindingMode, 'volumeBindingMode')];
}

const storageClasses: ResourceStrategy = {
  group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', singular: 'storageclass', namespaced: false,
  shortNames: ['sc'],
  defaults(obj) {
    setDefault(obj, 'reclaimPolicy', 'Delete');
    setDefault(obj, 'volumeBindingMode', 'Immediate');
  },
  validate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
  // Upstream also appends " (default)" to NAME for the default class; NAME is the server's column.
  columns: [
    col('Provisioner', 'string', 'The volume plugin that provisions volumes of this class.'),
    col('ReclaimPolicy', 'string', 'What happens to a dynamically provisioned volume when it is released.'),
    col('VolumeBindingMode', 'string', 'When volumes are bound and provisioned.'),
    col('AllowVolumeExpansion', 'string', 'Whether volumes of this class can be expanded.'),
    AGE,
  ],
  row: (obj, ctx) => [asStr(obj.provisioner), asStr(obj.reclaimPolicy) || 'Delete', asStr(obj.volumeBindingMode) || 'Immediate', obj.allowVolumeExpansion === true, age(obj, ctx)],
};

export const storageResources: ResourceStrategy[] = [storageClasses];
