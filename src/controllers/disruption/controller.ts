// Disruption controller: keeps each PodDisruptionBudget's status current — how many
// selected pods are healthy, how many must be, and so how many voluntary disruptions
// (evictions) are allowed now. The eviction API consumes disruptionsAllowed and records
// the evicted pod in disruptedPods; entries the controller has not seen deleted within
// two minutes expire.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { ResourceClient, WorkQueue, decodeResponse, isNotFound, objectKey, splitKey, type GroupVersionResource, type KubeObject } from '../../client/index.js';
import { isPodReady } from '../../api/helpers/pods.js';
import { deepEqual, getControllerOf, rfc3339Now } from '../../machinery/meta.js';
import { selectorFromLabelSelector, type LabelSelector } from '../../machinery/labels.js';
import type { Controller, ControllerContext } from '../context.js';

const PDBS: GroupVersionResource = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', namespaced: true };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const gvr = (group: string, resource: string): GroupVersionResource => ({ group, version: 'v1', resource, namespaced: true });
const RSS = gvr('apps', 'replicasets');
const DEPLOYMENTS = gvr('apps', 'deployments');
const STATEFULSETS = gvr('apps', 'statefulsets');

/** How long an eviction recorded in disruptedPods waits for the pod's deletion to show. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

type Scaled = KubeObject & { spec?: { replicas?: number } };

/** An int-or-percent against a total; percentages round up. */
export function scaledValue(v: number | string | undefined, total: number): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number(v) || 0;
  return Math.ceil((Number(m[1]) * total) / 100);
}

export interface Counts { expectedCount: number; desiredHealthy: number }

export function newDisruptionController(ctx: ControllerContext): Controller {
  return {
    name: 'disruption',
    async run(signal) {
      const pdbs = ctx.informers.informerFor<PodDisruptionBudget>(PDBS);
      const pods = ctx.informers.informerFor<Pod>(PODS);
      const listers = {
        ReplicaSet: ctx.informers.informerFor<Scaled>(RSS).lister,
        Deployment: ctx.informers.informerFor<Scaled>(DEPLOYMENTS).lister,
        StatefulSet: ctx.informers.informerFor<Scaled>(STATEFULSETS).lister,
      };
      const client = ctx.client.resource<PodDisruptionBudget>(PDBS);
      const recorder = ctx.recorder('controllermanager');
      const queue = new WorkQueue<string>({ name: 'disruption', clock: ctx.clock });
      const enqueue = (o: KubeObject) => queue.add(objectKey(o));
      pdbs.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
      const podChanged = (p: Pod) => {
        for (const b of pdbs.lister.listNamespace(p.metadata?.namespace ?? '')) {
          if (selectorFromLabelSelector(b.spec?.selector as LabelSelector | undefined).matches(p.metadata?.labels ?? {})) enqueue(b);
        }
      };
      pods.addEventHandler({ onAdd: podChanged, onUpdate: (o, n) => { podChanged(o); podChanged(n); }, onDelete: podChanged });
      // Replica counts feed maxUnavailable and percentage budgets.
      const ownerChanged = (o: KubeObject) => { for (const b of pdbs.lister.listNamespace(o.metadata?.namespace ?? '')) enqueue(b); };
      for (const g of [RSS, DEPLOYMENTS, STATEFULSETS]) ctx.informers.informerFor<Scaled>(g).addEventHandler({ onUpdate: (_o, n) => ownerChanged(n) });
      if (!(await ctx.informers.waitForSync(signal))) return;

      /** Replicas of the workload controlling a pod (a ReplicaSet counts its Deployment's). */
      const scaleOf = async (ns: string, pod: Pod): Promise<{ uid: string; replicas: number }> => {
        const ref = getControllerOf(pod);
        if (!ref) throw new Error(`found no controller ref for pod "${pod.metadata?.name}"`);
        const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
        const known = group === 'apps' ? listers[ref.kind as keyof typeof listers] : undefined;
        if (known) {
          const owner = known.get(ns, ref.name);
          if (!owner || owner.metadata?.uid !== ref.uid) throw new Error(`${ref.kind} ${ns}/${ref.name} not found`);
          const up = ref.kind === 'ReplicaSet' ? getControllerOf(owner) : undefined;
          if (up?.kind === 'Deployment') {
            const d = listers.Deployment.get(ns, up.name);
            if (d && d.metadata?.uid === up.uid) return { uid: up.uid, replicas: d.spec?.replicas ?? 1 };
          }
          return { uid: ref.uid, replicas: owner.spec?.replicas ?? 1 };
        }
        // Anything else with a scale subresource (custom workloads).
        const [g, v] = ref.apiVersion.includes('/') ? ref.apiVersion.split('/') : ['', ref.apiVersion];
        const path = `${new ResourceClient(ctx.client.rest, { group: g, version: v, resource: `${ref.kind.toLowerCase()}s`, namespaced: true }).path(ns, ref.name)}/scale`;
        const scale = await ctx.client.rest.request({ method: 'GET', path }).then((r) => decodeResponse<Scaled>(r))
          .catch((e: unknown) => { throw new Error(`could not get the scale of ${ref.kind} ${ref.name}: ${String(e)}`); });
        return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 };
      };

      const counts = async (pdb: PodDisruptionBudget, selected: Pod[]): Promise<Counts> => {
        const { minAvailable, maxUnavailable } = pdb.spec ?? {};
        const ns = pdb.metadata!.namespace!;
        if (maxUnavailable === undefined && typeof minAvailable === 'number') return { expectedCount: selected.length, desiredHealthy: minAvailable };
        const owners = new Map<string, number>();
        for (const p of selected) {
          const s = await scaleOf(ns, p);
          owners.set(s.uid, s.replicas);
        }
        const expectedCount = [...owners.values()].reduce((a, b) => a + b, 0);
        if (maxUnavailable !== undefined) return { expectedCount, desiredHealthy: Math.max(0, expectedCount - scaledValue(maxUnavailable, expectedCount)) };
        return { expectedCount, desiredHealthy: scaledValue(minAvailable, expectedCount) };
      };

      const sync = async (key: string) => {
        const { namespace, name } = splitKey(key);
        const pdb = pdbs.lister.get(namespace, name);
        if (!pdb) return;
        const now = ctx.clock.now();
        const sel = selectorFromLabelSelector(pdb.spec?.selector as LabelSelector | undefined);
        const selected = pods.lister.listNamespace(namespace).filter((p) => !sel.empty && sel.matches(p.metadata?.labels ?? {}));
        if (!selected.length) recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
        // Evictions recorded by the API that the cache has not yet seen, expiring after the timeout.
        const disrupted: Record<string, string> = {};
        let recheck: number | undefined;
        for (const [pod, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
          const p = selected.find((x) => x.metadata?.name === pod);
          if (!p || p.metadata?.deletionTimestamp) continue;
          const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
          if (expires <= now) { recorder.event(pdb, 'Warning', 'NotDeleted', `Pod ${namespace}/${pod} was expected to be deleted but it wasn't`); continue; }
          disrupted[pod] = at;
          recheck = Math.min(recheck ?? Infinity, expires - now);
        }
        let status: PodDisruptionBudgetStatus;
        try {
          const { expectedCount, desiredHealthy } = await counts(pdb, selected);
          const currentHealthy = selected.filter((p) => !p.metadata?.deletionTimestamp && !disrupted[p.metadata!.name!] && isPodReady(p)).length;
          const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
          status = {
            currentHealthy, desiredHealthy, expectedPods: expectedCount, disruptionsAllowed,
            observedGeneration: pdb.metadata?.generation,
            conditions: [condition(pdb, disruptionsAllowed > 0 ? 'True' : 'False', disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods', '', now)],
          };
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          recorder.event(pdb, 'Warning', 'CalculateExpectedPodCountFailed', `Failed to calculate the number of expected pods: ${msg}`);
          status = {
            currentHealthy: pdb.status?.currentHealthy ?? 0, desiredHealthy: pdb.status?.desiredHealthy ?? 0,
            expectedPods: pdb.status?.expectedPods ?? 0, disruptionsAllowed: 0, observedGeneration: pdb.metadata?.generation,
            conditions: [condition(pdb, 'False', 'SyncFailed', msg, now)],
          };
        }
        if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
        if (!deepEqual(status, pdb.status ?? {})) {
          const next = structuredClone(pdb) as PodDisruptionBudget;
          Object.assign(next, { status });
          try { await client.updateStatus(namespace, next); } catch (e) { if (!isNotFound(e)) throw e; }
        }
        return recheck === undefined ? undefined : { requeueAfterMs: recheck };
      };
      await queue.runWorkers(ctx.options.workers, sync, signal);
    },
  };
}

/** The DisruptionAllowed condition; its transition time moves only when the status does. */
function condition(pdb: PodDisruptionBudget, status: string, reason: string, message: string, now: number) {
  const prev = pdb.status?.conditions?.find((c) => c.type === 'DisruptionAllowed');
  return {
    type: 'DisruptionAllowed', status, reason, message,
    observedGeneration: pdb.metadata?.generation,
    lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : rfc3339Now(now),
  };
}
