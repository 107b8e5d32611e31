// Pod: defaults (including the stand-ins for the ServiceAccount and Priority admission
// plugins), create/update validation, the `kubectl get pods` table and field selectors.
import type { KObject, ResourceStrategy, TableColumn } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { defaultPodSpec, podSummary, validatePodSpec } from './podspec.js';
import { ageSince } from '../../../machinery/duration.js';
import { asNum, asObj, asObjs, asStr, child, clone, deepEqual, isObj, quantityOf, type Obj } from './util.js';
import { AGE_COLUMN } from './columns.js';

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function defaultPod(obj: KObject): void {
  const spec = child(obj, 'spec');
  defaultPodSpec(spec);
  // SetDefaults_Pod: requests default to limits for each resource given only a limit.
  for (const c of [...asObjs(spec.containers), ...asObjs(spec.initContainers)]) {
    const res = asObj(c.resources);
    if (!isObj(res.limits)) continue;
    const requests = child(res, 'requests');
    for (const [k, v] of Object.entries(res.limits)) if (!(k in requests)) requests[k] = v;
  }
  if (typeof spec.enableServiceLinks !== 'boolean') spec.enableServiceLinks = true;
  if (spec.hostNetwork === true) {
    for (const c of [...asObjs(spec.containers), ...asObjs(spec.initContainers)]) {
      for (const p of asObjs(c.ports)) if (!p.hostPort) p.hostPort = p.containerPort;
    }
  }
  // The deprecated spec.serviceAccount mirrors serviceAccountName, as upstream's conversion
  // keeps them; "default" comes from the ServiceAccount admission plugin (not for mirror pods).
  if (!asStr(spec.serviceAccountName) && asStr(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
  if (asStr(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  // priority and preemptionPolicy come from the Priority admission plugin, as upstream.
}

/** Upstream QoS class from cpu/memory requests and limits of all containers. */
export function podQOSClass(spec: Obj): string {
  const containers = [...asObjs(spec.containers), ...asObjs(spec.initContainers)];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const res = asObj(c.resources);
    const req = asObj(res.requests);
    const lim = asObj(res.limits);
    for (const r of ['cpu', 'memory']) {
      const rq = quantityOf(req[r]);
      const lq = quantityOf(lim[r]);
      if ((rq?.sign() ?? 0) > 0 || (lq?.sign() ?? 0) > 0) any = true;
      if (!lq || lq.sign() <= 0 || (rq && !rq.equal(lq))) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const tolerationKey = (t: Obj) => JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);

/** Upstream ValidatePodUpdate: only a few spec fields may change on a live pod. */
function validatePodUpdate(obj: KObject, old: KObject): FieldError[] {
  const errs = validatePodSpec(obj.spec, 'spec');
  const spec = asObj(obj.spec);
  const oldSpec = asObj(old.spec);

  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (typeof ads === 'number') {
    if (typeof oldAds === 'number' && oldAds < ads) errs.push(field.invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
  } else if (typeof oldAds === 'number') {
    errs.push(field.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  const newTolerations = new Set(asObjs(spec.tolerations).map(tolerationKey));
  if (asObjs(oldSpec.tolerations).some((t) => !newTolerations.has(tolerationKey(t)))) {
    errs.push(field.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  }
  const oldGates = new Set(asObjs(oldSpec.schedulingGates).map((g) => asStr(g.name)));
  for (const [i, g] of asObjs(spec.schedulingGates).entries()) {
    if (!oldGates.has(asStr(g.name))) errs.push(field.forbidden(`spec.schedulingGates[${i}]`, `only deletion is allowed, but found new scheduling gate '${asStr(g.name)}'`));
  }

  // Take every field that may change from the old spec; anything still different is forbidden.
  const munged = clone(spec);
  for (const key of ['containers', 'initContainers']) {
    const cur = asObjs(munged[key]);
    const prev = asObjs(oldSpec[key]);
    if (cur.length === prev.length) cur.forEach((c, i) => { c.image = prev[i].image; });
  }
  for (const key of ['activeDeadlineSeconds', 'tolerations', 'schedulingGates']) {
    if (oldSpec[key] === undefined) delete munged[key];
    else munged[key] = oldSpec[key];
  }
  if (asNum(oldSpec.terminationGracePeriodSeconds) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  if (!deepEqual(munged, oldSpec)) {
    const diff = diffPaths(oldSpec, munged, 'spec').slice(0, 5).join('\n');
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}\n${diff}`));
  }
  return errs;
}

/** Human hints of where two JSON values differ, as "path: old -> new" lines. */
function diffPaths(a: unknown, b: unknown, path: string): string[] {
  if (deepEqual(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => diffPaths(x, b[i], `${path}[${i}]`));
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffPaths(a[k], b[k], `${path}.${k}`));
  }
  return [`  ${path}: ${JSON.stringify(a) ?? '<unset>'} -> ${JSON.stringify(b) ?? '<unset>'}`];
}

const columns: TableColumn[] = [
  { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.', priority: 0 },
  { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.', priority: 0 },
  { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', priority: 0 },
  AGE_COLUMN,
  { name: 'IP', type: 'string', description: 'IP address allocated to the pod.', priority: 1 },
  { name: 'Node', type: 'string', description: 'The node the pod is scheduled onto.', priority: 1 },
  { name: 'Nominated Node', type: 'string', description: 'The node nominated for the pod by preemption.', priority: 1 },
  { name: 'Readiness Gates', type: 'string', description: 'Readiness gates that must be true for the pod to be ready.', priority: 1 },
];

const firstPodIP = (pod: KObject): string => asStr(asObjs(asObj(pod.status).podIPs)[0]?.ip) || asStr(asObj(pod.status).podIP);

export const podStrategy: ResourceStrategy = {
  returnDeletedObject: true,
  // Pods bound to a node stop gracefully; unbound or finished pods go at once.
  deletionGracePeriod(obj, requested) {
    const spec = asObj(obj.spec);
    const phase = asStr(asObj(obj.status).phase);
    if (!asStr(spec.nodeName) || phase === 'Succeeded' || phase === 'Failed') return 0;
    return requested ?? (typeof spec.terminationGracePeriodSeconds === 'number' ? spec.terminationGracePeriodSeconds : 30);
  },
  group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true,
  shortNames: ['po'], categories: ['all'],
  subresources: { status: true },
  generation: false,
  defaults: defaultPod,
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: podQOSClass(asObj(obj.spec)) };
  },
  validate(obj) {
    const errs = validatePodSpec(obj.spec, 'spec');
    asObjs(asObj(obj.spec).containers).forEach((c, i) => {
      const image = asStr(c.image);
      if (image !== image.trim()) errs.push(field.invalid(`spec.containers[${i}].image`, image, 'must not have leading or trailing whitespace'));
    });
    return errs;
  },
  validateUpdate: validatePodUpdate,
  columns,
  row(obj, ctx) {
    const s = podSummary(obj);
    const restarts = s.restarts !== 0 && s.lastRestart ? `${s.restarts} (${ageSince(s.lastRestart, ctx.now)} ago)` : String(s.restarts);
    const spec = asObj(obj.spec);
    const status = asObj(obj.status);
    const gates = asObjs(spec.readinessGates);
    const conditions = asObjs(status.conditions);
    const gatesCell = gates.length
      ? `${gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length}/${gates.length}`
      : '<none>';
    return [
      s.ready, s.status, restarts, ageSince(obj.metadata.creationTimestamp, ctx.now),
      firstPodIP(obj) || '<none>', asStr(spec.nodeName) || '<none>', asStr(status.nominatedNodeName) || '<none>', gatesCell,
    ];
  },
  fieldSelectors: {
    'spec.nodeName': (o) => asStr(asObj(o.spec).nodeName),
    'spec.restartPolicy': (o) => asStr(asObj(o.spec).restartPolicy),
    'spec.schedulerName': (o) => asStr(asObj(o.spec).schedulerName),
    'spec.serviceAccountName': (o) => asStr(asObj(o.spec).serviceAccountName),
    'spec.hostNetwork': (o) => String(asObj(o.spec).hostNetwork === true),
    'status.phase': (o) => asStr(asObj(o.status).phase),
    'status.podIP': (o) => firstPodIP(o),
    'status.nominatedNodeName': (o) => asStr(asObj(o.status).nominatedNodeName),
  },
};
