// LimitRanger admission for pods: containers get the namespace's LimitRange default
// requests and limits (recorded in the kubernetes.io/limit-ranger annotation), then
// every Container and Pod item's min, max and maxLimitRequestRatio are enforced with
// upstream's messages.
import type { Container, LimitRangeItem, Pod } from 'kubernetes-types/core/v1.js';
import { podResourceList, type ResourceList } from '../../api/helpers/quota.js';
import { Quantity } from '../../machinery/quantity.js';
import type { Admit } from '../registry/store.js';
import type { ApiServer } from '../server.js';
import { forbidden } from './resourcequota.js';

type Lists = Record<string, unknown>;

/** Sets missing container requests/limits from an item; returns the annotation parts. */
function applyDefaults(c: Container, item: LimitRangeItem, kind: string): string[] {
  const res = (c.resources ??= {});
  const set: Record<'request' | 'limit', string[]> = { request: [], limit: [] };
  const fill = (which: 'requests' | 'limits', from: Lists | undefined, label: 'request' | 'limit') => {
    for (const [k, v] of Object.entries(from ?? {})) {
      const cur = (res[which] ?? {}) as Lists;
      if (cur[k] !== undefined) continue;
      res[which] = { ...cur, [k]: v } as typeof res.requests;
      set[label].push(k);
    }
  };
  fill('limits', item.default as Lists | undefined, 'limit');
  fill('requests', item.defaultRequest as Lists | undefined, 'request');
  const out: string[] = [];
  for (const label of ['request', 'limit'] as const) {
    if (set[label].length) out.push(`${set[label].sort().join(', ')} ${label} for ${kind} ${c.name}`);
  }
  return out;
}

const q = (v: unknown) => Quantity.fromJSON(v);

/** Upstream min/max/ratio checks for one Container or Pod worth of requests and limits; one message per bound. */
function enforce(item: LimitRangeItem, requests: ResourceList, limits: ResourceList, errs: string[]): void {
  const type = item.type;
  for (const [k, v] of Object.entries((item.min ?? {}) as Lists)) {
    const min = q(v), req = requests.get(k);
    if (!req) errs.push(`minimum ${k} usage per ${type} is ${min}.  No request is specified`);
    else if (req.cmp(min) < 0) errs.push(`minimum ${k} usage per ${type} is ${min}, but request is ${req}`);
    else if (limits.get(k) && limits.get(k)!.cmp(min) < 0) errs.push(`minimum ${k} usage per ${type} is ${min}, but limit is ${limits.get(k)}`);
  }
  for (const [k, v] of Object.entries((item.max ?? {}) as Lists)) {
    const max = q(v), lim = limits.get(k);
    if (!lim) errs.push(`maximum ${k} usage per ${type} is ${max}.  No limit is specified`);
    else if (lim.cmp(max) > 0) errs.push(`maximum ${k} usage per ${type} is ${max}, but limit is ${lim}`);
    else if (requests.get(k) && requests.get(k)!.cmp(max) > 0) errs.push(`maximum ${k} usage per ${type} is ${max}, but request is ${requests.get(k)}`);
  }
  for (const [k, v] of Object.entries((item.maxLimitRequestRatio ?? {}) as Lists)) {
    const ratio = q(v), lim = limits.get(k), req = requests.get(k);
    if (!lim || !req) {
      if (!lim) errs.push(`${k} max limit to request ratio per ${type} is ${ratio}, but no limit is specified`);
      if (!req) errs.push(`${k} max limit to request ratio per ${type} is ${ratio}, but no request is specified`);
      continue;
    }
    if (req.isZero()) continue;
    const actual = Number(lim.milliValue()) / Number(req.milliValue());
    if (actual > ratio.toNumber()) errs.push(`${k} max limit to request ratio per ${type} is ${ratio}, but provided ratio is ${actual.toFixed(6)}`);
  }
}

const toList = (o: unknown): ResourceList => new Map(Object.entries((o ?? {}) as Lists).map(([k, v]) => [k, q(v)]));

export function limitRanger(server: () => ApiServer): Admit {
  return async (op, res, obj) => {
    if (op !== 'CREATE' || res.group !== '' || res.plural !== 'pods') return;
    const store = server().storeFor('', 'limitranges');
    if (!store) return;
    await store.cache.fresh();
    const items: LimitRangeItem[] = [];
    for (const lr of store.cache.range(store.scopePrefix(obj.metadata.namespace))) {
      items.push(...(((lr.obj.spec ?? {}) as { limits?: LimitRangeItem[] }).limits ?? []));
    }
    if (!items.length) return;
    const pod = obj as unknown as Pod;
    const notes: string[] = [];
    for (const item of items.filter((i) => i.type === 'Container')) {
      for (const c of pod.spec?.containers ?? []) notes.push(...applyDefaults(c, item, 'container'));
      for (const c of pod.spec?.initContainers ?? []) notes.push(...applyDefaults(c, item, 'init container'));
    }
    if (notes.length) {
      obj.metadata.annotations = { ...obj.metadata.annotations, 'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${notes.join('; ')}` };
    }
    const errs: string[] = [];
    for (const item of items) {
      if (item.type === 'Container') {
        for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
          enforce(item, toList(c.resources?.requests), toList(c.resources?.limits), errs);
        }
      } else if (item.type === 'Pod') {
        enforce(item, podResourceList(pod, 'requests'), podResourceList(pod, 'limits'), errs);
      }
    }
    if (errs.length) throw forbidden(res, obj, errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
  };
}
