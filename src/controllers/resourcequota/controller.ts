// Resource quota controller: status.hard mirrors spec.hard and status.used is recomputed
// from the namespace's objects whenever a quota or something it counts changes (and on a
// periodic full resync, as upstream, to correct what admission charged but was never created).
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { WorkQueue, isNotFound, objectKey, splitKey, type GroupVersionResource, type KubeObject } from '../../client/index.js';
import { objectUsage, resourceListToJSON, type ResourceList } from '../../api/helpers/quota.js';
import { Quantity } from '../../machinery/quantity.js';
import { deepEqual } from '../../machinery/meta.js';
import type { Controller, ControllerContext } from '../context.js';

const QUOTAS: GroupVersionResource = { group: '', version: 'v1', resource: 'resourcequotas', namespaced: true };
const core = (resource: string): GroupVersionResource => ({ group: '', version: 'v1', resource, namespaced: true });
/**
 * Kinds counted from the shared caches; other count/<resource>.<group> names are listed on
 * demand. (ReplicationControllers are not served by Kite.)
 */
const COUNTED = ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'resourcequotas'].map(core);
/** Upstream --resource-quota-sync-period. */
export const QUOTA_RESYNC_MS = 5 * 60_000;

/** The resource a quota name counts, and whether the name is about it. */
function resourceOf(name: string): { group: string; plural: string } | undefined {
  const m = /^count\/([^.]+)(?:\.(.+))?$/.exec(name);
  if (m) return { group: m[2] ?? '', plural: m[1] };
  if (COUNTED.some((g) => g.resource === name)) return { group: '', plural: name };
  if (/^((requests|limits)\.)?(cpu|memory|ephemeral-storage)$/.test(name) || /^requests\.(hugepages-|.*\/)/.test(name)) return { group: '', plural: 'pods' };
  if (name.startsWith('services.')) return { group: '', plural: 'services' };
  if (name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/')) return { group: '', plural: 'persistentvolumeclaims' };
  return undefined;
}

/** status.used for hard limits over the objects of each counted resource. */
export function computeUsed(hard: readonly string[], objects: (group: string, plural: string) => readonly unknown[] | undefined, nowMs: number): ResourceList {
  const used: ResourceList = new Map();
  for (const name of hard) {
    const r = resourceOf(name);
    const objs = r && objects(r.group, r.plural);
    if (!r || !objs) continue;
    let sum = Quantity.zero();
    for (const o of objs) {
      const u = objectUsage(r.group, r.plural, o, nowMs).get(name);
      if (u) sum = sum.add(u);
    }
    used.set(name, sum);
  }
  return used;
}

export function newResourceQuotaController(ctx: ControllerContext): Controller {
  return {
    name: 'resourcequota',
    async run(signal) {
      const quotas = ctx.informers.informerFor<ResourceQuota>(QUOTAS, { resyncPeriodMs: QUOTA_RESYNC_MS });
      const counted = new Map(COUNTED.map((g) => [g.resource, ctx.informers.informerFor(g)]));
      const client = ctx.client.resource<ResourceQuota>(QUOTAS);
      const queue = new WorkQueue<string>({ name: 'resourcequota', clock: ctx.clock });
      quotas.addEventHandler({ onAdd: (q) => queue.add(objectKey(q)), onUpdate: (_o, q) => queue.add(objectKey(q)) });
      const changed = (o: KubeObject) => { for (const q of quotas.lister.listNamespace(o.metadata?.namespace ?? '')) queue.add(objectKey(q)); };
      for (const [plural, inf] of counted) {
        if (plural === 'resourcequotas') continue;
        inf.addEventHandler({ onAdd: (o, initial) => { if (!initial) changed(o); }, onUpdate: (o, n) => { if (o !== n) changed(n); }, onDelete: changed });
      }
      if (!(await ctx.informers.waitForSync(signal))) return;

      await queue.runWorkers(ctx.options.workers, async (key) => {
        const { namespace, name } = splitKey(key);
        const q = quotas.lister.get(namespace, name);
        if (!q) return;
        const hard = (q.spec?.hard ?? {}) as Record<string, unknown>;
        const listed = new Map<string, readonly unknown[]>();
        for (const n of Object.keys(hard)) {
          const m = /^count\/([^.]+)\.(.+)$/.exec(n);
          if (!m || listed.has(n)) continue;
          // Resources outside the shared caches are listed now (preferred version assumed v1).
          try {
            const list = await ctx.client.resource({ group: m[2], version: 'v1', resource: m[1], namespaced: true }).listAll(namespace);
            listed.set(`${m[2]}/${m[1]}`, list.items);
          } catch (e) { if (!isNotFound(e)) throw e; }
        }
        const used = computeUsed(Object.keys(hard), (group, plural) =>
          group === '' && counted.has(plural) ? counted.get(plural)!.lister.listNamespace(namespace) : listed.get(`${group}/${plural}`), ctx.clock.now());
        const hardJson = resourceListToJSON(new Map(Object.entries(hard).map(([k, v]) => [k, Quantity.fromJSON(v)])));
        const status = { hard: hardJson, used: resourceListToJSON(used) };
        if (deepEqual(status, q.status ?? {})) return;
        const next = structuredClone(q) as ResourceQuota;
        Object.assign(next, { status });
        try { await client.updateStatus(namespace, next); } catch (e) { if (!isNotFound(e)) throw e; }
      }, signal);
    },
  };
}
