// apps/v1: ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet.
import type { KObject, ResourceStrategy, ScaleSubresource } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { formatLabelSelector, formatLabels } from '../../../machinery/labels.js';
import { getControllerOf, deepEqual } from '../../../machinery/meta.js';
import { validateImmutableField, validateNonnegativeField } from '../../../machinery/validation.js';
import { defaultPodTemplateSpec, validatePodTemplateSpec } from '../core/podspec.js';
import {
  AGE, CONTAINERS, IMAGES, SELECTOR, age, asNum, asObj, asObjs, asSelector, child, col, containerCells, intOrPercentValue,
  isObj, isSet, nonNegative, readSpec, readStatus, selectorString, setDefault, specOf, validateAlwaysRestart,
  validateNotMoreThan100Percent, validatePositiveIntOrPercent, validateWorkloadSelector, type Obj,
} from './util.js';

const SCALE: ScaleSubresource = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' };

/** The spec.selector of apps/v1 workloads cannot change after creation. */
const selectorImmutable = (obj: KObject, old: KObject): FieldError[] => validateImmutableField(readSpec(obj).selector, readSpec(old).selector, 'spec.selector');

/** Status counters: each non-negative, and the listed ones not above status.replicas. */
function validateReplicaStatus(obj: KObject, counters: string[], boundedByReplicas: string[]): FieldError[] {
  const s = readStatus(obj);
  const errs = nonNegative(s, 'status', ...counters, 'observedGeneration', 'collisionCount');
  for (const k of boundedByReplicas) {
    if (asNum(s[k]) > asNum(s.replicas)) errs.push(field.invalid(`status.${k}`, s[k], 'cannot be greater than status.replicas'));
  }
  return errs;
}

// ---- ControllerRevision ---------------------------------------------------------------

function validateControllerRevision(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!isSet(obj.data)) errs.push(field.required('data', 'data is mandatory'));
  if (typeof obj.revision === 'number') errs.push(...validateNonnegativeField(obj.revision, 'revision'));
  return errs;
}

/** "statefulset.apps/web" for the controlling owner, as upstream formats a group-kind and name. */
function controllerName(obj: KObject): string {
  const ref = getControllerOf(obj);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

const controllerRevisions: ResourceStrategy = {
  group: 'apps', version: 'v1', kind: 'ControllerRevision', plural: 'controllerrevisions', singular: 'controllerrevision', namespaced: true,
  validate: validateControllerRevision,
  validateUpdate: (obj, old) => [...validateControllerRevision(obj), ...validateImmutableField(obj.data, old.data, 'data')],
  columns: [col('Controller', 'string', 'Controller of the object.'), col('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'), AGE],
  row: (obj, ctx) => [controllerName(obj), asNum(obj.revision), age(obj, ctx)],
};

// ---- DaemonSet ------------------------------------------------------------------------

/** apps/v1 carries the internal spec.templateGeneration in this annotation. */
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function validateDaemonSetRollingUpdate(ru: Obj, path: string): FieldError[] {
  const errs = [
    ...validatePositiveIntOrPercent(ru.maxUnavailable, `${path}.maxUnavailable`),
    ...validatePositiveIntOrPercent(ru.maxSurge, `${path}.maxSurge`),
    ...validateNotMoreThan100Percent(ru.maxUnavailable, `${path}.maxUnavailable`),
    ...validateNotMoreThan100Percent(ru.maxSurge, `${path}.maxSurge`),
  ];
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(field.invalid(`${path}.maxSurge`, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) errs.push(field.required(`${path}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

function validateDaemonSet(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const template = asObj(spec.template);
  // Unlike the other workloads, a DaemonSet without a selector only fails the template match.
  const errs = validateWorkloadSelector(spec, 'spec', 'daemonset', false);
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  errs.push(...validateAlwaysRestart(template, 'spec.template', 'DaemonSet'));
  errs.push(...nonNegative(spec, 'spec', 'minReadySeconds'));
  const us = asObj(spec.updateStrategy);
  switch (us.type) {
    case 'OnDelete': break;
    case 'RollingUpdate':
      if (!isObj(us.rollingUpdate)) errs.push(field.required('spec.updateStrategy.rollingUpdate', ''));
      else errs.push(...validateDaemonSetRollingUpdate(us.rollingUpdate, 'spec.updateStrategy.rollingUpdate'));
      break;
    default: errs.push(field.notSupported('spec.updateStrategy', us, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...nonNegative(spec, 'spec', 'revisionHistoryLimit'));
  return errs;
}

const daemonSets: ResourceStrategy = {
  group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets', singular: 'daemonset', namespaced: true,
  shortNames: ['ds'], categories: ['all'], subresources: { status: true },
  defaults(obj) {
    const spec = specOf(obj);
    const us = child(spec, 'updateStrategy');
    setDefault(us, 'type', 'RollingUpdate');
    if (us.type === 'RollingUpdate') {
      const ru = child(us, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', 1);
      setDefault(ru, 'maxSurge', 0);
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplateSpec(child(spec, 'template'));
  },
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
    obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION]: '1' };
  },
  prepareForUpdate(obj, old) {
    // The template generation moves on only when the pod template changes.
    const prev = Number(old.metadata.annotations?.[TEMPLATE_GENERATION] ?? '0') || 0;
    const next = deepEqual(readSpec(obj).template, readSpec(old).template) ? prev : prev + 1;
    obj.metadata.annotations = { ...obj.metadata.annotations, [TEMPLATE_GENERATION]: String(Math.max(next, 1)) };
  },
  validate: validateDaemonSet,
  validateUpdate: (obj, old) => [...validateDaemonSet(obj), ...selectorImmutable(obj, old)],
  validateStatusUpdate: (obj) => nonNegative(readStatus(obj), 'status', 'currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled',
    'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount'),
  columns: [
    col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    col('Current', 'integer', 'The number of nodes running at least one daemon pod that are supposed to.'),
    col('Ready', 'integer', 'The number of nodes running the daemon pod with a Ready condition.'),
    col('Up-to-date', 'integer', 'The number of nodes running the updated daemon pod.'),
    col('Available', 'integer', 'The number of nodes running an available daemon pod.'),
    col('Node Selector', 'string', 'The node selector of the pod template.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const s = readStatus(obj);
    const nodeSelector = formatLabels(asObj(asObj(asObj(spec.template).spec).nodeSelector) as Record<string, string>);
    return [asNum(s.desiredNumberScheduled), asNum(s.currentNumberScheduled), asNum(s.numberReady), asNum(s.updatedNumberScheduled),
      asNum(s.numberAvailable), nodeSelector || '<none>', age(obj, ctx), ...containerCells(spec.template), formatLabelSelector(asSelector(spec.selector))];
  },
};

// ---- Deployment -----------------------------------------------------------------------

function validateDeploymentStrategy(strategy: Obj, path: string): FieldError[] {
  switch (strategy.type) {
    case 'Recreate':
      return isSet(strategy.rollingUpdate) ? [field.forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      if (!isObj(strategy.rollingUpdate)) return [field.required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const ru = strategy.rollingUpdate;
      const p = `${path}.rollingUpdate`;
      const errs = [...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...validatePositiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`)];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(field.invalid(`${p}.maxUnavailable`, ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
      return [...errs, ...validateNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`)];
    }
    default:
      return [field.notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  }
}

/** The template checks Deployments and ReplicaSets share (upstream ValidatePodTemplateSpecForReplicaSet). */
function validateReplicaSetTemplate(spec: Obj, kind: string): FieldError[] {
  return [...validatePodTemplateSpec(spec.template, 'spec.template'), ...validateAlwaysRestart(asObj(spec.template), 'spec.template', kind)];
}

function validateDeployment(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs = [...nonNegative(spec, 'spec', 'replicas'), ...validateWorkloadSelector(spec, 'spec', 'deployment'), ...validateReplicaSetTemplate(spec, 'ReplicaSet')];
  errs.push(...validateDeploymentStrategy(asObj(spec.strategy), 'spec.strategy'));
  errs.push(...nonNegative(spec, 'spec', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds'));
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= asNum(spec.minReadySeconds)) {
    errs.push(field.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

const deployments: ResourceStrategy = {
  group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true,
  shortNames: ['deploy'], categories: ['all'], subresources: { status: true, scale: SCALE },
  defaults(obj) {
    const spec = specOf(obj);
    setDefault(spec, 'replicas', 1);
    const strategy = child(spec, 'strategy');
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = child(strategy, 'rollingUpdate');
      setDefault(ru, 'maxUnavailable', '25%');
      setDefault(ru, 'maxSurge', '25%');
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
    defaultPodTemplateSpec(child(spec, 'template'));
  },
  prepareForCreate(obj) { obj.status = {}; },
  validate: validateDeployment,
  validateUpdate: (obj, old) => [...validateDeployment(obj), ...selectorImmutable(obj, old)],
  validateStatusUpdate(obj) {
    const errs = validateReplicaStatus(obj, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'], ['updatedReplicas', 'readyReplicas', 'availableReplicas']);
    const s = readStatus(obj);
    if (asNum(s.availableReplicas) > asNum(s.readyReplicas)) errs.push(field.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'));
    return errs;
  },
  columns: [
    col('Ready', 'string', 'Number of the pod with ready state'),
    col('Up-to-date', 'string', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'string', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const s = readStatus(obj);
    return [`${asNum(s.readyReplicas)}/${asNum(spec.replicas)}`, asNum(s.updatedReplicas), asNum(s.availableReplicas), age(obj, ctx),
      ...containerCells(spec.template), selectorString(asSelector(spec.selector))];
  },
};

// ---- ReplicaSet -----------------------------------------------------------------------

function validateReplicaSet(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  // Upstream reuses the Deployment wording for an empty ReplicaSet selector.
  return [...nonNegative(spec, 'spec', 'replicas', 'minReadySeconds'), ...validateWorkloadSelector(spec, 'spec', 'deployment'), ...validateReplicaSetTemplate(spec, 'ReplicaSet')];
}

const replicaSets: ResourceStrategy = {
  group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true,
  shortNames: ['rs'], categories: ['all'], subresources: { status: true, scale: SCALE },
  defaults(obj) {
    const spec = specOf(obj);
    setDefault(spec, 'replicas', 1);
    defaultPodTemplateSpec(child(spec, 'template'));
  },
  prepareForCreate(obj) { obj.status = { replicas: 0 }; },
  validate: validateReplicaSet,
  validateUpdate: (obj, old) => [...validateReplicaSet(obj), ...selectorImmutable(obj, old)],
  validateStatusUpdate(obj) {
    const errs = validateReplicaStatus(obj, ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']);
    const s = readStatus(obj);
    if (asNum(s.availableReplicas) > asNum(s.readyReplicas)) errs.push(field.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'));
    return errs;
  },
  columns: [
    col('Desired', 'integer', 'Number of desired pods.'),
    col('Current', 'integer', 'The most recently observed number of replicas.'),
    col('Ready', 'integer', 'The number of pods targeted by this ReplicaSet with a Ready Condition.'),
    AGE, CONTAINERS, IMAGES, SELECTOR,
  ],
  row(obj, ctx) {
    const spec = readSpec(obj);
    const s = readStatus(obj);
    return [asNum(spec.replicas), asNum(s.replicas), asNum(s.readyReplicas), age(obj, ctx), ...containerCells(spec.template), formatLabelSelector(asSelector(spec.selector))];
  },
  fieldSelectors: { 'status.replicas': (obj) => String(asNum(readStatus(obj).replicas)) },
};

// ---- StatefulSet ----------------------------------------------------------------------

/** Spec fields an update may change; any other difference is rejected as a whole. */
const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSet(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const errs: FieldError[] = [];
  const pmp = spec.podManagementPolicy;
  if (!pmp) errs.push(field.required('spec.podManagementPolicy', ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(field.invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = asObj(spec.updateStrategy);
  switch (us.type ?? '') {
    case '': errs.push(field.required('spec.updateStrategy', '')); break;
    case 'OnDelete':
      if (isSet(us.rollingUpdate)) errs.push(field.invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObj(us.rollingUpdate)) {
        const ru = us.rollingUpdate;
        const p = 'spec.updateStrategy.rollingUpdate';
        errs.push(...nonNegative(ru, p, 'partition'));
        if (isSet(ru.maxUnavailable)) {
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`));
          if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(field.invalid(`${p}.maxUnavailable`, ru.maxUnavailable, 'cannot be 0'));
          errs.push(...validateNotMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
        }
      }
      break;
    default: errs.push(field.invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  if (isObj(spec.persistentVolumeClaimRetentionPolicy)) {
    for (const k of ['whenDeleted', 'whenScaled']) {
      const v = spec.persistentVolumeClaimRetentionPolicy[k];
      if (v !== 'Retain' && v !== 'Delete') errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v ?? '', ['Retain', 'Delete']));
    }
  }
  errs.push(...nonNegative(spec, 'spec', 'replicas', 'minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals, 'spec.ordinals', 'start'));
  errs.push(...validateWorkloadSelector(spec, 'spec', 'statefulset'));
  // Upstream checks only the template's labels here, not its pod spec.
  errs.push(...validateAlwaysRestart(asObj(spec.template), 'spec.template', 'StatefulSet'));
  return errs;
}

function validateStatefulSetUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validateStatefulSet(obj);
  const strip = (spec: Obj) => Object.fromEntries(Object.entries(spec).filter(([k]) => !STS_MUTABLE.includes(k)));
  if (!deepEqual(strip(readSpec(obj)), strip(readSpec(old)))) {
    errs.push(field.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

const statefulSets: ResourceStrategy = {
  group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', singular: 'statefulset', namespaced: true,
  shortNames: ['sts'], categories: ['all'], subresources: { status: true, scale: SCALE },
  defaults(obj) {
    const spec = specOf(obj);
    setDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const us = child(spec, 'updateStrategy');
    if (!us.type) {
      us.type = 'RollingUpdate';
      child(us, 'rollingUpdate');
    }
    if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) setDefault(us.rollingUpdate, 'partition', 0);
    const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
    setDefault(spec, 'replicas', 1);
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplateSpec(child(spec, 'template'));
    // Claim templates are full PersistentVolumeClaims and get that kind's defaults.
    for (const pvc of asObjs(spec.volumeClaimTemplates)) {
      setDefault(pvc, 'apiVersion', 'v1');
      setDefault(pvc, 'kind', 'PersistentVolumeClaim');
      setDefault(child(pvc, 'spec'), 'volumeMode', 'Filesystem');
      setDefault(child(pvc, 'status'), 'phase', 'Pending');
    }
  },
  prepareForCreate(obj) { obj.status = { replicas: 0, availableReplicas: 0 }; },
  validate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  validateStatusUpdate(obj) {
    const errs = validateReplicaStatus(obj, ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'], ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas']);
    const s = readStatus(obj);
    if (asNum(s.availableReplicas) > asNum(s.readyReplicas)) errs.push(field.invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than status.readyReplicas'));
    return errs;
  },
  columns: [col('Ready', 'string', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  row(obj, ctx) {
    const spec = readSpec(obj);
    return [`${asNum(readStatus(obj).readyReplicas)}/${asNum(spec.replicas)}`, age(obj, ctx), ...containerCells(spec.template)];
  },
};

export const appsResources: ResourceStrategy[] = [controllerRevisions, daemonSets, deployments, replicaSets, statefulSets];
