// StatefulSet controller: pods <set>-<ordinal> with stable identity (hostname, subdomain,
// per-ordinal PersistentVolumeClaims from volumeClaimTemplates). OrderedReady creates in
// ascending order, each only once the previous is Running and Ready, and removes in
// descending order; Parallel acts on all at once. RollingUpdate replaces pods from the
// highest ordinal down to the partition, one at a time; OnDelete waits for deletions.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import {
  isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, waitForCacheSync,
  type EventRecorder, type KubeObject, type Lister, type ResourceClient,
} from '../../client/index.js';
import { isPodAvailable, isPodReady } from '../../api/helpers/pods.js';
import {
  CONTROLLER_REVISION_HASH_LABEL, REVISION_HASH_LABEL, planRevision, sortRevisions, templateOfRevision, templatePatch,
} from '../../api/helpers/history.js';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.js';
import { deepEqual, getControllerOf, newControllerRef, type OwnerRef } from '../../machinery/meta.js';
import { CLAIM_INDEXERS, claimCandidates, claimObjects, ownersToSync, resolveController } from '../claim.js';
import type { Controller, ControllerContext } from '../context.js';

export const STATEFULSETS = { group: 'apps', version: 'v1', resource: 'statefulsets', namespaced: true };
export const CONTROLLER_REVISIONS = { group: 'apps', version: 'v1', resource: 'controllerrevisions', namespaced: true };
export const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims', namespaced: true };

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

type Obj = StatefulSet & KubeObject;
type PodObj = Pod & KubeObject;
type Result = { requeueAfterMs?: number } | void;

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Running, Ready and not being deleted. */
function isHealthy(p: Pod): boolean {
  return p.status?.phase === 'Running' && isPodReady(p) && !p.metadata?.deletionTimestamp;
}

export function statefulSetController(ctx: ControllerContext): Controller {
  return {
    name: 'statefulset',
    async run(signal) {
      const setInf = ctx.informers.informerFor<Obj>(STATEFULSETS);
      const podInf = ctx.informers.informerFor<PodObj>(PODS, { indexers: CLAIM_INDEXERS });
      const revInf = ctx.informers.informerFor<ControllerRevision & KubeObject>(CONTROLLER_REVISIONS, { indexers: CLAIM_INDEXERS });
      const pvcInf = ctx.informers.informerFor<PersistentVolumeClaim & KubeObject>(PVCS);
      const queue = new WorkQueue<string>({ clock: ctx.clock, name: 'statefulset' });
      const byOwner = (o: KubeObject) => { const set = resolveController(setInf.lister, 'StatefulSet', o); if (set) queue.add(objectKey(set)); };
      // Owners of a pod, or for an orphan the StatefulSets that may adopt it.
      const sync = (old: KubeObject | undefined, cur: KubeObject) => { for (const set of ownersToSync(setInf.lister, 'StatefulSet', old, cur)) queue.add(objectKey(set)); };
      setInf.addEventHandler({ onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_o, n) => queue.add(objectKey(n)), onDelete: (o) => queue.add(objectKey(o)) });
      podInf.addEventHandler({ onAdd: (p) => sync(undefined, p), onUpdate: (o, p) => sync(o, p), onDelete: byOwner });
      revInf.addEventHandler({ onDelete: byOwner });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      // Only this controller's caches: another controller's failing informer must not stall it.
      if (!(await waitForCacheSync(signal, setInf, podInf, revInf, pvcInf))) return;
      const syncer = new StatefulSetSync({
        setClient: ctx.client.resource<Obj>(STATEFULSETS),
        podClient: ctx.client.resource<PodObj>(PODS),
        revClient: ctx.client.resource<ControllerRevision & KubeObject>(CONTROLLER_REVISIONS),
        pvcClient: ctx.client.resource<PersistentVolumeClaim & KubeObject>(PVCS),
        setLister: setInf.lister, podLister: podInf.lister, revLister: revInf.lister, pvcLister: pvcInf.lister,
        recorder: ctx.recorder('statefulset-controller'), now: () => ctx.clock.now(),
      });
      await queue.runWorkers(ctx.options.workers, (key) => syncer.sync(key), signal);
    },
  };
}

interface Deps {
  setClient: ResourceClient<Obj>;
  podClient: ResourceClient<PodObj>;
  revClient: ResourceClient<ControllerRevision & KubeObject>;
  pvcClient: ResourceClient<PersistentVolumeClaim & KubeObject>;
  setLister: Lister<Obj>;
  podLister: Lister<PodObj>;
  revLister: Lister<ControllerRevision & KubeObject>;
  pvcLister: Lister<PersistentVolumeClaim & KubeObject>;
  recorder: EventRecorder;
  now(): number;
}

/** The ordinal in a pod name <set>-<n>, or undefined when the name is not one of the set's. */
export function ordinalOf(setName: string, podName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const rest = podName.slice(setName.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * Whether a pod's name makes it one of the set's (upstream isMemberOf): the name up to a
 * final "-<digits>" is the set's name. Only members are adopted; owned non-members are released.
 */
export function isMemberOf(setName: string, podName: string): boolean {
  const m = /^(.*)-[0-9]+$/.exec(podName);
  return !!m && m[1] === setName;
}

/** <template>-<set>-<ordinal>. */
export const claimName = (template: string, setName: string, ordinal: number) => `${template}-${setName}-${ordinal}`;

class StatefulSetSync {
  constructor(private readonly d: Deps) {}

  async sync(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const set = this.d.setLister.get(namespace, name);
    if (!set || set.metadata?.deletionTimestamp) return;
    let selector: Selector;
    try { selector = selectorFromLabelSelector(set.spec?.selector); } catch { return; } // invalid: retrying cannot help
    const revs = await this.claimRevisions(set, selector);
    const { update, collisionCount } = await this.updateRevision(set, revs);
    const current = revs.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    const pods = await this.claimPods(set, selector);
    const requeue = await this.reconcile(set, pods, current, update);
    await this.cleanupHistory(set, pods, revs, [current, update]);
    await this.updateStatus(set, pods, current, update, collisionCount);
    return requeue;
  }

  /**
   * The set's ControllerRevisions matching its selector, after adopting matching orphans.
   * Upstream StatefulSets adopt history but never release it.
   */
  private claimRevisions(set: Obj, selector: Selector): Promise<(ControllerRevision & KubeObject)[]> {
    return claimObjects(claimCandidates(this.d.revLister, set), {
      owner: set, apiVersion: 'apps/v1', kind: 'StatefulSet', ownerClient: this.d.setClient, client: this.d.revClient,
      matches: (r) => selector.matches(r.metadata?.labels), release: false,
    });
  }

  /** The set's pods: members its selector matches, after adopting such orphans and releasing owned pods that are not. */
  private claimPods(set: Obj, selector: Selector): Promise<PodObj[]> {
    const name = set.metadata?.name ?? '';
    return claimObjects(claimCandidates(this.d.podLister, set), {
      owner: set, apiVersion: 'apps/v1', kind: 'StatefulSet', ownerClient: this.d.setClient, client: this.d.podClient,
      matches: (p) => selector.matches(p.metadata?.labels) && isMemberOf(name, p.metadata?.name ?? ''),
    });
  }

  private async updateRevision(set: Obj, revs: ControllerRevision[]): Promise<{ update: ControllerRevision; collisionCount: number }> {
    const ns = set.metadata!.namespace!;
    const data = templatePatch(set.spec?.template);
    let collisionCount = set.status?.collisionCount ?? 0;
    const plan = planRevision(set.metadata!.name!, revs, data, collisionCount);
    if (plan.action === 'reuse') {
      if (plan.renumberTo === undefined) return { update: plan.revision, collisionCount };
      return { update: await this.d.revClient.patch(ns, plan.revision.metadata!.name!, 'merge', { revision: plan.renumberTo }), collisionCount };
    }
    const rev: ControllerRevision & KubeObject = {
      apiVersion: 'apps/v1', kind: 'ControllerRevision',
      metadata: {
        name: plan.name, namespace: ns,
        labels: { ...(set.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: plan.hash },
        ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
      },
      data, revision: plan.number,
    };
    try {
      return { update: await this.d.revClient.create(ns, rev), collisionCount };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.d.revClient.get(ns, plan.name);
      if (getControllerOf(existing as never)?.uid === set.metadata?.uid && deepEqual(existing.data, data)) return { update: existing, collisionCount };
      collisionCount++;
      await this.d.setClient.updateStatus(ns, { ...structuredClone(set), status: { ...(set.status as StatefulSetStatus), collisionCount } });
      throw new Error(`controllerrevision ${plan.name} collides; retrying with collisionCount ${collisionCount}`);
    }
  }

  private async reconcile(set: Obj, pods: PodObj[], current: ControllerRevision, update: ControllerRevision): Promise<Result> {
    const name = set.metadata!.name!;
    const replicas = set.spec?.replicas ?? 1;
    const start = set.spec?.ordinals?.start ?? 0;
    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.d.now();
    const byOrd = new Map<number, PodObj>();
    const condemned: PodObj[] = [];
    for (const p of pods) {
      const ord = ordinalOf(name, p.metadata?.name ?? '');
      if (ord === undefined) continue;
      if (ord >= start && ord < start + replicas) byOrd.set(ord, p);
      else condemned.push(p);
    }
    condemned.sort((a, b) => ordinalOf(name, b.metadata!.name!)! - ordinalOf(name, a.metadata!.name!)!);
    const rolling = set.spec?.updateStrategy?.type !== 'OnDelete';
    const partition = rolling ? set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0 : 0;
    let waitAvailable = false;

    for (let ord = start; ord < start + replicas; ord++) {
      const pod = byOrd.get(ord);
      if (pod && !pod.metadata?.deletionTimestamp && (pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded')) {
        // A finished pod is replaced under the same name.
        await this.deletePod(set, pod);
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        // Below the partition new pods keep the current revision; from it on they get the update.
        const rev = rolling && ord < start + (set.spec?.updateStrategy?.rollingUpdate ? partition : (set.status?.currentReplicas ?? 0)) ? current : update;
        await this.createPod(set, ord, rev);
        if (monotonic) return;
        continue;
      }
      await this.ensureClaims(set, ord, pod);
      if (!monotonic) continue;
      if (pod.metadata?.deletionTimestamp || !isHealthy(pod)) return;
      if (!isPodAvailable(pod, minReady, now)) { waitAvailable = true; break; }
    }
    if (waitAvailable) return { requeueAfterMs: minReady * 1000 };

    // Scale down, highest ordinal first; OrderedReady waits for every remaining pod to be healthy.
    if (condemned.length) {
      if (monotonic && [...byOrd.values()].some((p) => !isHealthy(p))) return;
      for (const pod of condemned) {
        if (pod.metadata?.deletionTimestamp) { if (monotonic) return; continue; }
        await this.retainOrReleaseClaims(set, pod);
        await this.deletePod(set, pod);
        if (monotonic) return;
      }
      return;
    }

    if (!rolling) return;
    for (let ord = start + replicas - 1; ord >= start + partition; ord--) {
      const pod = byOrd.get(ord);
      if (!pod) return;
      if (pod.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] !== update.metadata?.name && !pod.metadata?.deletionTimestamp) {
        await this.deletePod(set, pod);
        return;
      }
      if (!isHealthy(pod)) return;
    }
  }

  private claimsFor(set: Obj, ord: number): (PersistentVolumeClaim & KubeObject)[] {
    const name = set.metadata!.name!;
    const deleteWithSet = set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete';
    return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
      const { status: _s, ...tmpl } = structuredClone(t);
      const labels = { ...(tmpl.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
      const owners: OwnerRef[] = deleteWithSet ? [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid: set.metadata!.uid!, controller: true, blockOwnerDeletion: true }] : [];
      return {
        ...tmpl, apiVersion: 'v1', kind: 'PersistentVolumeClaim',
        metadata: {
          ...tmpl.metadata, name: claimName(tmpl.metadata?.name ?? '', name, ord), namespace: set.metadata!.namespace, labels,
          ...(owners.length ? { ownerReferences: owners } : {}),
        },
      };
    });
  }

  /** Creates the pod's missing claims. */
  private async ensureClaims(set: Obj, ord: number, pod?: Pod): Promise<void> {
    const ns = set.metadata!.namespace!;
    for (const claim of this.claimsFor(set, ord)) {
      if (this.d.pvcLister.get(ns, claim.metadata!.name!)) continue;
      try {
        await this.d.pvcClient.create(ns, claim);
        this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata!.name} Pod ${pod?.metadata?.name ?? `${set.metadata!.name}-${ord}`} in StatefulSet ${set.metadata!.name} success`);
      } catch (err) {
        if (isAlreadyExists(err)) continue;
        this.d.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata!.name} for Pod ${set.metadata!.name}-${ord} in StatefulSet ${set.metadata!.name} failed error: ${errText(err)}`);
        throw err;
      }
    }
  }

  /** whenScaled: Delete hands a condemned pod's claims to the pod, so they go with it. */
  private async retainOrReleaseClaims(set: Obj, pod: PodObj): Promise<void> {
    if (set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return;
    const ns = set.metadata!.namespace!;
    const ord = ordinalOf(set.metadata!.name!, pod.metadata!.name!)!;
    for (const claim of this.claimsFor(set, ord)) {
      const cur = this.d.pvcLister.get(ns, claim.metadata!.name!);
      if (!cur || cur.metadata?.ownerReferences?.some((r) => r.uid === pod.metadata?.uid)) continue;
      const refs = [...(cur.metadata?.ownerReferences ?? []), { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid!, controller: false }];
      await this.d.pvcClient.patch(ns, cur.metadata!.name!, 'merge', { metadata: { ownerReferences: refs, resourceVersion: cur.metadata?.resourceVersion } });
    }
  }

  private newPod(set: Obj, ord: number, rev: ControllerRevision): PodObj {
    const setName = set.metadata!.name!;
    const template: PodTemplateSpec = templateOfRevision(rev);
    const name = `${setName}-${ord}`;
    const spec = structuredClone(template.spec ?? { containers: [] });
    const claims = new Map((set.spec?.volumeClaimTemplates ?? []).map((t) => [t.metadata?.name ?? '', claimName(t.metadata?.name ?? '', setName, ord)]));
    const volumes: Volume[] = (spec.volumes ?? []).filter((v) => !claims.has(v.name));
    for (const [vol, claim] of claims) volumes.push({ name: vol, persistentVolumeClaim: { claimName: claim } });
    if (volumes.length) spec.volumes = volumes;
    spec.hostname = name;
    spec.subdomain = set.spec?.serviceName || undefined;
    return {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: set.metadata!.namespace,
        labels: { ...(template.metadata?.labels ?? {}), [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ord), [CONTROLLER_REVISION_HASH_LABEL]: rev.metadata!.name! },
        annotations: template.metadata?.annotations ? { ...template.metadata.annotations } : undefined,
        ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
      },
      spec,
    };
  }

  private async createPod(set: Obj, ord: number, rev: ControllerRevision): Promise<void> {
    const pod = this.newPod(set, ord, rev);
    await this.ensureClaims(set, ord, pod);
    try {
      await this.d.podClient.create(set.metadata!.namespace!, pod);
      this.d.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      if (isAlreadyExists(err)) return;
      this.d.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errText(err)}`);
      throw err;
    }
  }

  private async deletePod(set: Obj, pod: PodObj): Promise<void> {
    try {
      await this.d.podClient.delete(set.metadata!.namespace!, pod.metadata!.name!, { preconditions: { uid: pod.metadata?.uid } });
      this.d.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} successful`);
    } catch (err) {
      if (isNotFound(err)) return;
      this.d.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata!.name} in StatefulSet ${set.metadata!.name} failed error: ${errText(err)}`);
      throw err;
    }
  }

  /** Keeps revisionHistoryLimit old revisions besides the current and update ones and those live pods use. */
  private async cleanupHistory(set: Obj, pods: Pod[], owned: ControllerRevision[], keep: ControllerRevision[]): Promise<void> {
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    const live = new Set([...keep.map((r) => r.metadata?.name), ...pods.map((p) => p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL])]);
    const revs = sortRevisions(owned).filter((r) => !live.has(r.metadata?.name));
    for (const r of revs.slice(0, Math.max(0, revs.length - limit))) {
      try { await this.d.revClient.delete(r.metadata!.namespace!, r.metadata!.name!); } catch (err) { if (!isNotFound(err)) throw err; }
    }
  }

  private async updateStatus(set: Obj, pods: Pod[], current: ControllerRevision, update: ControllerRevision, collisionCount: number): Promise<void> {
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.d.now();
    const status: StatefulSetStatus = {
      ...(set.status ?? { replicas: 0 }),
      observedGeneration: set.metadata?.generation,
      replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0,
      currentRevision: current.metadata?.name, updateRevision: update.metadata?.name, collisionCount,
    };
    for (const p of pods) {
      if (ordinalOf(set.metadata!.name!, p.metadata?.name ?? '') === undefined) continue;
      status.replicas++;
      if (p.status?.phase === 'Running' && isPodReady(p)) {
        status.readyReplicas!++;
        if (isPodAvailable(p, minReady, now)) status.availableReplicas!++;
      }
      if (p.metadata?.deletionTimestamp) continue;
      const rev = p.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL];
      if (rev === current.metadata?.name) status.currentReplicas!++;
      if (rev === update.metadata?.name) status.updatedReplicas!++;
    }
    if (set.spec?.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentRevision = status.updateRevision;
      status.currentReplicas = status.updatedReplicas;
    }
    if (!deepEqual(status, set.status)) {
      await this.d.setClient.updateStatus(set.metadata!.namespace!, { ...structuredClone(set), status });
    }
  }
}
