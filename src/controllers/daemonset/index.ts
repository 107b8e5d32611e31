// DaemonSet controller: one pod per eligible node. Pods are created pinned to their node
// by a required node affinity on metadata.name (the scheduler binds them), labelled with
// the template's revision hash, and replaced by RollingUpdate (maxUnavailable / maxSurge)
// or only when deleted (OnDelete). Template history is kept as ControllerRevisions.
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import {
  ControllerExpectations, isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, waitForCacheSync,
  type EventRecorder, type KubeObject, type Lister, type ResourceClient,
} from '../../client/index.js';
import { isPodAvailable, isPodReady } from '../../api/helpers/pods.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, REVISION_HASH_LABEL, planRevision, sortRevisions, templatePatch,
} from '../../api/helpers/history.js';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.js';
import { getControllerOf, deepEqual, newControllerRef } from '../../machinery/meta.js';
import { CLAIM_INDEXERS, claimCandidates, claimObjects, ownersToSync, resolveController } from '../claim.js';
import type { Controller, ControllerContext } from '../context.js';
import { nodeShouldRunDaemonPod, podSpecForNode, targetNodeName } from './predicates.js';

export const DAEMONSETS = { group: 'apps', version: 'v1', resource: 'daemonsets', namespaced: true };
export const CONTROLLER_REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true };
export const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };

const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';

type Obj = DaemonSet & KubeObject;

/** intstr scaled against a total, rounding percentages up (as the DaemonSet controller does). */
export function scaledValue(v: number | string | undefined, total: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (m) return Math.ceil((Number(m[1]) * total) / 100);
  const n = Number(v);
  return Number.isInteger(n) ? n : dflt;
}

const byCreation = (a: Pod, b: Pod) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '')
  || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

export function daemonSetController(ctx: ControllerContext): Controller {
  return {
    name: 'daemonset',
    async run(signal) {
      const dsInf = ctx.informers.informerFor<Obj>(DAEMONSETS);
      const podInf = ctx.informers.informerFor<Pod & KubeObject>(PODS, { indexers: CLAIM_INDEXERS });
      const nodeInf = ctx.informers.informerFor<Node & KubeObject>(NODES);
      const revInf = ctx.informers.informerFor<ControllerRevision & KubeObject>(CONTROLLER_REVISIONS, { indexers: CLAIM_INDEXERS });
      const queue = new WorkQueue<string>({ clock: ctx.clock, name: 'daemonset' });
      const expectations = new ControllerExpectations(ctx.clock);
      const ownerKey = (o: KubeObject): string | undefined => {
        const ds = resolveController(dsInf.lister, 'DaemonSet', o);
        return ds && objectKey(ds);
      };
      // Owners of a dependent, or for an orphan the DaemonSets that may adopt it.
      const sync = (old: KubeObject | undefined, cur: KubeObject) => { for (const ds of ownersToSync(dsInf.lister, 'DaemonSet', old, cur)) queue.add(objectKey(ds)); };
      const enqueueAll = () => { for (const ds of dsInf.lister.list()) queue.add(objectKey(ds)); };
      dsInf.addEventHandler({ onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_o, n) => queue.add(objectKey(n)), onDelete: (o) => { expectations.delete(objectKey(o)); queue.add(objectKey(o)); } });
      podInf.addEventHandler({
        onAdd: (p) => {
          // No creation is expected of an orphan: only a pod this controller made counts.
          const k = ownerKey(p);
          if (k) expectations.creationObserved(k);
          sync(undefined, p);
        },
        onUpdate: (o, p) => {
          const k = ownerKey(p);
          if (k && p.metadata?.deletionTimestamp && !o.metadata?.deletionTimestamp) expectations.deletionObserved(k);
          sync(o, p);
        },
        onDelete: (p) => { const k = ownerKey(p); if (k) { expectations.deletionObserved(k); queue.add(k); } },
      });
      nodeInf.addEventHandler({ onAdd: enqueueAll, onUpdate: (o, n) => { if (!deepEqual(o.metadata?.labels, n.metadata?.labels) || !deepEqual(o.spec, n.spec)) enqueueAll(); }, onDelete: enqueueAll });
      revInf.addEventHandler({
        onAdd: (r) => sync(undefined, r),
        onUpdate: (o, r) => sync(o, r),
        onDelete: (r) => { const k = ownerKey(r); if (k) queue.add(k); },
      });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      // Only this controller's caches: another controller's failing informer must not stall it.
      if (!(await waitForCacheSync(signal, dsInf, podInf, nodeInf, revInf))) return;
      const syncer = new DaemonSetSync({
        dsClient: ctx.client.resource<Obj>(DAEMONSETS),
        podClient: ctx.client.resource<Pod & KubeObject>(PODS),
        revClient: ctx.client.resource<ControllerRevision & KubeObject>(CONTROLLER_REVISIONS),
        dsLister: dsInf.lister, podLister: podInf.lister, nodeLister: nodeInf.lister, revLister: revInf.lister,
        expectations, recorder: ctx.recorder('daemonset-controller'), now: () => ctx.clock.now(),
      });
      await queue.runWorkers(ctx.options.workers, (key) => syncer.sync(key), signal);
    },
  };
}

interface Deps {
  dsClient: ResourceClient<Obj>;
  podClient: ResourceClient<Pod & KubeObject>;
  revClient: ResourceClient<ControllerRevision & KubeObject>;
  dsLister: Lister<Obj>;
  podLister: Lister<Pod & KubeObject>;
  nodeLister: Lister<Node & KubeObject>;
  revLister: Lister<ControllerRevision & KubeObject>;
  expectations: ControllerExpectations;
  recorder: EventRecorder;
  now(): number;
}

class DaemonSetSync {
  constructor(private readonly d: Deps) {}

  async sync(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const ds = this.d.dsLister.get(namespace, name);
    if (!ds) { this.d.expectations.delete(key); return; }
    let selector: Selector;
    try { selector = selectorFromLabelSelector(ds.spec?.selector); } catch { return; } // invalid: retrying cannot help
    if (selector.empty) {
      this.d.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // A deleting DaemonSet's history and pods may already be going; its status cannot be trusted.
    if (ds.metadata?.deletionTimestamp) return;
    const revs = await this.claim(ds, selector, this.d.revLister, this.d.revClient);
    const { hash, collisionCount } = await this.currentRevision(ds, revs);
    const pods = await this.claim(ds, selector, this.d.podLister, this.d.podClient);
    const nodes = this.d.nodeLister.list();
    const byNode = new Map<string, Pod[]>();
    for (const p of pods) {
      const n = targetNodeName(p);
      if (n !== undefined) byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    if (this.d.expectations.satisfied(key)) await this.manage(ds, key, nodes, byNode, hash);
    await this.cleanupHistory(ds, pods, hash, revs);
    return this.updateStatus(ds, nodes, byNode, hash, collisionCount);
  }

  /** The pods or ControllerRevisions the DaemonSet owns, after adopting matching orphans and releasing what no longer matches. */
  private claim<T extends KubeObject>(ds: Obj, selector: Selector, lister: Lister<T>, client: ResourceClient<T>): Promise<T[]> {
    return claimObjects(claimCandidates(lister, ds), {
      owner: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', ownerClient: this.d.dsClient, client,
      matches: (o) => selector.matches(o.metadata?.labels),
    });
  }

  /** Finds or creates the revision for the current template; returns its hash. */
  private async currentRevision(ds: Obj, revs: ControllerRevision[]): Promise<{ hash: string; collisionCount: number }> {
    const ns = ds.metadata!.namespace!;
    const data = templatePatch(ds.spec?.template);
    let collisionCount = ds.status?.collisionCount ?? 0;
    for (;;) {
      const plan = planRevision(ds.metadata!.name!, revs, data, collisionCount);
      if (plan.action === 'reuse') {
        if (plan.renumberTo !== undefined) {
          await this.d.revClient.patch(ns, plan.revision.metadata!.name!, 'merge', { revision: plan.renumberTo });
        }
        return { hash: plan.revision.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '', collisionCount };
      }
      const rev: ControllerRevision & KubeObject = {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: {
          name: plan.name, namespace: ns,
          labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: plan.hash, [REVISION_HASH_LABEL]: plan.hash },
          ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
        },
        data, revision: plan.number,
      };
      try {
        await this.d.revClient.create(ns, rev);
        return { hash: plan.hash, collisionCount };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await this.d.revClient.get(ns, plan.name);
        const mine = getControllerOf(existing as never)?.uid === ds.metadata?.uid;
        if (mine && deepEqual(existing.data, data)) return { hash: plan.hash, collisionCount };
        // A different revision holds the name: bump the collision count (persisted with the status).
        collisionCount++;
        await this.d.dsClient.updateStatus(ns, { ...structuredClone(ds), status: { ...(ds.status as DaemonSetStatus), collisionCount } });
        throw new Error(`controllerrevision ${plan.name} collides; retrying with collisionCount ${collisionCount}`);
      }
    }
  }

  private isUpdated(pod: Pod, hash: string, generation: string | undefined): boolean {
    const labels = pod.metadata?.labels ?? {};
    const h = labels[CONTROLLER_REVISION_HASH_LABEL];
    return h ? h === hash : generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === generation;
  }

  private async manage(ds: Obj, key: string, nodes: Node[], byNode: Map<string, Pod[]>, hash: string): Promise<void> {
    const template = ds.spec?.template?.spec ?? { containers: [] };
    const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    const rolling = ds.spec?.updateStrategy?.type !== 'OnDelete';
    const desired = nodes.filter((n) => nodeShouldRunDaemonPod(template, n).shouldRun).length;
    const ru = ds.spec?.updateStrategy?.rollingUpdate;
    const maxSurge = rolling ? scaledValue(ru?.maxSurge, desired, 0) : 0;
    let maxUnavailable = rolling ? scaledValue(ru?.maxUnavailable, desired, 1) : 0;
    if (rolling && maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
    const now = this.d.now();
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const toCreate: string[] = [];
    const toDelete: Pod[] = [];
    const live = (ps: Pod[]) => ps.filter((p) => !p.metadata?.deletionTimestamp);

    for (const node of nodes) {
      const nodeName = node.metadata!.name!;
      const pods = byNode.get(nodeName) ?? [];
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(template, node);
      if (shouldRun && pods.length === 0) { toCreate.push(nodeName); continue; }
      if (!shouldContinueRunning) { toDelete.push(...live(pods)); continue; }
      const running: Pod[] = [];
      for (const p of live(pods)) {
        // A daemon pod that finished (restartPolicy is Always, so it crashed out) is replaced.
        if (p.status?.phase === 'Failed') {
          this.d.recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${nodeName}, will try to kill it`);
          toDelete.push(p);
        } else if (p.status?.phase === 'Succeeded') toDelete.push(p);
        else running.push(p);
      }
      running.sort(byCreation);
      if (maxSurge > 0) {
        // While surging a node may hold one old and one new pod; extras of either go.
        const [upd, old] = [running.filter((p) => this.isUpdated(p, hash, generation)), running.filter((p) => !this.isUpdated(p, hash, generation))];
        toDelete.push(...upd.slice(1), ...old.slice(1));
      } else {
        toDelete.push(...running.slice(1));
      }
    }
    for (const name of byNode.keys()) if (!nodes.some((n) => n.metadata?.name === name)) toDelete.push(...live(byNode.get(name)!));

    if (rolling) {
      const plan = this.rollingUpdate(nodes, byNode, template, hash, generation, maxSurge, maxUnavailable, minReady, now);
      for (const p of plan.del) if (!toDelete.includes(p)) toDelete.push(p);
      toCreate.push(...plan.create);
    }
    if (!toCreate.length && !toDelete.length) return;
    this.d.expectations.set(key, toCreate.length, toDelete.length);
    const ns = ds.metadata!.namespace!;
    const results = await Promise.allSettled([
      ...toCreate.map(async (nodeName) => {
        try {
          const pod = await this.d.podClient.create(ns, this.newPod(ds, nodeName, hash, generation));
          this.d.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
        } catch (err) {
          this.d.expectations.creationObserved(key);
          this.d.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }),
      ...toDelete.map(async (p) => {
        try {
          await this.d.podClient.delete(ns, p.metadata!.name!, { preconditions: { uid: p.metadata?.uid } });
          this.d.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
        } catch (err) {
          this.d.expectations.deletionObserved(key);
          if (isNotFound(err)) return;
          this.d.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${err instanceof Error ? err.message : String(err)}`);
          throw err;
        }
      }),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Old pods to delete and nodes to surge onto this pass. Without surge, unavailable old
   * pods go at once and available ones within maxUnavailable; with surge, a new pod is
   * added next to an old one (within maxSurge) and the old one goes once the new is available.
   */
  private rollingUpdate(nodes: Node[], byNode: Map<string, Pod[]>, template: PodSpec,
    hash: string, generation: string | undefined, maxSurge: number, maxUnavailable: number, minReady: number, now: number): { del: Pod[]; create: string[] } {
    const del: Pod[] = [];
    const create: string[] = [];
    const available = (p: Pod) => isPodAvailable(p, minReady, now);
    interface Slot { node: string; upd?: Pod; old?: Pod }
    const slots: Slot[] = [];
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(template, node).shouldRun) continue;
      const pods = (byNode.get(node.metadata!.name!) ?? []).filter((p) => !p.metadata?.deletionTimestamp);
      const upd = pods.filter((p) => this.isUpdated(p, hash, generation));
      const old = pods.filter((p) => !this.isUpdated(p, hash, generation));
      if (upd.length > 1 || old.length > 1) continue;
      slots.push({ node: node.metadata!.name!, upd: upd[0], old: old[0] });
    }
    if (maxSurge === 0) {
      let unavailable = 0;
      const candidates: Pod[] = [];
      for (const s of slots) {
        if (!s.old) { if (!s.upd || !available(s.upd)) unavailable++; continue; }
        if (s.upd) { unavailable++; continue; }
        if (!available(s.old)) del.push(s.old);
        else candidates.push(s.old);
      }
      del.push(...candidates.slice(0, Math.max(0, maxUnavailable - unavailable)));
      return { del, create };
    }
    let surging = slots.filter((s) => s.old && s.upd).length;
    for (const s of slots) {
      if (!s.old) continue;
      if (s.upd) { if (available(s.upd)) del.push(s.old); continue; }
      if (!available(s.old)) create.push(s.node);
      else if (surging < maxSurge) { surging++; create.push(s.node); }
    }
    return { del, create };
  }

  private newPod(ds: Obj, nodeName: string, hash: string, generation: string | undefined): Pod & KubeObject {
    const tmpl = ds.spec?.template;
    const labels: Record<string, string> = { ...(tmpl?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash };
    if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = generation;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata!.name}-`, namespace: ds.metadata!.namespace, labels,
        annotations: tmpl?.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
        ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
      },
      spec: podSpecForNode(tmpl?.spec ?? { containers: [] }, nodeName),
    };
  }

  /** Deletes the oldest revisions beyond revisionHistoryLimit that no live pod uses. */
  private async cleanupHistory(ds: Obj, pods: Pod[], hash: string, owned: ControllerRevision[]): Promise<void> {
    const limit = ds.spec?.revisionHistoryLimit ?? 10;
    const inUse = new Set([hash, ...pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL])]);
    const revs = sortRevisions(owned);
    const removable = revs.filter((r) => !inUse.has(r.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL]));
    for (const r of removable.slice(0, Math.max(0, removable.length - limit))) {
      try { await this.d.revClient.delete(r.metadata!.namespace!, r.metadata!.name!); } catch (err) { if (!isNotFound(err)) throw err; }
    }
  }

  private async updateStatus(ds: Obj, nodes: Node[], byNode: Map<string, Pod[]>, hash: string, collisionCount: number): Promise<{ requeueAfterMs?: number } | void> {
    const template = ds.spec?.template?.spec ?? { containers: [] };
    const generation = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const now = this.d.now();
    let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    let waitReady = false;
    for (const node of nodes) {
      const pods = (byNode.get(node.metadata!.name!) ?? []).filter((p) => !p.metadata?.deletionTimestamp).sort(byCreation);
      const { shouldRun } = nodeShouldRunDaemonPod(template, node);
      if (!shouldRun) { if (pods.length) misscheduled++; continue; }
      desired++;
      if (!pods.length) continue;
      current++;
      const pod = pods[0];
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
        else waitReady = true;
      }
      if (this.isUpdated(pod, hash, generation)) updated++;
    }
    const status: DaemonSetStatus = {
      ...(ds.status ?? {}),
      currentNumberScheduled: current, desiredNumberScheduled: desired, numberMisscheduled: misscheduled,
      numberReady: ready, numberAvailable: available, numberUnavailable: desired - available, updatedNumberScheduled: updated,
      observedGeneration: ds.metadata?.generation,
    };
    if (collisionCount) status.collisionCount = collisionCount;
    if (!status.numberAvailable) delete status.numberAvailable;
    if (!status.numberUnavailable) delete status.numberUnavailable;
    if (!status.updatedNumberScheduled) delete status.updatedNumberScheduled;
    if (!deepEqual(status, ds.status)) {
      await this.d.dsClient.updateStatus(ds.metadata!.namespace!, { ...structuredClone(ds), status });
    }
    return waitReady && minReady > 0 ? { requeueAfterMs: minReady * 1000 } : undefined;
  }
}
