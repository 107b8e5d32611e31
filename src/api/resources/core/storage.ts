// PersistentVolume and PersistentVolumeClaim.
import type { KObject, ResourceStrategy, TableColumn } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { ageSince } from '../../../machinery/duration.js';
import { accessModesString, asArr, asObj, asStr, child, clone, deepEqual, quantityOf, setDefault, type Obj } from './util.js';
import { AGE_COLUMN } from './columns.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder',
  'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'local', 'storageos', 'csi',
];
const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function validateAccessModes(modes: unknown, path: string, errs: FieldError[], requiredDetail: string): void {
  const list = asArr(modes);
  if (list.length === 0) errs.push(field.required(path, requiredDetail));
  for (const m of list) if (!ACCESS_MODES.includes(asStr(m))) errs.push(field.notSupported(path, m, ACCESS_MODES));
}

function validateVolumeMode(spec: Obj, path: string, errs: FieldError[]): void {
  if (spec.volumeMode !== undefined && !VOLUME_MODES.includes(asStr(spec.volumeMode))) errs.push(field.notSupported(`${path}.volumeMode`, spec.volumeMode, VOLUME_MODES));
}

function validatePV(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec);
  validateAccessModes(spec.accessModes, 'spec.accessModes', errs, '');
  const capacity = asObj(spec.capacity);
  if (Object.keys(capacity).length === 0) errs.push(field.required('spec.capacity', ''));
  else if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(field.notSupported('spec.capacity', capacity, ['storage']));
  else if ((quantityOf(capacity.storage)?.sign() ?? -1) < 0) errs.push(field.invalid('spec.capacity[storage]', capacity.storage, 'must be greater than or equal to 0'));
  const reclaim = asStr(spec.persistentVolumeReclaimPolicy);
  if (reclaim && !RECLAIM_POLICIES.includes(reclaim)) errs.push(field.notSupported('spec.persistentVolumeReclaimPolicy', reclaim, RECLAIM_POLICIES));
  validateVolumeMode(spec, 'spec', errs);
  const sources = PV_SOURCES.filter((k) => spec[k] !== undefined && spec[k] !== null);
  if (sources.length === 0) errs.push(field.required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(field.forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath !== undefined && !asStr(asObj(spec.hostPath).path)) errs.push(field.required('spec.hostPath.path', ''));
  return errs;
}

const pvColumns: TableColumn[] = [
  { name: 'Capacity', type: 'string', description: 'capacity is the description of the persistent volume\'s resources and capacity.', priority: 0 },
  { name: 'Access Modes', type: 'string', description: 'accessModes contains all ways the volume can be mounted.', priority: 0 },
  { name: 'Reclaim Policy', type: 'string', description: 'What happens to a persistent volume when released from its claim.', priority: 0 },
  { name: 'Status', type: 'string', description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.', priority: 0 },
  { name: 'Claim', type: 'string', description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.', priority: 0 },
  { name: 'StorageClass', type: 'string', description: 'StorageClass of the pv', priority: 0 },
  { name: 'VolumeAttributesClass', type: 'string', description: 'VolumeAttributesClass of the pv', priority: 0 },
  { name: 'Reason', type: 'string', description: 'reason is a brief CamelCase string that describes any failure.', priority: 0 },
  AGE_COLUMN,
  { name: 'VolumeMode', type: 'string', description: 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', priority: 1 },
];

export const persistentVolumeStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'PersistentVolume', plural: 'persistentvolumes', singular: 'persistentvolume', namespaced: false,
  shortNames: ['pv'],
  subresources: { status: true },
  generation: false,
  defaults(obj) {
    const spec = child(obj, 'spec');
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    setDefault(child(obj, 'status'), 'phase', 'Pending');
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  },
  validate: validatePV,
  validateUpdate(obj, old) {
    const errs = validatePV(obj);
    const pick = (o: KObject) => Object.fromEntries(PV_SOURCES.map((k) => [k, asObj(o.spec)[k]]));
    if (!deepEqual(pick(obj), pick(old))) errs.push(field.forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if (asObj(obj.spec).volumeMode !== asObj(old.spec).volumeMode) errs.push(field.invalid('spec.volumeMode', asObj(obj.spec).volumeMode ?? null, 'field is immutable'));
    return errs;
  },
  columns: pvColumns,
  row(obj, ctx) {
    const spec = asObj(obj.spec);
    const status = asObj(obj.status);
    const claim = spec.claimRef ? `${asStr(asObj(spec.claimRef).namespace)}/${asStr(asObj(spec.claimRef).name)}` : '';
    const storageClass = obj.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? asStr(spec.storageClassName);
    return [
      asStr(asObj(spec.capacity).storage) || '0', accessModesString(spec.accessModes), asStr(spec.persistentVolumeReclaimPolicy),
      obj.metadata.deletionTimestamp ? 'Terminating' : asStr(status.phase), claim, storageClass,
      asStr(spec.volumeAttributesClassName) || '<unset>', asStr(status.reason), ageSince(obj.metadata.creationTimestamp, ctx.now),
      asStr(spec.volumeMode) || '<unset>',
    ];
  },
};

function validatePVC(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(obj.spec);
  validateAccessModes(spec.accessModes, 'spec.accessModes', errs, 'at least 1 access mode is required');
  const requests = asObj(asObj(spec.resources).requests);
  if (requests.storage === undefined) errs.push(field.required('spec.resources[storage]', ''));
  else if ((quantityOf(requests.storage)?.sign() ?? 0) <= 0) errs.push(field.invalid('spec.resources[storage]', requests.storage, 'must be greater than zero'));
  validateVolumeMode(spec, 'spec', errs);
  return errs;
}

const pvcColumns: TableColumn[] = [
  { name: 'Status', type: 'string', description: 'phase represents the current phase of PersistentVolumeClaim.', priority: 0 },
  { name: 'Volume', type: 'string', description: 'volumeName is the binding reference to the PersistentVolume backing this claim.', priority: 0 },
  { name: 'Capacity', type: 'string', description: 'capacity represents the actual resources of the underlying volume.', priority: 0 },
  { name: 'Access Modes', type: 'string', description: 'accessModes contains the actual access modes the volume backing the PVC has.', priority: 0 },
  { name: 'StorageClass', type: 'string', description: 'StorageClass of the pvc', priority: 0 },
  { name: 'VolumeAttributesClass', type: 'string', description: 'VolumeAttributesClass of the pvc', priority: 0 },
  AGE_COLUMN,
  { name: 'VolumeMode', type: 'string', description: 'volumeMode defines what type of volume is required by the claim.', priority: 1 },
];

export const persistentVolumeClaimStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', singular: 'persistentvolumeclaim', namespaced: true,
  shortNames: ['pvc'],
  subresources: { status: true },
  generation: false,
  defaults(obj) {
    setDefault(child(obj, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(child(obj, 'status'), 'phase', 'Pending');
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  validate: validatePVC,
  validateUpdate(obj, old) {
    const errs = validatePVC(obj);
    // Only storage requests (expansion), the attributes class and a first binding may change.
    const spec = clone(asObj(obj.spec));
    const oldSpec = asObj(old.spec);
    child(spec, 'resources').requests = asObj(oldSpec.resources).requests;
    spec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
    if (!asStr(oldSpec.volumeName)) spec.volumeName = oldSpec.volumeName;
    if (!deepEqual(spec, oldSpec)) errs.push(field.forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    return errs;
  },
  columns: pvcColumns,
  row(obj, ctx) {
    const spec = asObj(obj.spec);
    const status = asObj(obj.status);
    const bound = asStr(spec.volumeName) !== '';
    const storageClass = obj.metadata.annotations?.[STORAGE_CLASS_ANNOTATION] ?? asStr(spec.storageClassName);
    return [
      obj.metadata.deletionTimestamp ? 'Terminating' : asStr(status.phase), asStr(spec.volumeName),
      bound ? asStr(asObj(status.capacity).storage) || '0' : '', bound ? accessModesString(status.accessModes) : '',
      storageClass, asStr(spec.volumeAttributesClassName) || '<unset>', ageSince(obj.metadata.creationTimestamp, ctx.now),
      asStr(spec.volumeMode) || '<unset>',
    ];
  },
};
