// Which pods back a service and how: shared by the Endpoints and EndpointSlice controllers.
import type { ObjectReference, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isPodTerminal } from './pods.js';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const SLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

/** A pod is an endpoint once it has an IP and is not finished; terminating ones only when asked for. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  return includeTerminating || !pod.metadata?.deletionTimestamp;
}

export function podIPv4(pod: Pod): string | undefined {
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip): ip is string => !!ip && !ip.includes(':'));
}

export function podRef(pod: Pod): ObjectReference {
  return { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
}

/** The DNS hostname a pod publishes through this service (spec.hostname under a matching subdomain). */
export function endpointHostname(pod: Pod, svc: Service): string | undefined {
  const h = pod.spec?.hostname;
  return h && pod.spec?.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace ? h : undefined;
}

/** Labels a service's endpoints objects carry: the service's own plus the headless marker. */
export function endpointLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata?.labels ?? {}) };
  if (svc.spec?.clusterIP === 'None') out[HEADLESS_LABEL] = '';
  else delete out[HEADLESS_LABEL];
  return out;
}

/**
 * When something about the pods last changed that the endpoints reflect (upstream's
 * trigger-time tracker, approximated): the latest pod condition transition or creation.
 */
export function lastChangeTime(svc: Service, pods: readonly Pod[]): string | undefined {
  let best = svc.metadata?.creationTimestamp;
  for (const p of pods) {
    for (const t of [p.metadata?.creationTimestamp, p.metadata?.deletionTimestamp, ...(p.status?.conditions ?? []).map((c) => c.lastTransitionTime)]) {
      if (t && (!best || Date.parse(t) > Date.parse(best))) best = t;
    }
  }
  return best;
}
