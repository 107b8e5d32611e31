// ResourceQuota admission: a create that would push a matching quota's usage over its
// hard limits is rejected with 403; an accepted create is charged to the quota's
// status.used at once (the controller later recomputes it exactly), so concurrent
// creates cannot all slip under the limit.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../api/types.js';
import { formatResourceList, objectUsage, podQuotaConstraints, resourceListFromJSON, resourceListToJSON, type ResourceList } from '../../api/helpers/quota.js';
import { errors, StatusError } from '../../machinery/errors.js';
import type { Admit } from '../registry/store.js';
import type { ServedResource } from '../resources.js';
import type { ApiServer } from '../server.js';

interface QuotaStatus { hard?: Record<string, unknown>; used?: Record<string, unknown> }

/** Quota resource names the evaluator for `res` is responsible for. */
function tracks(res: ServedResource, name: string): boolean {
  const own = `${res.plural}${res.group ? `.${res.group}` : ''}`;
  if (name === `count/${own}`) return true;
  if (res.group !== '') return false;
  if (name === res.plural) return ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'replicationcontrollers', 'resourcequotas'].includes(name);
  if (res.plural === 'pods') return /^((requests|limits)\.)?(cpu|memory|ephemeral-storage)$/.test(name) || /^requests\.(hugepages-|.*\/)/.test(name);
  if (res.plural === 'services') return name === 'services.nodeports' || name === 'services.loadbalancers';
  if (res.plural === 'persistentvolumeclaims') return name === 'requests.storage' || name.includes('.storageclass.storage.k8s.io/');
  return false;
}

export const forbidden = (res: ServedResource, obj: KObject, why: string): StatusError =>
  errors.forbidden(`${res.plural}${res.group ? `.${res.group}` : ''} "${obj.metadata.name ?? ''}" is forbidden: ${why}`, { name: obj.metadata.name, group: res.group || undefined, kind: res.plural });

export function resourceQuota(server: () => ApiServer, now: () => number): Admit {
  return async (op, res, obj, _old, ctx) => {
    if (op !== 'CREATE' || !res.namespaced) return;
    const quotas = server().storeFor('', 'resourcequotas');
    if (!quotas) return;
    const ns = obj.metadata.namespace!;
    const usage = objectUsage(res.group, res.plural, obj, now());
    await quotas.cache.fresh();
    const charges: { name: string; delta: ResourceList }[] = [];
    for (const q of quotas.cache.range(quotas.scopePrefix(ns))) {
      const st = (q.obj.status ?? {}) as QuotaStatus;
      const restricted = Object.keys(st.hard ?? {}).filter((n) => tracks(res, n));
      if (!restricted.length) continue;
      const qname = q.obj.metadata.name!;
      if (res.group === '' && res.plural === 'pods') {
        const why = podQuotaConstraints(obj as unknown as Pod, restricted);
        if (why) throw forbidden(res, obj, `failed quota: ${qname}: ${why}`);
      }
      const missing = restricted.filter((n) => st.used?.[n] === undefined).sort();
      if (missing.length) throw forbidden(res, obj, `status unknown for quota: ${qname}, resources: ${missing.join(',')}`);
      const delta: ResourceList = new Map();
      for (const n of restricted) { const u = usage.get(n); if (u && !u.isZero()) delta.set(n, u); }
      if (!delta.size) continue;
      check(res, obj, qname, st, delta);
      charges.push({ name: qname, delta });
    }
    if (ctx.dryRun) return;
    for (const c of charges) {
      await quotas.guaranteedUpdate(ns, c.name, ctx, (cur) => {
        const st = (cur.status ?? {}) as QuotaStatus;
        check(res, obj, c.name, st, c.delta);
        const used = resourceListFromJSON(st.used);
        for (const [n, d] of c.delta) used.set(n, used.get(n)?.add(d) ?? d);
        cur.status = { ...st, used: resourceListToJSON(used) };
        return cur;
      }, { subresource: 'status' });
    }
  };
}

function check(res: ServedResource, obj: KObject, qname: string, st: QuotaStatus, delta: ResourceList): void {
  const hard = resourceListFromJSON(st.hard);
  const used = resourceListFromJSON(st.used);
  const exceeded = [...delta.keys()].filter((n) => {
    const after = used.has(n) ? used.get(n)!.add(delta.get(n)!) : delta.get(n)!;
    return after.cmp(hard.get(n)!) > 0;
  });
  if (!exceeded.length) return;
  const mask = (l: ResourceList) => new Map(exceeded.filter((n) => l.has(n)).map((n) => [n, l.get(n)!]));
  throw forbidden(res, obj, `exceeded quota: ${qname}, requested: ${formatResourceList(mask(delta))}, used: ${formatResourceList(mask(used))}, limited: ${formatResourceList(mask(hard))}`);
}
