// Namespace, Node and (core/v1) Event.
import type { KObject, ResourceStrategy, TableColumn } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { asArr, asNum, asObj, asObjs, asStr, child, setDefault } from './util.js';
import { ageSince } from '../../../machinery/duration.js';
import { AGE_COLUMN } from './columns.js';

const NAME_LABEL = 'kubernetes.io/metadata.name';

export const namespaceStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: { status: true },
  generation: false,
  nameValidation: 'label',
  defaults(obj) {
    if (obj.metadata.name) obj.metadata.labels = { ...obj.metadata.labels, [NAME_LABEL]: obj.metadata.name };
    setDefault(child(obj, 'status'), 'phase', 'Active');
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    const spec = child(obj, 'spec');
    const finalizers = asArr(spec.finalizers).map(asStr);
    if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
  },
  prepareForUpdate(obj, old) {
    // spec.finalizers change only through the namespaces/finalize subresource.
    obj.spec = { ...asObj(obj.spec), finalizers: asObj(old.spec).finalizers };
    if (asObj(old.spec).finalizers === undefined) delete asObj(obj.spec).finalizers;
  },
  // Deletion waits for the namespace controller to empty it and clear spec.finalizers.
  pendingFinalization: (obj) => asArr(asObj(obj.spec).finalizers).length > 0,
  markDeleting(obj) {
    obj.status = { ...asObj(obj.status), phase: 'Terminating' };
  },
  columns: [{ name: 'Status', type: 'string', description: 'The status of the namespace', priority: 0 }, AGE_COLUMN],
  row: (obj, ctx) => [asStr(asObj(obj.status).phase), ageSince(obj.metadata.creationTimestamp, ctx.now)],
  fieldSelectors: {
    'status.phase': (o) => asStr(asObj(o.status).phase),
    name: (o) => o.metadata.name,
  },
};

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/** Upstream node STATUS: Ready / NotReady / Unknown, plus ",SchedulingDisabled" when cordoned. */
export function nodeStatusString(node: KObject): string {
  const ready = asObjs(asObj(node.status).conditions).find((c) => c.type === 'Ready');
  const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (asObj(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** Roles from node-role.kubernetes.io/<role> label keys and the kubernetes.io/role value, sorted. */
export function nodeRoles(node: KObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) {
      const role = k.slice('node-role.kubernetes.io/'.length);
      if (role) roles.add(role);
    } else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return [...roles].sort();
}

const nodeAddress = (node: KObject, type: string): string =>
  asStr(asObjs(asObj(node.status).addresses).find((a) => a.type === type)?.address) || '<none>';

function validateNode(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  asObjs(asObj(obj.spec).taints).forEach((t, i) => {
    if (!asStr(t.key)) errs.push(field.required(`spec.taints[${i}].key`, ''));
    const effect = asStr(t.effect);
    if (!effect) errs.push(field.required(`spec.taints[${i}].effect`, ''));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(field.notSupported(`spec.taints[${i}].effect`, effect, TAINT_EFFECTS));
  });
  return errs;
}

const nodeColumns: TableColumn[] = [
  { name: 'Status', type: 'string', description: 'The status of the node', priority: 0 },
  { name: 'Roles', type: 'string', description: 'The roles of the node', priority: 0 },
  AGE_COLUMN,
  { name: 'Version', type: 'string', description: 'Kubelet Version reported by the node.', priority: 0 },
  { name: 'Internal-IP', type: 'string', description: 'The first InternalIP address of the node.', priority: 1 },
  { name: 'External-IP', type: 'string', description: 'The first ExternalIP address of the node.', priority: 1 },
  { name: 'OS-Image', type: 'string', description: 'OS Image reported by the node.', priority: 1 },
  { name: 'Kernel-Version', type: 'string', description: 'Kernel Version reported by the node.', priority: 1 },
  { name: 'Container-Runtime', type: 'string', description: 'ContainerRuntime Version reported by the node.', priority: 1 },
];

export const nodeStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false,
  shortNames: ['no'],
  subresources: { status: true },
  generation: false,
  defaults(obj) {
    const status = asObj(obj.status);
    if (status.allocatable === undefined && status.capacity !== undefined) status.allocatable = { ...asObj(status.capacity) };
  },
  validate: validateNode,
  validateUpdate(obj, old) {
    const errs = validateNode(obj);
    const spec = asObj(obj.spec);
    const oldSpec = asObj(old.spec);
    const oldCIDRs = asArr(oldSpec.podCIDRs);
    if (oldCIDRs.length > 0 && JSON.stringify(asArr(spec.podCIDRs)) !== JSON.stringify(oldCIDRs)) {
      errs.push(field.forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
    if (asStr(oldSpec.providerID) && spec.providerID !== oldSpec.providerID) {
      errs.push(field.forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
    }
    return errs;
  },
  columns: nodeColumns,
  row(obj, ctx) {
    const info = asObj(asObj(obj.status).nodeInfo);
    return [
      nodeStatusString(obj), nodeRoles(obj).join(',') || '<none>', ageSince(obj.metadata.creationTimestamp, ctx.now), asStr(info.kubeletVersion),
      nodeAddress(obj, 'InternalIP'), nodeAddress(obj, 'ExternalIP'),
      asStr(info.osImage) || '<unknown>', asStr(info.kernelVersion) || '<unknown>', asStr(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
  fieldSelectors: { 'spec.unschedulable': (o) => String(asObj(o.spec).unschedulable === true) },
};

const eventColumns: TableColumn[] = [
  { name: 'Last Seen', type: 'string', description: 'The time at which the most recent occurrence of this event was recorded.', priority: 0 },
  { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning).', priority: 0 },
  { name: 'Reason', type: 'string', description: 'Short, machine understandable string that gives the reason for this event.', priority: 0 },
  { name: 'Object', type: 'string', description: 'The object that this event is about.', priority: 0 },
  { name: 'Subobject', type: 'string', description: 'The field of the object this event is about.', priority: 1 },
  { name: 'Source', type: 'string', description: 'The component reporting this event.', priority: 1 },
  { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.', priority: 0 },
  { name: 'First Seen', type: 'string', description: 'The time at which the event was first recorded.', priority: 1 },
  { name: 'Count', type: 'string', description: 'The number of times this event has occurred.', priority: 1 },
  // Upstream puts the event's own name last (wide only); the server must not prepend NAME here.
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 1 },
];

export const eventStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true,
  shortNames: ['ev'],
  validate(obj) {
    const errs: FieldError[] = [];
    const involved = asObj(obj.involvedObject);
    const ns = asStr(involved.namespace);
    if (ns && ns !== obj.metadata.namespace) errs.push(field.invalid('involvedObject.namespace', ns, 'does not match event.namespace'));
    return errs;
  },
  columns: eventColumns,
  row(obj, ctx) {
    const involved = asObj(obj.involvedObject);
    const series = obj.series === undefined || obj.series === null ? undefined : asObj(obj.series);
    const first = ageSince(asStr(obj.firstTimestamp) || asStr(obj.eventTime) || undefined, ctx.now);
    let last = obj.lastTimestamp ? ageSince(asStr(obj.lastTimestamp), ctx.now) : first;
    let count = asNum(obj.count);
    if (series) {
      last = ageSince(asStr(series.lastObservedTime) || undefined, ctx.now);
      count = asNum(series.count);
    } else if (count === 0) count = 1;
    const kind = asStr(involved.kind).toLowerCase();
    const target = asStr(involved.name) ? `${kind}/${asStr(involved.name)}` : kind;
    const source = asObj(obj.source);
    const component = asStr(source.component) || asStr(obj.reportingComponent);
    const instance = asStr(source.host) || asStr(obj.reportingInstance);
    return [
      last, asStr(obj.type), asStr(obj.reason), target, asStr(involved.fieldPath),
      instance ? `${component}, ${instance}` : component, asStr(obj.message).trim(), first, count, obj.metadata.name ?? '',
    ];
  },
  fieldSelectors: {
    'involvedObject.kind': (o) => asStr(asObj(o.involvedObject).kind),
    'involvedObject.namespace': (o) => asStr(asObj(o.involvedObject).namespace),
    'involvedObject.name': (o) => asStr(asObj(o.involvedObject).name),
    'involvedObject.uid': (o) => asStr(asObj(o.involvedObject).uid),
    'involvedObject.apiVersion': (o) => asStr(asObj(o.involvedObject).apiVersion),
    'involvedObject.resourceVersion': (o) => asStr(asObj(o.involvedObject).resourceVersion),
    'involvedObject.fieldPath': (o) => asStr(asObj(o.involvedObject).fieldPath),
    reason: (o) => asStr(o.reason),
    reportingComponent: (o) => asStr(o.reportingComponent),
    source: (o) => asStr(asObj(o.source).component),
    type: (o) => asStr(o.type),
  },
};
