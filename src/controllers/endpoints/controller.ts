// Endpoints controller: keeps a core/v1 Endpoints object per service with a selector,
// listing the IPs of the selected pods (ready ones in addresses, others in
// notReadyAddresses) with the service's ports resolved against each pod.
import type { EndpointAddress, EndpointPort, EndpointSubset, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { WorkQueue, isAlreadyExists, isConflict, isNotFound, objectKey, splitKey, type GroupVersionResource } from '../../client/index.js';
import { endpointHostname, endpointLabels, lastChangeTime, LAST_CHANGE_TRIGGER_TIME, podIPv4, podRef, shouldPodBeInEndpoints } from '../../api/helpers/endpoints.js';
import { findPort, isPodReady } from '../../api/helpers/pods.js';
import { deepEqual } from '../../machinery/meta.js';
import { selectorFromSet } from '../../machinery/labels.js';
import type { Controller, ControllerContext } from '../context.js';

const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services', namespaced: true };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const ENDPOINTS: GroupVersionResource = { group: '', version: 'v1', resource: 'endpoints', namespaced: true };

/** Upstream's cap on addresses in one Endpoints object; beyond it the object is truncated. */
const MAX_CAPACITY = 1000;
const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

const addrKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}`;
const byAddr = (a: EndpointAddress, b: EndpointAddress) => (addrKey(a) < addrKey(b) ? -1 : addrKey(a) > addrKey(b) ? 1 : 0);

/**
 * Groups (address, ports) pairs into subsets of addresses sharing one port set, as
 * upstream's RepackSubsets: addresses sorted by IP, ports by name, subsets by content.
 */
export function repackSubsets(entries: { addr: EndpointAddress; ready: boolean; ports: EndpointPort[] }[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: Map<string, EndpointAddress>; notReady: Map<string, EndpointAddress> }>();
  for (const e of entries) {
    const ports = [...e.ports].sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    const key = ports.map(portKey).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: new Map(), notReady: new Map() }));
    const k = addrKey(e.addr);
    // An address ready through one pod entry is ready.
    if (e.ready) { g.ready.set(k, e.addr); g.notReady.delete(k); } else if (!g.ready.has(k)) g.notReady.set(k, e.addr);
  }
  const subsets = [...groups.values()].map((g) => {
    const ss: EndpointSubset = {};
    if (g.ready.size) ss.addresses = [...g.ready.values()].sort(byAddr);
    if (g.notReady.size) ss.notReadyAddresses = [...g.notReady.values()].sort(byAddr);
    if (g.ports.length) ss.ports = g.ports;
    return ss;
  });
  return subsets.sort((a, b) => {
    const ka = JSON.stringify(a), kb = JSON.stringify(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** The subsets a service's pods produce. */
export function desiredSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const publish = !!svc.spec?.publishNotReadyAddresses;
  const entries: { addr: EndpointAddress; ready: boolean; ports: EndpointPort[] }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, publish)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const addr: EndpointAddress = { ip, targetRef: podRef(pod) };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    const host = endpointHostname(pod, svc);
    if (host) addr.hostname = host;
    const ready = publish || isPodReady(pod);
    const svcPorts = svc.spec?.ports ?? [];
    if (!svcPorts.length) {
      if (svc.spec?.clusterIP === 'None') entries.push({ addr, ready, ports: [] });
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      entries.push({ addr, ready, ports: [ep] });
    }
  }
  return repackSubsets(entries);
}

/** Keeps at most MAX_CAPACITY addresses (ready ones first), as upstream truncates. */
function truncate(subsets: EndpointSubset[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  if (total <= MAX_CAPACITY) return { subsets, truncated: false };
  let left = MAX_CAPACITY;
  const out = subsets.map((s) => ({ ...s }));
  for (const key of ['addresses', 'notReadyAddresses'] as const) {
    for (const s of out) {
      const l = s[key];
      if (!l) continue;
      s[key] = l.slice(0, Math.max(0, left));
      left -= s[key]!.length;
      if (!s[key]!.length) delete s[key];
    }
  }
  return { subsets: out.filter((s) => s.addresses || s.notReadyAddresses), truncated: true };
}

export function newEndpointsController(ctx: ControllerContext): Controller {
  return {
    name: 'endpoints',
    async run(signal) {
      const services = ctx.informers.informerFor<Service>(SERVICES);
      const pods = ctx.informers.informerFor<Pod>(PODS);
      const endpoints = ctx.informers.informerFor<Endpoints>(ENDPOINTS);
      const client = ctx.client.resource<Endpoints>(ENDPOINTS);
      const recorder = ctx.recorder('endpoint-controller');
      const queue = new WorkQueue<string>({ name: 'endpoints', clock: ctx.clock });
      const enqueue = (o: { metadata?: { namespace?: string; name?: string } }) => queue.add(objectKey(o));
      const servicesOf = (pod: Pod) => services.lister.listNamespace(pod.metadata?.namespace ?? '')
        .filter((s) => s.spec?.selector && selectorFromSet(s.spec.selector).matches(pod.metadata?.labels ?? {}));
      const podChanged = (pod: Pod) => { for (const s of servicesOf(pod)) enqueue(s); };
      services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
      pods.addEventHandler({
        onAdd: podChanged,
        onUpdate: (o, n) => { if (o.metadata?.resourceVersion !== n.metadata?.resourceVersion) { podChanged(o); podChanged(n); } },
        onDelete: podChanged,
      });
      endpoints.addEventHandler({ onDelete: (e) => { if (services.lister.get(e.metadata?.namespace ?? '', e.metadata?.name ?? '')) enqueue(e); } });
      if (!(await ctx.informers.waitForSync(signal))) return;

      const sync = async (key: string) => {
        const { namespace, name } = splitKey(key);
        const svc = services.lister.get(namespace, name);
        if (!svc) {
          // The service is gone; its Endpoints go with it.
          try { await client.delete(namespace, name); } catch (e) { if (!isNotFound(e)) throw e; }
          return;
        }
        if (!svc.spec?.selector) return;
        const selected = pods.lister.listNamespace(namespace, selectorFromSet(svc.spec.selector));
        const { subsets, truncated } = truncate(desiredSubsets(svc, selected));
        const current = endpoints.lister.get(namespace, name);
        const labels = endpointLabels(svc);
        const annotations: Record<string, string> = { ...(current?.metadata?.annotations ?? {}) };
        if (truncated) annotations[OVER_CAPACITY] = 'truncated';
        else delete annotations[OVER_CAPACITY];
        if (current && deepEqual(current.subsets ?? [], subsets) && deepEqual(current.metadata?.labels ?? {}, labels) &&
            deepEqual(current.metadata?.annotations ?? {}, annotations)) return;
        const trigger = lastChangeTime(svc, selected);
        if (trigger) annotations[LAST_CHANGE_TRIGGER_TIME] = trigger;
        const desired: Endpoints = {
          apiVersion: 'v1', kind: 'Endpoints',
          metadata: { name, namespace, labels, annotations, ...(current ? { resourceVersion: current.metadata?.resourceVersion } : {}) },
          subsets,
        };
        try {
          if (current) await client.update(namespace, desired);
          else await client.create(namespace, desired);
        } catch (e) {
          if (isAlreadyExists(e) || isConflict(e)) throw e;
          if (isNotFound(e) && !current) return; // namespace going away
          recorder.event(svc, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint', `Failed to ${current ? 'update' : 'create'} endpoint ${namespace}/${name}: ${String(e instanceof Error ? e.message : e)}`);
          throw e;
        }
      };
      await queue.runWorkers(ctx.options.workers, sync, signal);
    },
  };
}
