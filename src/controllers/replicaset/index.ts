// The ReplicaSet controller: keeps as many active pods as spec.replicas asks for, owning
// them through a controller ownerReference (adopting matching orphans, releasing pods
// whose labels no longer match), and reports replica counts in status.
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import {
  ApiError, Informer, UIDTrackingExpectations, WorkQueue, isNotFound, objectKey, splitKey,
  type EventRecorder, type GroupVersionResource, type ResourceClient,
} from '../../client/index.js';
import { selectorFromLabelSelector, selectorFromSet, type Selector } from '../../machinery/labels.js';
import { deepEqual, getControllerOf, labelsEqual, newControllerRef, rfc3339Now } from '../../machinery/meta.js';
import { isPodActive, isPodAvailable, isPodReady, msUntilAvailable } from '../../api/helpers/pod.js';
import { logger } from '../../util/log.js';
import { claimObjects } from '../claim.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const RS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
/** Upstream burstReplicas: at most this many creations or deletions per sync. */
const BURST = 500;
const log = logger('replicaset-controller');

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const namespaceTerminating = (e: unknown): boolean =>
  e instanceof ApiError && !!e.status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');

/**
 * Runs fn count times in batches of 1, 2, 4, …, stopping after the first batch with a
 * failure so a systematic error (quota, admission) costs one call rather than hundreds.
 * Returns the successes and the first error.
 */
export async function slowStartBatch(count: number, fn: () => Promise<void>): Promise<{ ok: number; err?: unknown }> {
  let ok = 0;
  let remaining = count;
  for (let size = Math.min(remaining, 1); size > 0; size = Math.min(2 * size, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: size }, fn));
    ok += results.filter((r) => r.status === 'fulfilled').length;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) return { ok, err: failed.reason };
    remaining -= size;
  }
  return { ok };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const readySince = (p: Pod): number => Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '') || 0;
const restarts = (p: Pod): number => (p.status?.containerStatuses ?? []).reduce((m, c) => Math.max(m, c.restartCount ?? 0), 0);
const createdAt = (p: Pod): number => Date.parse(p.metadata?.creationTimestamp ?? '') || 0;

/**
 * Orders pods so the ones to delete first come first (upstream ActivePodsWithRanks):
 * unscheduled before scheduled, Pending before Unknown before Running, not ready before
 * ready, more pods of the same owner family on the node first, ready more recently first,
 * more restarts first, newer first.
 */
export function deletionOrder(rank: (p: Pod) => number): (a: Pod, b: Pod) => number {
  return (a, b) => {
    const an = !!a.spec?.nodeName, bn = !!b.spec?.nodeName;
    if (an !== bn) return an ? 1 : -1;
    const ap = PHASE_RANK[a.status?.phase ?? 'Pending'] ?? 0, bp = PHASE_RANK[b.status?.phase ?? 'Pending'] ?? 0;
    if (ap !== bp) return ap - bp;
    const ar = isPodReady(a), br = isPodReady(b);
    if (ar !== br) return ar ? 1 : -1;
    const ak = rank(a), bk = rank(b);
    if (ak !== bk) return bk - ak;
    if (ar && br) {
      const at = readySince(a), bt = readySince(b);
      if (at !== bt) return bt - at;
    }
    const rr = restarts(b) - restarts(a);
    if (rr !== 0) return rr;
    return createdAt(b) - createdAt(a);
  };
}

/** The pod a controller creates from its template. */
export function podFromTemplate(rs: ReplicaSet, ref: OwnerReference): Pod {
  const t = rs.spec?.template ?? {};
  const meta = t.metadata ?? {};
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata?.name}-`, namespace: rs.metadata?.namespace,
      labels: meta.labels && { ...meta.labels }, annotations: meta.annotations && { ...meta.annotations },
      finalizers: meta.finalizers && [...meta.finalizers], ownerReferences: [ref],
    },
    spec: structuredClone(t.spec),
  } as Pod;
}

class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly queue: WorkQueue<string>;
  private readonly expectations: UIDTrackingExpectations;
  private readonly recorder: EventRecorder;
  private readonly rsClient: ResourceClient<ReplicaSet>;
  private readonly podClient: ResourceClient<Pod>;
  private rsInf!: Informer<ReplicaSet>;
  private podInf!: Informer<Pod>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'replicaset' });
    this.expectations = new UIDTrackingExpectations(ctx.clock);
    this.recorder = ctx.recorder('replicaset-controller');
    this.rsClient = ctx.client.resource<ReplicaSet>(RS);
    this.podClient = ctx.client.resource<Pod>(PODS);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.rsInf = this.ctx.informers.informerFor<ReplicaSet>(RS);
    this.podInf = this.ctx.informers.informerFor<Pod>(PODS);
    this.rsInf.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (rs) => { this.expectations.delete(objectKey(rs)); this.enqueue(rs); },
    });
    this.podInf.addEventHandler({
      onAdd: (p) => this.podAdded(p),
      onUpdate: (o, p) => this.podUpdated(o, p),
      onDelete: (p) => this.podDeleted(p),
    });
    if (!(await this.ctx.informers.waitForSync(signal))) return;
    await this.queue.runWorkers(this.ctx.options.workers, (key) => this.sync(key), signal);
  }

  private enqueue(rs: ReplicaSet): void { this.queue.add(objectKey(rs)); }

  /** The ReplicaSet a controller reference points at, if it is the one the cache holds. */
  private resolve(namespace: string, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet' || !ref.apiVersion.startsWith('apps/')) return undefined;
    const rs = this.rsInf.lister.get(namespace, ref.name);
    return rs?.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets whose selector matches an orphan pod (candidates for adopting it). */
  private matching(pod: Pod): ReplicaSet[] {
    return this.rsInf.lister.listNamespace(pod.metadata?.namespace ?? '').filter((rs) => {
      try { return selectorFromLabelSelector(rs.spec?.selector).matches(pod.metadata?.labels); } catch { return false; }
    });
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return this.podDeleted(pod);
    const ns = pod.metadata?.namespace ?? '';
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.resolve(ns, ref);
      if (rs) { this.expectations.creationObserved(objectKey(rs)); this.enqueue(rs); }
      return;
    }
    for (const rs of this.matching(pod)) this.enqueue(rs);
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const ns = cur.metadata?.namespace ?? '';
    const labelsChanged = !labelsEqual(old.metadata?.labels, cur.metadata?.labels);
    if (cur.metadata?.deletionTimestamp) {
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const oldRef = getControllerOf(old), curRef = getControllerOf(cur);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) { const rs = this.resolve(ns, oldRef); if (rs) this.enqueue(rs); }
    if (curRef) {
      const rs = this.resolve(ns, curRef);
      if (!rs) return;
      this.enqueue(rs);
      // Availability arrives minReadySeconds after readiness, with no event of its own.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (minReady > 0 && !isPodReady(old) && isPodReady(cur)) this.queue.addAfter(objectKey(rs), minReady * 1000 + 1);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matching(cur)) this.enqueue(rs);
  }

  private podDeleted(pod: Pod): void {
    const rs = this.resolve(pod.metadata?.namespace ?? '', getControllerOf(pod));
    if (!rs) return;
    const key = objectKey(rs);
    this.expectations.deletionObservedOf(key, objectKey(pod));
    this.queue.add(key);
  }

  private async sync(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const rs = this.rsInf.lister.get(namespace, name);
    if (!rs) { this.expectations.delete(key); return; }
    const needsSync = this.expectations.satisfied(key);
    const selector = selectorFromLabelSelector(rs.spec?.selector);
    const active = this.podInf.lister.listNamespace(namespace).filter(isPodActive);
    const pods = await this.claimPods(rs, selector, active);
    let manageErr: unknown;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try { await this.manageReplicas(key, pods, rs); } catch (e) { manageErr = e; }
    }
    const now = this.ctx.clock.now();
    const updated = await this.updateStatus(rs, this.calculateStatus(rs, pods, manageErr, now));
    if (manageErr) throw manageErr;
    // Come back when the next ready pod turns available.
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (updated.status?.availableReplicas ?? 0) < (updated.status?.readyReplicas ?? 0)) {
      const waits = pods.map((p) => msUntilAvailable(p, minReady, now)).filter((x): x is number => x !== undefined);
      if (waits.length) return { requeueAfterMs: Math.min(...waits) };
    }
  }

  /** The active pods this ReplicaSet owns after adopting matching orphans and releasing non-matching pods. */
  private claimPods(rs: ReplicaSet, selector: Selector, pods: Pod[]): Promise<Pod[]> {
    return claimObjects(pods, {
      owner: rs, apiVersion: 'apps/v1', kind: 'ReplicaSet', ownerClient: this.rsClient, client: this.podClient,
      matches: (p) => selector.matches(p.metadata?.labels),
    });
  }

  private async manageReplicas(key: string, pods: Pod[], rs: ReplicaSet): Promise<void> {
    const diff = pods.length - (rs.spec?.replicas ?? 1);
    const ns = rs.metadata?.namespace ?? '';
    if (diff < 0) {
      const want = Math.min(-diff, BURST);
      this.expectations.expectCreations(key, want);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      let attempted = 0;
      const { err } = await slowStartBatch(want, async () => {
        attempted++;
        try {
          const pod = await this.podClient.create(ns, podFromTemplate(rs, ref));
          this.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
        } catch (e) {
          this.expectations.creationObserved(key);
          if (namespaceTerminating(e)) return;
          this.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
          throw e;
        }
      });
      // Creations never attempted will not be observed either.
      if (want > attempted) this.expectations.lower(key, want - attempted, 0);
      if (err) throw err;
      return;
    }
    if (diff > 0) {
      const related = this.relatedPods(rs);
      const onNode = new Map<string, number>();
      for (const p of related) if (p.spec?.nodeName) onNode.set(p.spec.nodeName, (onNode.get(p.spec.nodeName) ?? 0) + 1);
      const victims = diff < pods.length
        ? [...pods].sort(deletionOrder((p) => (p.spec?.nodeName ? onNode.get(p.spec.nodeName) ?? 0 : 0))).slice(0, Math.min(diff, BURST))
        : pods.slice(0, Math.min(diff, BURST));
      this.expectations.expectDeletionsOf(key, victims.map(objectKey));
      const results = await Promise.allSettled(victims.map(async (pod) => {
        try {
          await this.podClient.delete(ns, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid } });
          this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
        } catch (e) {
          this.expectations.deletionObservedOf(key, objectKey(pod));
          if (isNotFound(e)) return;
          this.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
          throw e;
        }
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  /** Active pods controlled by any ReplicaSet with the same controller as rs (a Deployment's ReplicaSets). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = getControllerOf(rs);
    const ns = rs.metadata?.namespace ?? '';
    const family = ref
      ? new Set(this.rsInf.lister.listNamespace(ns).filter((o) => getControllerOf(o)?.uid === ref.uid).map((o) => o.metadata?.uid))
      : new Set([rs.metadata?.uid]);
    return this.podInf.lister.listNamespace(ns).filter((p) => isPodActive(p) && family.has(getControllerOf(p)?.uid));
  }

  private calculateStatus(rs: ReplicaSet, pods: Pod[], manageErr: unknown, now: number): ReplicaSetStatus {
    const status: ReplicaSetStatus = structuredClone(rs.status ?? { replicas: 0 });
    const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
    const minReady = rs.spec?.minReadySeconds ?? 0;
    status.replicas = pods.length;
    status.fullyLabeledReplicas = pods.filter((p) => templateLabels.matches(p.metadata?.labels)).length;
    status.readyReplicas = pods.filter(isPodReady).length;
    status.availableReplicas = pods.filter((p) => isPodAvailable(p, minReady, now)).length;
    const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure');
    if (manageErr && !failure) {
      const reason = pods.length < (rs.spec?.replicas ?? 1) ? 'FailedCreate' : 'FailedDelete';
      const cond: ReplicaSetCondition = { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339Now(now), reason, message: errText(manageErr) };
      status.conditions = [...(status.conditions ?? []), cond];
    } else if (!manageErr && failure) {
      status.conditions = status.conditions!.filter((c) => c.type !== 'ReplicaFailure');
      if (!status.conditions.length) delete status.conditions;
    }
    return status;
  }

  private async updateStatus(rs: ReplicaSet, status: ReplicaSetStatus): Promise<ReplicaSet> {
    const generation = rs.metadata?.generation ?? 0;
    if (deepEqual({ ...rs.status, observedGeneration: undefined }, { ...status, observedGeneration: undefined }) && rs.status?.observedGeneration === generation) return rs;
    let cur: ReplicaSet = rs;
    for (let attempt = 0; ; attempt++) {
      const next: ReplicaSet = { ...structuredClone(cur), status: { ...status, observedGeneration: cur.metadata?.generation ?? generation } };
      try {
        return await this.rsClient.updateStatus(next.metadata?.namespace ?? '', next);
      } catch (e) {
        if (isNotFound(e)) return cur;
        if (attempt >= 1) throw e;
        log.debug({ rs: objectKey(rs), err: errText(e) }, 'status update failed; retrying on a fresh copy');
        try {
          cur = await this.rsClient.get(rs.metadata?.namespace ?? '', rs.metadata?.name ?? '');
        } catch (e2) {
          if (isNotFound(e2)) return rs;
          throw e2;
        }
      }
    }
  }
}

export const replicaSetController: ControllerFactory = (ctx) => new ReplicaSetController(ctx);
