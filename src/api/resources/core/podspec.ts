// PodSpec defaulting and validation shared by every kind that embeds a pod template
// (Pod, PodTemplate, and the apps/batch workloads), and the pod summary kubectl prints.
import { field, type FieldError } from '../../../machinery/errors.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortName, isValidPortNum } from '../../../machinery/validation.js';
import { ErrFormatWrong } from '../../../machinery/quantity.js';
import { asNum, asObj, asObjs, asStr, child, isObj, quantityOf, setDefault, type Obj } from './util.js';

// ---------------------------------------------------------------- defaulting

/** Upstream SetDefaults_PodSpec plus the nested Container/Volume/Probe defaults, in place. */
export function defaultPodSpec(spec: Obj): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  if (typeof spec.terminationGracePeriodSeconds !== 'number') spec.terminationGracePeriodSeconds = 30;
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of asObjs(spec[key])) defaultContainer(c);
  }
  for (const v of asObjs(spec.volumes)) defaultVolume(v);
}

/** Defaults the spec inside a PodTemplateSpec (`{metadata, spec}`). */
export function defaultPodTemplateSpec(template: Obj): void {
  defaultPodSpec(child(template, 'spec'));
}

/** "Always" for an untagged or ":latest" image without digest, else "IfNotPresent". */
export function defaultPullPolicy(image: string): string {
  const noDigest = image.split('@')[0];
  const hasDigest = noDigest !== image;
  const lastPart = noDigest.slice(noDigest.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  const tag = colon >= 0 ? lastPart.slice(colon + 1) : '';
  return tag === 'latest' || (!tag && !hasDigest) ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Obj): void {
  setDefault(c, 'imagePullPolicy', defaultPullPolicy(asStr(c.image)));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  // Go serializes the non-pointer ResourceRequirements struct even when empty.
  if (!isObj(c.resources)) c.resources = {};
  for (const p of asObjs(c.ports)) setDefault(p, 'protocol', 'TCP');
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe']) if (isObj(c[k])) defaultProbe(c[k] as Obj);
  const lc = asObj(c.lifecycle);
  for (const k of ['postStart', 'preStop']) if (isObj(lc[k])) defaultHandler(lc[k] as Obj);
  for (const e of asObjs(c.env)) {
    const ref = asObj(asObj(e.valueFrom).fieldRef);
    if (isObj(asObj(e.valueFrom).fieldRef)) setDefault(ref, 'apiVersion', 'v1');
  }
}

function defaultProbe(p: Obj): void {
  if (!p.timeoutSeconds) p.timeoutSeconds = 1;
  if (!p.periodSeconds) p.periodSeconds = 10;
  if (!p.successThreshold) p.successThreshold = 1;
  if (!p.failureThreshold) p.failureThreshold = 3;
  defaultHandler(p);
}

function defaultHandler(h: Obj): void {
  if (isObj(h.httpGet)) {
    setDefault(h.httpGet, 'path', '/');
    setDefault(h.httpGet, 'scheme', 'HTTP');
  }
}

/** Volume source fields, in the order upstream checks them; exactly one must be set. */
const VOLUME_SOURCES = [
  'emptyDir', 'hostPath', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'flexVolume', 'persistentVolumeClaim', 'rbd', 'cinder', 'cephfs', 'quobyte', 'downwardAPI', 'fc', 'azureFile',
  'vsphereVolume', 'photonPersistentDisk', 'portworxVolume', 'azureDisk', 'storageos', 'configMap', 'scaleIO',
  'projected', 'csi', 'ephemeral', 'image', 'flocker',
];

function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    if (isObj(v[k]) && typeof v[k].defaultMode !== 'number') (v[k] as Obj).defaultMode = 0o644;
  }
  if (isObj(v.hostPath)) setDefault(v.hostPath, 'type', '');
  for (const item of asObjs(asObj(v.downwardAPI).items)) if (isObj(item.fieldRef)) setDefault(item.fieldRef, 'apiVersion', 'v1');
  for (const src of asObjs(asObj(v.projected).sources)) {
    if (isObj(src.serviceAccountToken) && typeof src.serviceAccountToken.expirationSeconds !== 'number') src.serviceAccountToken.expirationSeconds = 3600;
    for (const item of asObjs(asObj(src.downwardAPI).items)) if (isObj(item.fieldRef)) setDefault(item.fieldRef, 'apiVersion', 'v1');
  }
}

// ---------------------------------------------------------------- validation

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];

/** Validates a PodSpec found at `path` (e.g. "spec" or "spec.template.spec"). */
export function validatePodSpec(specValue: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const spec = asObj(specValue);
  const volumeNames = validateVolumes(spec.volumes, `${path}.volumes`, errs);
  const names = new Set<string>();
  const containers = asObjs(spec.containers);
  if (containers.length === 0) errs.push(field.required(`${path}.containers`, ''));
  containers.forEach((c, i) => validateContainer(c, `${path}.containers[${i}]`, names, volumeNames, errs));
  asObjs(spec.initContainers).forEach((c, i) => validateContainer(c, `${path}.initContainers[${i}]`, names, volumeNames, errs));
  validateEnum(spec.restartPolicy, `${path}.restartPolicy`, RESTART_POLICIES, errs);
  validateEnum(spec.dnsPolicy, `${path}.dnsPolicy`, DNS_POLICIES, errs);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = asNum(spec.activeDeadlineSeconds);
    if (!Number.isInteger(v) || v < 1 || v > 2147483647) errs.push(field.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  for (const k of ['serviceAccountName', 'nodeName']) {
    const v = asStr(spec[k]);
    if (v) for (const m of isDNS1123Subdomain(v)) errs.push(field.invalid(`${path}.${k}`, v, m));
  }
  for (const k of ['hostname', 'subdomain']) {
    const v = asStr(spec[k]);
    if (v) for (const m of isDNS1123Label(v)) errs.push(field.invalid(`${path}.${k}`, v, m));
  }
  return errs;
}

/** Validates a PodTemplateSpec found at `path` (e.g. "spec.template"). */
export function validatePodTemplateSpec(template: unknown, path: string): FieldError[] {
  if (!isObj(template)) return [field.required(path, '')];
  return validatePodSpec(template.spec, `${path}.spec`);
}

function validateEnum(v: unknown, path: string, allowed: string[], errs: FieldError[]): void {
  if (v === undefined || v === null || v === '') errs.push(field.required(path, ''));
  else if (!allowed.includes(asStr(v))) errs.push(field.notSupported(path, v, allowed));
}

function validateVolumes(value: unknown, path: string, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  asObjs(value).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const name = asStr(v.name);
    if (!name) errs.push(field.required(`${p}.name`, ''));
    else {
      for (const m of isDNS1123Label(name)) errs.push(field.invalid(`${p}.name`, name, m));
      if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
      names.add(name);
    }
    const sources = VOLUME_SOURCES.filter((k) => v[k] !== undefined && v[k] !== null);
    if (sources.length === 0) errs.push(field.required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) errs.push(field.forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    const required: [string, string][] = [['configMap', 'name'], ['secret', 'secretName'], ['persistentVolumeClaim', 'claimName'], ['hostPath', 'path']];
    for (const [src, key] of required) {
      if (isObj(v[src]) && !asStr(v[src][key])) errs.push(field.required(`${p}.${src}.${key}`, ''));
    }
  });
  return names;
}

function validateContainer(c: Obj, p: string, names: Set<string>, volumes: Set<string>, errs: FieldError[]): void {
  const name = asStr(c.name);
  if (!name) errs.push(field.required(`${p}.name`, ''));
  else {
    for (const m of isDNS1123Label(name)) errs.push(field.invalid(`${p}.name`, name, m));
    if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
    names.add(name);
  }
  if (!asStr(c.image)) errs.push(field.required(`${p}.image`, ''));
  validateEnum(c.imagePullPolicy, `${p}.imagePullPolicy`, PULL_POLICIES, errs);
  validateEnum(c.terminationMessagePolicy, `${p}.terminationMessagePolicy`, MESSAGE_POLICIES, errs);

  const portNames = new Set<string>();
  asObjs(c.ports).forEach((port, j) => {
    const pp = `${p}.ports[${j}]`;
    const pn = asStr(port.name);
    if (pn) {
      for (const m of isValidPortName(pn)) errs.push(field.invalid(`${pp}.name`, pn, m));
      if (portNames.has(pn)) errs.push(field.duplicate(`${pp}.name`, pn));
      portNames.add(pn);
    }
    if (!port.containerPort) errs.push(field.required(`${pp}.containerPort`, ''));
    else for (const m of isValidPortNum(asNum(port.containerPort))) errs.push(field.invalid(`${pp}.containerPort`, port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(asNum(port.hostPort))) errs.push(field.invalid(`${pp}.hostPort`, port.hostPort, m));
    validateEnum(port.protocol, `${pp}.protocol`, PROTOCOLS, errs);
  });

  asObjs(c.env).forEach((e, j) => {
    if (!asStr(e.name)) errs.push(field.required(`${p}.env[${j}].name`, ''));
  });

  const mountPaths = new Set<string>();
  asObjs(c.volumeMounts).forEach((m, j) => {
    const mp = `${p}.volumeMounts[${j}]`;
    const mn = asStr(m.name);
    if (!mn) errs.push(field.required(`${mp}.name`, ''));
    else if (!volumes.has(mn)) errs.push(field.notFound(`${mp}.name`, mn));
    const path = asStr(m.mountPath);
    if (!path) errs.push(field.required(`${mp}.mountPath`, ''));
    else if (mountPaths.has(path)) errs.push(field.invalid(`${mp}.mountPath`, path, 'must be unique'));
    mountPaths.add(path);
  });

  validateResources(c.resources, `${p}.resources`, errs);
}

function validateResources(value: unknown, p: string, errs: FieldError[]): void {
  const res = asObj(value);
  const limits = asObj(res.limits);
  const requests = asObj(res.requests);
  for (const [kind, list] of [['limits', limits], ['requests', requests]] as const) {
    for (const [k, q] of Object.entries(list)) {
      const v = quantityOf(q);
      if (!v) errs.push(field.invalid(`${p}.${kind}[${k}]`, q, ErrFormatWrong));
      else if (v.sign() < 0) errs.push(field.invalid(`${p}.${kind}[${k}]`, q, 'must be greater than or equal to 0'));
    }
  }
  for (const [k, q] of Object.entries(requests)) {
    if (!(k in limits)) continue;
    const rv = quantityOf(q);
    const lv = quantityOf(limits[k]);
    if (!rv || !lv) continue;
    // Extended resources (and hugepages) cannot be overcommitted: request must equal limit.
    const overcommit = ['cpu', 'memory', 'ephemeral-storage'].includes(k);
    if (!overcommit && !rv.equal(lv)) errs.push(field.invalid(`${p}.requests`, rv.toString(), `must be equal to ${k} limit of ${lv.toString()}`));
    else if (rv.cmp(lv) > 0) errs.push(field.invalid(`${p}.requests`, rv.toString(), `must be less than or equal to ${k} limit of ${lv.toString()}`));
  }
}

// ---------------------------------------------------------------- printing helpers

export interface PodSummary {
  /** "ready/total", counting restartable (sidecar) init containers. */
  ready: string;
  /** The STATUS column: phase or the most telling reason (CrashLoopBackOff, Init:0/1, Terminating...). */
  status: string;
  restarts: number;
  /** finishedAt of the most recent restart, if known. */
  lastRestart?: string;
}

const isSidecar = (c: Obj | undefined): boolean => asStr(c?.restartPolicy) === 'Always';
const condTrue = (pod: Obj, type: string): boolean =>
  asObjs(asObj(pod.status).conditions).some((c) => c.type === type && c.status === 'True');
const laterOf = (a: string | undefined, b: unknown): string | undefined => {
  const s = asStr(b);
  return s && (!a || Date.parse(s) > Date.parse(a)) ? s : a;
};

/** Upstream printPod's READY / STATUS / RESTARTS derivation. */
export function podSummary(podValue: unknown): PodSummary {
  const pod = asObj(podValue);
  const spec = asObj(pod.spec);
  const status = asObj(pod.status);
  const meta = asObj(pod.metadata);
  const phase = asStr(status.phase);
  let reason = asStr(status.reason) || phase;
  for (const c of asObjs(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }
  const initSpecs = new Map(asObjs(spec.initContainers).map((c) => [asStr(c.name), c] as const));
  const total = asObjs(spec.containers).length + [...initSpecs.values()].filter(isSidecar).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let last: string | undefined;
  let sidecarLast: string | undefined;

  let initializing = false;
  const initStatuses = asObjs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const state = asObj(cs.state);
    const term = isObj(state.terminated) ? state.terminated : undefined;
    const waiting = isObj(state.waiting) ? state.waiting : undefined;
    const lastTerm = asObj(asObj(cs.lastState).terminated);
    restarts += asNum(cs.restartCount);
    last = laterOf(last, lastTerm.finishedAt);
    const sidecar = isSidecar(initSpecs.get(asStr(cs.name)));
    if (sidecar) {
      sidecarRestarts += asNum(cs.restartCount);
      sidecarLast = laterOf(sidecarLast, lastTerm.finishedAt);
    }
    if (term && asNum(term.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (term) {
      const r = asStr(term.reason);
      reason = r ? `Init:${r}` : asNum(term.signal) ? `Init:Signal:${asNum(term.signal)}` : `Init:ExitCode:${asNum(term.exitCode)}`;
    } else if (waiting && asStr(waiting.reason) && waiting.reason !== 'PodInitializing') {
      reason = `Init:${asStr(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || condTrue(pod, 'Initialized')) {
    restarts = sidecarRestarts;
    last = sidecarLast;
    let hasRunning = false;
    const statuses = asObjs(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      const state = asObj(cs.state);
      restarts += asNum(cs.restartCount);
      last = laterOf(last, asObj(asObj(cs.lastState).terminated).finishedAt);
      const waiting = asObj(state.waiting);
      const term = isObj(state.terminated) ? state.terminated : undefined;
      if (asStr(waiting.reason)) reason = asStr(waiting.reason);
      else if (term && asStr(term.reason)) reason = asStr(term.reason);
      else if (term) reason = asNum(term.signal) ? `Signal:${asNum(term.signal)}` : `ExitCode:${asNum(term.exitCode)}`;
      else if (cs.ready === true && isObj(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = condTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (meta.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (meta.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts, lastRestart: last };
}

/** The STATUS column of `kubectl get pods`. */
export const podStatusReason = (pod: unknown): string => podSummary(pod).status;
/** The READY column of `kubectl get pods` ("1/2"). */
export const podReadyCount = (pod: unknown): string => podSummary(pod).ready;
