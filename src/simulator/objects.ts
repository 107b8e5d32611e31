// The objects a simulated kubelet writes: its Node, its Lease, and pod statuses along the
// lifecycle Pending -> Running -> Succeeded. Field values follow what a real kubelet
// reports, so kubectl and controllers cannot tell the difference.
import { createHash } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Container, ContainerStatus, Node, NodeCondition, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339Micro, rfc3339Now } from '../machinery/meta.js';

export const SIMULATED_LABEL = 'kite.dev/simulated';
export const KUBELET_VERSION = 'v1.32.0-kite';
export const RUNTIME_VERSION = 'kite-sim://0.1';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Upstream kubelet: lease 40 s, renewed every quarter of that. */
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
/** Upstream nodeStatusReportFrequency: status is re-posted this often even when unchanged. */
export const NODE_STATUS_REPORT_MS = 5 * 60_000;

export interface NodeShape {
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
}

const hex = (s: string, n = 64) => createHash('sha256').update(s).digest('hex').slice(0, n);
const uuid = (s: string) => { const h = hex(s, 32); return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`; };

export function nodeLabels(name: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    [SIMULATED_LABEL]: 'true',
  };
}

/** The kubelet's node conditions, all healthy, with the reasons and messages upstream uses. */
export function nodeConditions(heartbeatMs: number, transitionMs: number): NodeCondition[] {
  const c = (type: string, status: string, reason: string, message: string): NodeCondition =>
    ({ type, status, reason, message, lastHeartbeatTime: rfc3339Now(heartbeatMs), lastTransitionTime: rfc3339Now(transitionMs) });
  return [
    c('NetworkUnavailable', 'False', 'RouteCreated', 'RouteController created a route'),
    c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    c('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

export function nodeStatus(name: string, address: string, shape: NodeShape, nowMs: number, readySinceMs: number): Node['status'] {
  const resources = {
    cpu: shape.cpu, memory: shape.memory, pods: String(shape.pods), 'ephemeral-storage': shape.ephemeralStorage,
    'hugepages-1Gi': '0', 'hugepages-2Mi': '0',
  };
  return {
    capacity: resources,
    allocatable: { ...resources },
    conditions: nodeConditions(nowMs, readySinceMs),
    addresses: [{ type: 'InternalIP', address }, { type: 'Hostname', address: name }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: hex(`machine/${name}`, 32),
      systemUUID: uuid(`system/${name}`),
      bootID: uuid(`boot/${name}/${readySinceMs}`),
      kernelVersion: '6.1.0-kite-sim',
      osImage: 'Kite simulated node',
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: 'amd64',
    },
  };
}

export function nodeObject(name: string, address: string, shape: NodeShape, nowMs: number): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name,
      labels: nodeLabels(name),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: nodeStatus(name, address, shape, nowMs, nowMs),
  };
}

/** The node's heartbeat Lease, owned by the Node so it goes when the Node does. */
export function leaseObject(name: string, nodeUid: string | undefined, nowMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
    metadata: {
      name, namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: nodeUid ? [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUid }] : undefined,
    },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(nowMs) },
  };
}

// ---- pods ---------------------------------------------------------------------------

/** Repository part of an image reference (tag and digest dropped), as docker-pullable IDs carry it. */
function repository(image: string): string {
  const at = image.indexOf('@');
  const ref = at >= 0 ? image.slice(0, at) : image;
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

export function imageID(image: string): string {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : `sha256:${hex(`image/${image}`)}`;
  return `docker-pullable://${repository(image)}@${digest}`;
}

/** Stable per pod and container, so repeating a status write repeats the same IDs. */
export function containerID(podUid: string, container: string): string {
  return `kite-sim://${hex(`container/${podUid}/${container}`)}`;
}

const isSidecar = (c: Container) => c.restartPolicy === 'Always';

export interface RunningInfo {
  hostIP: string;
  podIP: string;
  startedMs: number;
}

function condition(type: string, status: string, atMs: number, reason?: string, message?: string): PodCondition {
  return { type, status, lastTransitionTime: rfc3339Now(atMs), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function scheduledCondition(pod: Pod, fallbackMs: number): PodCondition {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'True');
  return c ? { ...c } : condition('PodScheduled', 'True', fallbackMs);
}

/** Ready unless a readiness gate names a condition that is not True. */
function readyCondition(pod: Pod, atMs: number): PodCondition {
  const unready: string[] = [];
  for (const g of pod.spec?.readinessGates ?? []) {
    const c = pod.status?.conditions?.find((x) => x.type === g.conditionType);
    if (!c) unready.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
    else if (c.status !== 'True') unready.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
  }
  return unready.length ? condition('Ready', 'False', atMs, 'ReadinessGatesNotReady', unready.join(', ')) : condition('Ready', 'True', atMs);
}

/** Every container started and ready; init containers completed (sidecars running). */
export function runningStatus(pod: Pod, r: RunningInfo): PodStatus {
  const uid = pod.metadata?.uid ?? '';
  const at = rfc3339Now(r.startedMs);
  const base = (c: Container): ContainerStatus => ({
    name: c.name, image: c.image ?? '', imageID: imageID(c.image ?? ''), containerID: containerID(uid, c.name),
    ready: true, started: true, restartCount: 0, lastState: {}, state: { running: { startedAt: at } },
  });
  const inits = pod.spec?.initContainers ?? [];
  const gates = (pod.status?.conditions ?? []).filter((c) => (pod.spec?.readinessGates ?? []).some((g) => g.conditionType === c.type));
  return {
    phase: 'Running',
    hostIP: r.hostIP, hostIPs: [{ ip: r.hostIP }],
    podIP: r.podIP, podIPs: [{ ip: r.podIP }],
    startTime: at,
    qosClass: pod.status?.qosClass,
    conditions: [
      condition('PodReadyToStartContainers', 'True', r.startedMs),
      condition('Initialized', 'True', r.startedMs),
      readyCondition(pod, r.startedMs),
      condition('ContainersReady', 'True', r.startedMs),
      scheduledCondition(pod, r.startedMs),
      ...gates,
    ],
    initContainerStatuses: inits.length
      ? inits.map((c) => isSidecar(c) ? base(c) : {
        ...base(c), started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: at, finishedAt: at, containerID: containerID(uid, c.name) } },
      })
      : undefined,
    containerStatuses: (pod.spec?.containers ?? []).map(base),
  };
}

/** Every container exited 0; what the kubelet reports once a pod has run to completion or was stopped for deletion. */
export function succeededStatus(pod: Pod, r: RunningInfo, finishedMs: number): PodStatus {
  const running = runningStatus(pod, r);
  const start = rfc3339Now(r.startedMs);
  const done = (s: ContainerStatus): ContainerStatus => s.state?.terminated ? s : {
    ...s, ready: false, started: false,
    state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: start, finishedAt: rfc3339Now(finishedMs), containerID: s.containerID } },
  };
  return {
    ...running,
    phase: 'Succeeded',
    conditions: [
      condition('PodReadyToStartContainers', 'False', finishedMs),
      condition('Initialized', 'True', r.startedMs, 'PodCompleted'),
      condition('Ready', 'False', finishedMs, 'PodCompleted'),
      condition('ContainersReady', 'False', finishedMs, 'PodCompleted'),
      ...running.conditions!.slice(4),
    ],
    initContainerStatuses: running.initContainerStatuses?.map(done),
    containerStatuses: running.containerStatuses?.map(done),
  };
}
