// EndpointSlice controller: keeps discovery.k8s.io/v1 EndpointSlices for every service
// with a selector. Endpoints are grouped by their resolved port set, at most 100 per
// slice; an endpoint stays in the slice it is in while it exists, new ones fill slices
// with room before new slices are made. A service without endpoints keeps one empty
// placeholder slice, as upstream.
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { WorkQueue, isNotFound, objectKey, splitKey, type GroupVersionResource } from '../../client/index.js';
import {
  endpointHostname, endpointLabels, lastChangeTime, LAST_CHANGE_TRIGGER_TIME, MANAGED_BY_LABEL, podIPv4, podRef,
  SERVICE_NAME_LABEL, shouldPodBeInEndpoints, SLICE_CONTROLLER_NAME,
} from '../../api/helpers/endpoints.js';
import { findPort, isPodReady } from '../../api/helpers/pods.js';
import { deepEqual, newControllerRef } from '../../machinery/meta.js';
import { selectorFromSet } from '../../machinery/labels.js';
import type { Controller, ControllerContext } from '../context.js';

const SERVICES: GroupVersionResource = { group: '', version: 'v1', resource: 'services', namespaced: true };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const SLICES: GroupVersionResource = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true };

export const MAX_ENDPOINTS_PER_SLICE = 100;
const SERVICE_INDEX = 'service';

const portsKey = (ports: readonly EndpointPort[]) => JSON.stringify([...ports].map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
const endpointKey = (e: Endpoint) => e.targetRef?.uid ?? e.addresses[0];

/** Every endpoint a service's pods produce, with the port set it serves. */
export function desiredEndpoints(svc: Service, pods: readonly Pod[]): { ports: EndpointPort[]; endpoint: Endpoint }[] {
  const out: { ports: EndpointPort[]; endpoint: Endpoint }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    // A named port no container declares leaves the pod out unless nothing resolves at all.
    if ((svc.spec?.ports?.length ?? 0) > 0 && !ports.length) continue;
    const serving = isPodReady(pod);
    const terminating = !!pod.metadata?.deletionTimestamp;
    const endpoint: Endpoint = {
      addresses: [ip],
      conditions: { ready: !!svc.spec?.publishNotReadyAddresses || (serving && !terminating), serving, terminating },
      targetRef: podRef(pod),
    };
    const host = endpointHostname(pod, svc);
    if (host) endpoint.hostname = host;
    if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
    out.push({ ports, endpoint });
  }
  return out;
}

interface Plan { create: EndpointSlice[]; update: EndpointSlice[]; remove: EndpointSlice[] }

/** Decides the slice writes that turn `existing` into the desired state. */
export function planSlices(svc: Service, desired: { ports: EndpointPort[]; endpoint: Endpoint }[], existing: readonly EndpointSlice[], trigger?: string): Plan {
  const plan: Plan = { create: [], update: [], remove: [] };
  const labels = { ...endpointLabels(svc), [SERVICE_NAME_LABEL]: svc.metadata!.name!, [MANAGED_BY_LABEL]: SLICE_CONTROLLER_NAME };
  const fresh = (ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata!.name}-`, namespace: svc.metadata!.namespace, labels,
      ...(trigger ? { annotations: { [LAST_CHANGE_TRIGGER_TIME]: trigger } } : {}),
      ownerReferences: [newControllerRef(svc, 'v1', 'Service')],
    },
    addressType: 'IPv4', endpoints, ports,
  });
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  for (const d of desired) {
    const k = portsKey(d.ports);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ports: d.ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(d.endpoint), d.endpoint);
  }
  const kept: EndpointSlice[] = [];
  const changed = new Set<EndpointSlice>();
  const slicesByPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    const g = groups.get(portsKey(s.ports ?? []));
    if (!g || s.addressType !== 'IPv4') { plan.remove.push(s); continue; }
    const next = structuredClone(s) as EndpointSlice;
    next.endpoints = (s.endpoints ?? []).filter((e) => g.endpoints.has(endpointKey(e))).map((e) => {
      const want = g.endpoints.get(endpointKey(e))!;
      g.endpoints.delete(endpointKey(e));
      return want;
    });
    if (!deepEqual(next.endpoints, s.endpoints ?? [])) changed.add(next);
    kept.push(next);
    const list = slicesByPorts.get(portsKey(s.ports ?? [])) ?? [];
    list.push(next);
    slicesByPorts.set(portsKey(s.ports ?? []), list);
  }
  for (const [k, g] of groups) {
    const rest = [...g.endpoints.values()];
    for (const s of slicesByPorts.get(k) ?? []) {
      while (rest.length && s.endpoints.length < MAX_ENDPOINTS_PER_SLICE) { s.endpoints.push(rest.shift()!); changed.add(s); }
    }
    while (rest.length) plan.create.push(fresh(g.ports, rest.splice(0, MAX_ENDPOINTS_PER_SLICE)));
  }
  for (const s of kept) {
    if (!s.endpoints.length) { plan.remove.push(s); continue; }
    const meta = s.metadata!;
    if (!deepEqual(meta.labels ?? {}, labels)) { meta.labels = labels; changed.add(s); }
    if (changed.has(s)) {
      if (trigger) meta.annotations = { ...meta.annotations, [LAST_CHANGE_TRIGGER_TIME]: trigger };
      plan.update.push(s);
    }
  }
  // A service without endpoints keeps exactly one empty placeholder slice.
  if (!desired.length) {
    const placeholder = existing.find((s) => !(s.endpoints?.length) && !(s.ports?.length));
    plan.remove = plan.remove.filter((s) => s !== placeholder && s.metadata?.name !== placeholder?.metadata?.name);
    plan.update = plan.update.filter((s) => s.metadata?.name !== placeholder?.metadata?.name);
    if (!placeholder) plan.create.push(fresh([], []));
  }
  return plan;
}

export function newEndpointSliceController(ctx: ControllerContext): Controller {
  return {
    name: 'endpointslice',
    async run(signal) {
      const services = ctx.informers.informerFor<Service>(SERVICES);
      const pods = ctx.informers.informerFor<Pod>(PODS);
      const slices = ctx.informers.informerFor<EndpointSlice>(SLICES, {
        indexers: { [SERVICE_INDEX]: (s) => (s.metadata?.labels?.[MANAGED_BY_LABEL] === SLICE_CONTROLLER_NAME && s.metadata.labels[SERVICE_NAME_LABEL] ? [`${s.metadata.namespace}/${s.metadata.labels[SERVICE_NAME_LABEL]}`] : []) },
      });
      const client = ctx.client.resource<EndpointSlice>(SLICES);
      const recorder = ctx.recorder('endpoint-slice-controller');
      const queue = new WorkQueue<string>({ name: 'endpointslice', clock: ctx.clock });
      // Writes not yet seen by the slice cache, per service: name -> resourceVersion, or null once deleted.
      const pending = new Map<string, Map<string, string | null>>();
      const enqueue = (o: { metadata?: { namespace?: string; name?: string } }) => queue.add(objectKey(o));
      const podChanged = (pod: Pod) => {
        for (const s of services.lister.listNamespace(pod.metadata?.namespace ?? '')) {
          if (s.spec?.selector && selectorFromSet(s.spec.selector).matches(pod.metadata?.labels ?? {})) enqueue(s);
        }
      };
      services.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
      pods.addEventHandler({
        onAdd: podChanged,
        onUpdate: (o, n) => { if (o.metadata?.resourceVersion !== n.metadata?.resourceVersion) { podChanged(o); podChanged(n); } },
        onDelete: podChanged,
      });
      const sliceChanged = (s: EndpointSlice) => {
        const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
        if (svc && s.metadata?.labels?.[MANAGED_BY_LABEL] === SLICE_CONTROLLER_NAME) queue.add(`${s.metadata.namespace}/${svc}`);
      };
      slices.addEventHandler({ onAdd: sliceChanged, onUpdate: (_o, n) => sliceChanged(n), onDelete: sliceChanged });
      if (!(await ctx.informers.waitForSync(signal))) return;

      /** True while the cache lags behind this controller's own writes for the service. */
      const stale = (key: string): boolean => {
        const p = pending.get(key);
        if (!p) return false;
        const { namespace } = splitKey(key);
        for (const [name, rv] of p) {
          const cached = slices.lister.get(namespace, name);
          const seen = rv === null ? !cached : !!cached && Number(cached.metadata?.resourceVersion) >= Number(rv);
          if (seen) p.delete(name);
        }
        if (!p.size) pending.delete(key);
        return p.size > 0;
      };
      const note = (key: string, name: string, rv: string | null) => {
        let p = pending.get(key);
        if (!p) pending.set(key, (p = new Map()));
        p.set(name, rv);
      };

      const sync = async (key: string) => {
        const { namespace, name } = splitKey(key);
        const svc = services.lister.get(namespace, name);
        // Slices of a deleted service go with it through their owner reference.
        if (!svc || !svc.spec?.selector) { pending.delete(key); return; }
        if (stale(key)) return { requeueAfterMs: 50 };
        const selected = pods.lister.listNamespace(namespace, selectorFromSet(svc.spec.selector));
        const existing = slices.lister.byIndex(SERVICE_INDEX, key);
        const plan = planSlices(svc, desiredEndpoints(svc, selected), existing, lastChangeTime(svc, selected));
        try {
          for (const s of plan.remove) {
            try { await client.delete(namespace, s.metadata!.name!); } catch (e) { if (!isNotFound(e)) throw e; }
            note(key, s.metadata!.name!, null);
          }
          for (const s of plan.update) {
            const out = await client.update(namespace, s);
            note(key, out.metadata!.name!, out.metadata!.resourceVersion!);
          }
          for (const s of plan.create) {
            const out = await client.create(namespace, s);
            note(key, out.metadata!.name!, out.metadata!.resourceVersion!);
          }
        } catch (e) {
          recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${namespace}/${name}: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      };
      await queue.runWorkers(ctx.options.workers, sync, signal);
    },
  };
}
