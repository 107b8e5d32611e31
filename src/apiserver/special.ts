// Endpoints that are not plain storage: access and identity reviews (virtual, create-only
// resources), pods/binding, pods/eviction, serviceaccounts/token and namespaces/finalize;
// plus the namespace-lifecycle admission every write passes through.
import type { KObject, ResourceStrategy } from '../api/types.js';
import { errors, invalidError, StatusError } from '../machinery/errors.js';
import { selectorFromLabelSelector } from '../machinery/labels.js';
import { rfc3339Now } from '../machinery/meta.js';
import { decodeObjectBody, isObject, readBody } from './endpoints/body.js';
import { readDeleteOptionsFrom, send, type Ctx } from './endpoints/resource.js';
import type { Admit, UserInfo } from './registry/store.js';
import type { ApiServer, SpecialHandler } from './server.js';
import type { ServedResource } from './resources.js';
import type { ServiceAccountTokens } from './satoken.js';

type Virtual = ResourceStrategy & { virtual: true };

function review(group: string, kind: string, plural: string, namespaced = false): Virtual {
  return { group, version: 'v1', kind, plural, singular: plural.replace(/s$/, ''), namespaced, verbs: ['create'], virtual: true };
}

/** Create-only review resources, in upstream discovery order. */
export const reviewResources: ResourceStrategy[] = [
  review('authentication.k8s.io', 'SelfSubjectReview', 'selfsubjectreviews'),
  review('authentication.k8s.io', 'TokenReview', 'tokenreviews'),
  review('authorization.k8s.io', 'LocalSubjectAccessReview', 'localsubjectaccessreviews', true),
  review('authorization.k8s.io', 'SelfSubjectAccessReview', 'selfsubjectaccessreviews'),
  review('authorization.k8s.io', 'SelfSubjectRulesReview', 'selfsubjectrulesreviews'),
  review('authorization.k8s.io', 'SubjectAccessReview', 'subjectaccessreviews'),
];

/** Decides whether a user may do something; everything is allowed until RBAC exists. */
export type Authorizer = (user: UserInfo, attrs: Record<string, unknown>) => { allowed: boolean; reason?: string };

export const allowAll: Authorizer = () => ({ allowed: true, reason: '' });

async function readReview(ctx: Ctx, served: ServedResource): Promise<KObject> {
  const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (!isObject(body)) throw errors.badRequest('the request body must be an object');
  const obj = body as KObject;
  if (!isObject(obj.metadata)) obj.metadata = {};
  obj.apiVersion = served.apiVersion;
  obj.kind = served.kind;
  return obj;
}

function userInfoJson(u: UserInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { username: u.username, groups: u.groups };
  if (u.uid) out.uid = u.uid;
  if (u.extra) out.extra = u.extra;
  return out;
}

export interface SpecialDeps {
  authorize: Authorizer;
  tokens: ServiceAccountTokens;
  authenticateToken: (token: string) => Promise<UserInfo | undefined>;
  now: () => number;
}

export function specialHandlers(d: SpecialDeps): Record<string, SpecialHandler> {
  const created = (ctx: Ctx, obj: KObject) => send(ctx.res, 201, JSON.stringify(obj));
  const success = (ctx: Ctx, code = 201) => send(ctx.res, code, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code }));

  return {
    'authentication.k8s.io/selfsubjectreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      obj.status = { userInfo: userInfoJson(ctx.write.user) };
      created(ctx, obj);
    },
    'authentication.k8s.io/tokenreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      const token = (obj.spec as { token?: string } | undefined)?.token;
      if (!token) throw invalidError('TokenReview', 'authentication.k8s.io', '', [{ type: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }]);
      const u = await d.authenticateToken(token);
      obj.status = u ? { authenticated: true, user: userInfoJson(u), audiences: ['https://kubernetes.default.svc.cluster.local'] } : { authenticated: false, user: {} };
      created(ctx, obj);
    },
    'authorization.k8s.io/selfsubjectaccessreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      const spec = (obj.spec ?? {}) as { resourceAttributes?: Record<string, unknown>; nonResourceAttributes?: Record<string, unknown> };
      if (!spec.resourceAttributes && !spec.nonResourceAttributes) {
        throw invalidError('SelfSubjectAccessReview', 'authorization.k8s.io', '', [{ type: 'FieldValueRequired', field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' }]);
      }
      const r = d.authorize(ctx.write.user, spec.resourceAttributes ?? spec.nonResourceAttributes ?? {});
      obj.status = r.reason ? { allowed: r.allowed, reason: r.reason } : { allowed: r.allowed };
      created(ctx, obj);
    },
    'authorization.k8s.io/subjectaccessreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      const spec = (obj.spec ?? {}) as { user?: string; groups?: string[]; resourceAttributes?: Record<string, unknown>; nonResourceAttributes?: Record<string, unknown> };
      const r = d.authorize({ username: spec.user ?? '', groups: spec.groups ?? [] }, spec.resourceAttributes ?? spec.nonResourceAttributes ?? {});
      obj.status = { allowed: r.allowed, ...(r.reason ? { reason: r.reason } : {}) };
      created(ctx, obj);
    },
    'authorization.k8s.io/localsubjectaccessreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      const spec = (obj.spec ?? {}) as { user?: string; groups?: string[]; resourceAttributes?: Record<string, unknown> };
      const r = d.authorize({ username: spec.user ?? '', groups: spec.groups ?? [] }, { ...(spec.resourceAttributes ?? {}), namespace: ctx.info.namespace });
      obj.metadata.namespace = ctx.info.namespace;
      obj.status = { allowed: r.allowed, ...(r.reason ? { reason: r.reason } : {}) };
      created(ctx, obj);
    },
    'authorization.k8s.io/selfsubjectrulesreviews/': async (ctx, served) => {
      const obj = await readReview(ctx, served);
      const all = d.authorize(ctx.write.user, { verb: '*', resource: '*', group: '*' }).allowed;
      obj.status = all
        ? { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }
        : { resourceRules: [], nonResourceRules: [], incomplete: true };
      created(ctx, obj);
    },

    '/pods/binding': async (ctx, _served, server) => {
      const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      if (!isObject(body)) throw errors.badRequest('the request body must be an object');
      const target = (body as { target?: { kind?: string; name?: string } }).target;
      if (!target?.name) throw invalidError('Binding', '', ctx.info.name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
      if (target.kind && target.kind !== 'Node') throw invalidError('Binding', '', ctx.info.name, [{ type: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${target.kind}": supported values: "Node"` }]);
      const pods = server.storeFor('', 'pods')!;
      await pods.guaranteedUpdate(ctx.info.namespace, ctx.info.name, ctx.write, (pod) => {
        const spec = (pod.spec ?? {}) as { nodeName?: string };
        if (pod.metadata.deletionTimestamp) throw errors.conflict('pods', '', ctx.info.name, 'pod is being deleted, cannot be assigned to a host');
        if (spec.nodeName) throw errors.conflict('pods', '', ctx.info.name, `pod ${ctx.info.name} is already assigned to node "${spec.nodeName}"`);
        spec.nodeName = target.name;
        pod.spec = spec;
        const status = (pod.status ?? {}) as { conditions?: Record<string, unknown>[] };
        const conds = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339Now(d.now()) });
        status.conditions = conds;
        pod.status = status;
        return pod;
      }, { subresource: 'binding' });
      success(ctx);
    },

    '/pods/eviction': async (ctx, _served, server) => {
      const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      if (!isObject(body)) throw errors.badRequest('the request body must be an object');
      const pods = server.storeFor('', 'pods')!;
      const pod = (await pods.get(ctx.info.namespace, ctx.info.name)).obj;
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      const opts = readDeleteOptionsFrom((body as { deleteOptions?: unknown }).deleteOptions);
      // Terminal or already-deleting pods are not protected by disruption budgets.
      if (phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp) {
        await consumeDisruption(server, pod, ctx);
      }
      await pods.delete(ctx.info.namespace, ctx.info.name, opts, ctx.write);
      success(ctx);
    },

    '/serviceaccounts/token': async (ctx, _served, server) => {
      const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      if (!isObject(body)) throw errors.badRequest('the request body must be an object');
      const sa = (await server.storeFor('', 'serviceaccounts')!.get(ctx.info.namespace, ctx.info.name)).obj;
      const spec = ((body as { spec?: Record<string, unknown> }).spec ?? {}) as { audiences?: string[]; expirationSeconds?: number; boundObjectRef?: { kind?: string; name?: string; uid?: string } };
      const exp = spec.expirationSeconds ?? 3600;
      if (exp < 600) throw invalidError('TokenRequest', 'authentication.k8s.io', ctx.info.name, [{ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${exp}: may not specify a duration less than 10 minutes` }]);
      const now = Math.floor(d.now() / 1000);
      const audiences = spec.audiences?.length ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'];
      const claims = {
        sub: `system:serviceaccount:${ctx.info.namespace}:${ctx.info.name}`,
        aud: audiences,
        exp: now + exp,
        jti: crypto.randomUUID(),
        'kubernetes.io': {
          namespace: ctx.info.namespace,
          serviceaccount: { name: ctx.info.name, uid: sa.metadata.uid! },
          ...(spec.boundObjectRef?.kind === 'Pod' && spec.boundObjectRef.name ? { pod: { name: spec.boundObjectRef.name, uid: spec.boundObjectRef.uid ?? '' } } : {}),
        },
      };
      const token = d.tokens.issue(claims, now);
      const out = {
        kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1',
        metadata: { name: ctx.info.name, namespace: ctx.info.namespace, creationTimestamp: null },
        spec: { audiences, expirationSeconds: exp, boundObjectRef: spec.boundObjectRef ?? null },
        status: { token, expirationTimestamp: rfc3339Now((now + exp) * 1000) },
      };
      created(ctx, out as unknown as KObject);
    },

    '/namespaces/finalize': async (ctx, _served, server) => {
      if (ctx.req.method !== 'PUT') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      const body = decodeObjectBody(await readBody(ctx.req), ctx.req.headers['content-type']);
      if (!isObject(body)) throw errors.badRequest('the request body must be an object');
      const finalizers = ((body as { spec?: { finalizers?: string[] } }).spec?.finalizers) ?? [];
      const { obj } = await server.storeFor('', 'namespaces')!.guaranteedUpdate('', ctx.info.name, ctx.write, (ns) => {
        ns.spec = { ...(ns.spec as object), finalizers };
        if (!finalizers.length) delete (ns.spec as { finalizers?: string[] }).finalizers;
        return ns;
      }, { subresource: 'finalize' });
      send(ctx.res, 200, JSON.stringify(obj));
    },
  };
}

/**
 * Enforces PodDisruptionBudgets for an eviction: a matching budget must allow a
 * disruption, which is then consumed (status.disruptionsAllowed decremented and the pod
 * recorded in disruptedPods), as upstream's eviction REST does.
 */
async function consumeDisruption(server: ApiServer, pod: KObject, ctx: Ctx): Promise<void> {
  const pdbs = server.storeFor('policy', 'poddisruptionbudgets');
  if (!pdbs) return;
  await pdbs.cache.fresh();
  const matching = [...pdbs.cache.range(pdbs.scopePrefix(pod.metadata.namespace))].filter((p) => {
    const sel = (p.obj.spec as { selector?: Record<string, unknown> } | undefined)?.selector;
    if (!sel) return false;
    return selectorFromLabelSelector(sel).matches(pod.metadata.labels ?? {});
  });
  if (!matching.length) return;
  if (matching.length > 1) {
    throw new StatusError(500, 'InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  }
  const pdb = matching[0].obj;
  await pdbs.guaranteedUpdate(pdb.metadata.namespace, pdb.metadata.name!, ctx.write, (cur) => {
    const st = (cur.status ?? {}) as { disruptionsAllowed?: number; observedGeneration?: number; disruptedPods?: Record<string, string> };
    if ((st.observedGeneration ?? 0) < (cur.metadata.generation ?? 1)) {
      throw errors.tooManyRequests('Cannot evict pod as it would violate the pod\'s disruption budget. The disruption budget ' + cur.metadata.name + ' is still being processed by the server.', 10);
    }
    if ((st.disruptionsAllowed ?? 0) <= 0) {
      throw new StatusError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${cur.metadata.name} needs ${(cur.status as { desiredHealthy?: number })?.desiredHealthy ?? 0} healthy pods and has ${(cur.status as { currentHealthy?: number })?.currentHealthy ?? 0} currently` }] });
    }
    st.disruptionsAllowed = (st.disruptionsAllowed ?? 0) - 1;
    st.disruptedPods = { ...(st.disruptedPods ?? {}), [pod.metadata.name!]: rfc3339Now(Date.now()) };
    cur.status = st;
    return cur;
  }, { subresource: 'status' });
}

/**
 * Namespace lifecycle admission: nothing is created in a namespace that does not exist
 * or is terminating.
 */
export function namespaceLifecycle(server: () => ApiServer): Admit {
  return async (op, res, obj) => {
    if (op !== 'CREATE' || !res.namespaced) return;
    const ns = obj.metadata.namespace;
    if (!ns) return;
    const nsStore = server().storeFor('', 'namespaces');
    if (!nsStore) return;
    await nsStore.cache.fresh();
    const n = nsStore.cache.get(nsStore.key(undefined, ns));
    if (!n) throw errors.notFound('namespaces', '', ns);
    if (n.obj.metadata.deletionTimestamp || (n.obj.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw errors.forbidden(`${res.plural}${res.group ? '.' + res.group : ''} "${obj.metadata.name ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`, { name: obj.metadata.name, group: res.group || undefined, kind: res.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] });
    }
  };
}

