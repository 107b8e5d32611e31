// The Deployment controller: one ReplicaSet per pod template (named by the template's
// hash), rolled from old to new by the RollingUpdate or Recreate strategy, with revision
// annotations for `rollout history/undo`, pause/resume, proportional scaling, history
// cleanup, and the status and conditions `rollout status` and `wait` read.
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  Informer, WorkQueue, isAlreadyExists, isConflict, isNotFound, objectKey, splitKey,
  type EventRecorder, type GroupVersionResource, type HandlerResult, type ResourceClient,
} from '../../client/index.js';
import { selectorFromLabelSelector, type Selector } from '../../machinery/labels.js';
import { deepEqual, getControllerOf, isControlledBy, labelsEqual, newControllerRef, rfc3339Now } from '../../machinery/meta.js';
import { claimObjects } from '../claim.js';
import { computeHash } from '../../api/helpers/hash.js';
import {
  POD_TEMPLATE_HASH, REVISION, Reasons, activeReplicaSets, byCreation, deploymentComplete, deploymentProgressing, deploymentTimedOut,
  desiredReplicasAnnotation, equalIgnoreHash, getCondition, hasProgressDeadline, maxReplicasAnnotation, maxRevision, maxSurge, maxUnavailable,
  newCondition, newRSReplicas, removeCondition, replicasAnnotationsNeedUpdate, replicasOf, revisionOf, setCondition, setNewReplicaSetAnnotations,
  setReplicasAnnotations, sumSpecReplicas, sumStatus,
} from '../../api/helpers/deployment.js';
import type { Controller, ControllerContext, ControllerFactory } from '../context.js';

const DEPLOYMENTS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };
const RS: GroupVersionResource = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
const PODS: GroupVersionResource = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const CONFLICT_RETRY_MS = 100;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const nameOf = (o: { metadata?: { name?: string } }): string => o.metadata?.name ?? '';

/** A sync's working state: the deployment as last written, so later writes carry its resourceVersion. */
interface Sync { d: Deployment; requeueAfterMs?: number }

class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  private readonly dClient: ResourceClient<Deployment>;
  private readonly rsClient: ResourceClient<ReplicaSet>;
  private dInf!: Informer<Deployment>;
  private rsInf!: Informer<ReplicaSet>;
  private podInf!: Informer<Pod>;

  constructor(private readonly ctx: ControllerContext) {
    this.queue = new WorkQueue({ clock: ctx.clock, name: 'deployment' });
    this.recorder = ctx.recorder('deployment-controller');
    this.dClient = ctx.client.resource<Deployment>(DEPLOYMENTS);
    this.rsClient = ctx.client.resource<ReplicaSet>(RS);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.dInf = this.ctx.informers.informerFor<Deployment>(DEPLOYMENTS);
    this.rsInf = this.ctx.informers.informerFor<ReplicaSet>(RS);
    this.podInf = this.ctx.informers.informerFor<Pod>(PODS);
    const add = (d: Deployment) => this.queue.add(objectKey(d));
    this.dInf.addEventHandler({ onAdd: add, onUpdate: (_o, d) => add(d), onDelete: add });
    this.rsInf.addEventHandler({
      onAdd: (rs) => this.rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.rsChanged(old, rs),
      onDelete: (rs) => this.enqueueOwner(rs),
    });
    this.podInf.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
    if (!(await this.ctx.informers.waitForSync(signal))) return;
    await this.queue.runWorkers(this.ctx.options.workers, (key) => this.sync(key), signal);
  }

  private ownerOf(rs: ReplicaSet): Deployment | undefined {
    const ref = getControllerOf(rs);
    if (ref?.kind !== 'Deployment') return undefined;
    const d = this.dInf.lister.get(rs.metadata?.namespace ?? '', ref.name);
    return d?.metadata?.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.ownerOf(rs);
    if (d) this.queue.add(objectKey(d));
  }

  private rsChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const oldRef = old && getControllerOf(old), ref = getControllerOf(rs);
    if (old && oldRef?.uid !== ref?.uid) this.enqueueOwner(old);
    if (ref) return this.enqueueOwner(rs);
    // An orphan: any deployment whose selector matches may adopt it.
    if (!old || oldRef || !labelsEqual(old.metadata?.labels, rs.metadata?.labels)) {
      for (const d of this.dInf.lister.listNamespace(rs.metadata?.namespace ?? '')) {
        try { if (selectorFromLabelSelector(d.spec?.selector).matches(rs.metadata?.labels)) this.queue.add(objectKey(d)); } catch { /* invalid selector: never matches */ }
      }
    }
  }

  /** Recreate waits for old pods to be gone; their deletion is its cue. */
  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return;
    const rs = this.rsInf.lister.get(pod.metadata?.namespace ?? '', ref.name);
    const d = rs && rs.metadata?.uid === ref.uid ? this.ownerOf(rs) : undefined;
    if (d?.spec?.strategy?.type === 'Recreate') this.queue.add(objectKey(d));
  }

  private async sync(key: string): Promise<HandlerResult | void> {
    try {
      return await this.syncDeployment(key);
    } catch (e) {
      // Writes carry the cached resourceVersion; a conflict means the cache lags our own
      // last write. Look again shortly, without counting a failure.
      if (isConflict(e)) return { requeueAfterMs: CONFLICT_RETRY_MS };
      throw e;
    }
  }

  private async syncDeployment(key: string): Promise<HandlerResult | void> {
    const { namespace, name } = splitKey(key);
    const cached = this.dInf.lister.get(namespace, name);
    if (!cached) return;
    const s: Sync = { d: structuredClone(cached) as Deployment };
    const selector = selectorFromLabelSelector(s.d.spec?.selector);
    if (selector.empty) {
      this.recorder.event(s.d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((s.d.status?.observedGeneration ?? 0) < (s.d.metadata?.generation ?? 0)) {
        await this.writeStatus(s, { ...s.d.status, observedGeneration: s.d.metadata?.generation });
      }
      return;
    }
    const rsList = await this.claimReplicaSets(s.d, selector);
    if (s.d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, false);
      await this.syncStatus(s, [...oldRSs, newRS], newRS);
      return;
    }
    await this.checkPausedConditions(s);
    if (s.d.spec?.paused) return this.scaleAndSync(s, rsList);
    if (await this.isScalingEvent(s, rsList)) return this.scaleAndSync(s, rsList);
    if (s.d.spec?.strategy?.type === 'Recreate') await this.rolloutRecreate(s, rsList, selector);
    else await this.rolloutRolling(s, rsList);
    return s.requeueAfterMs !== undefined ? { requeueAfterMs: s.requeueAfterMs } : undefined;
  }

  // ---- ownership ----

  /** The namespace's ReplicaSets this deployment controls, after adoption and release. */
  private claimReplicaSets(d: Deployment, selector: Selector): Promise<ReplicaSet[]> {
    return claimObjects(this.rsInf.lister.listNamespace(d.metadata?.namespace ?? ''), {
      owner: d, apiVersion: 'apps/v1', kind: 'Deployment', ownerClient: this.dClient, client: this.rsClient,
      matches: (rs) => selector.matches(rs.metadata?.labels),
    });
  }

  // ---- the new ReplicaSet and revisions ----

  /**
   * Splits the ReplicaSets into the new one (template equal to the deployment's) and the
   * old ones, bringing the new one's annotations and the deployment's revision up to date;
   * with create, makes the new ReplicaSet if there is none.
   */
  private async replicaSetsAndRevision(s: Sync, rsList: ReplicaSet[], create: boolean): Promise<{ newRS?: ReplicaSet; oldRSs: ReplicaSet[] }> {
    const sorted = [...rsList].sort(byCreation);
    const existing = sorted.find((rs) => equalIgnoreHash(rs.spec?.template, s.d.spec?.template));
    const oldRSs = sorted.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    const ns = s.d.metadata?.namespace ?? '';
    if (existing) {
      const copy = structuredClone(existing) as ReplicaSet;
      const annotated = setNewReplicaSetAnnotations(s.d, copy, newRevision, true);
      let rs = existing;
      if (annotated || (copy.spec?.minReadySeconds ?? 0) !== (s.d.spec?.minReadySeconds ?? 0)) {
        copy.spec = { ...copy.spec!, minReadySeconds: s.d.spec?.minReadySeconds };
        rs = await this.rsClient.update(ns, copy);
      }
      await this.setRevision(s, rs.metadata?.annotations?.[REVISION]);
      if (hasProgressDeadline(s.d) && !getCondition(s.d.status, 'Progressing')) {
        const status = structuredClone(s.d.status ?? {});
        setCondition(status, newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set "${nameOf(rs)}"`, this.now()));
        await this.writeStatus(s, status);
      }
      return { newRS: rs, oldRSs };
    }
    if (!create) return { oldRSs };

    const hash = computeHash(s.d.spec?.template, s.d.status?.collisionCount);
    const template = structuredClone(s.d.spec!.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(s.d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const rsName = `${nameOf(s.d)}-${hash}`;
    const fresh: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: rsName, namespace: ns, labels: template.metadata.labels, ownerReferences: [newControllerRef(s.d, 'apps/v1', 'Deployment')] },
      spec: { replicas: 0, minReadySeconds: s.d.spec?.minReadySeconds, selector, template },
    };
    const replicas = newRSReplicas(s.d, [...oldRSs, fresh], fresh);
    fresh.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(s.d, fresh, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      created = await this.rsClient.create(ns, fresh);
    } catch (e) {
      if (isAlreadyExists(e)) {
        const live = await this.rsClient.get(ns, rsName);
        if (isControlledBy(live, s.d) && equalIgnoreHash(live.spec?.template, s.d.spec?.template)) {
          created = live;
          alreadyExisted = true;
        } else {
          // A hash collision with a ReplicaSet that is not ours: the next hash includes a bumped count.
          await this.writeStatus(s, { ...s.d.status, collisionCount: (s.d.status?.collisionCount ?? 0) + 1 });
          throw e;
        }
      } else {
        const msg = `Failed to create new replica set "${rsName}": ${errText(e)}`;
        if (hasProgressDeadline(s.d)) {
          const status = structuredClone(s.d.status ?? {});
          setCondition(status, newCondition('Progressing', 'False', Reasons.FailedRSCreate, msg, this.now()));
          await this.writeStatus(s, status);
        }
        this.recorder.event(s.d, 'Warning', Reasons.FailedRSCreate, msg);
        throw e;
      }
    }
    if (!alreadyExisted && replicas > 0) {
      this.recorder.event(s.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${rsName} from 0 to ${replicas}`);
    }
    await this.setRevision(s, String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(s.d)) {
      const status = structuredClone(s.d.status ?? {});
      setCondition(status, newCondition('Progressing', 'True', Reasons.NewRSCreated, `Created new replica set "${rsName}"`, this.now()));
      await this.writeStatus(s, status);
    }
    return { newRS: created, oldRSs };
  }

  /** Copies the new ReplicaSet's revision onto the deployment (`rollout undo` patches annotations and needs them). */
  private async setRevision(s: Sync, revision: string | undefined): Promise<void> {
    if (revision === undefined || s.d.metadata?.annotations?.[REVISION] === revision) return;
    s.d = await this.dClient.patch(s.d.metadata?.namespace ?? '', nameOf(s.d), 'merge', { metadata: { annotations: { [REVISION]: revision } } });
  }

  // ---- scaling ----

  /** Sets rs's size (and its desired/max annotations); records ScalingReplicaSet when the size changed. */
  private async scaleReplicaSet(rs: ReplicaSet, size: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const old = replicasOf(rs);
    const max = replicasOf(d) + maxSurge(d);
    if (old === size && !replicasAnnotationsNeedUpdate(rs, replicasOf(d), max)) return { scaled: false, rs };
    const copy = structuredClone(rs) as ReplicaSet;
    copy.spec = { ...copy.spec!, replicas: size };
    setReplicasAnnotations(copy, replicasOf(d), max);
    const updated = await this.rsClient.update(rs.metadata?.namespace ?? '', copy);
    if (old !== size) {
      this.recorder.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${old < size ? 'up' : 'down'} replica set ${nameOf(rs)} from ${old} to ${size}`);
    }
    return { scaled: old !== size, rs: updated };
  }

  /** A ReplicaSet's desired-replicas annotation disagrees with the deployment's size: a scale, not a rollout. */
  private async isScalingEvent(s: Sync, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, false);
    return activeReplicaSets([...oldRSs, newRS]).some((rs) => {
      const desired = desiredReplicasAnnotation(rs);
      return desired !== undefined && desired !== replicasOf(s.d);
    });
  }

  /** Paused deployments and scale changes: resize without rolling, proportionally during a rollout. */
  private async scaleAndSync(s: Sync, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, false);
    await this.scale(s.d, newRS, oldRSs);
    if (s.d.spec?.paused) await this.cleanup(oldRSs, s.d);
    await this.syncStatus(s, [...oldRSs, newRS], newRS);
  }

  private async scale(d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const replicas = replicasOf(d);
    // One active (or else the latest) ReplicaSet simply takes the deployment's size.
    const single = this.activeOrLatest(newRS, oldRSs);
    if (single) {
      if (replicasOf(single) !== replicas) await this.scaleReplicaSet(single, replicas, d);
      return;
    }
    // The new ReplicaSet is saturated: the old ones go.
    if (newRS && replicasOf(newRS) === replicas && desiredReplicasAnnotation(newRS) === replicas && (newRS.status?.availableReplicas ?? 0) === replicas) {
      for (const rs of activeReplicaSets(oldRSs)) await this.scaleReplicaSet(rs, 0, d);
      return;
    }
    if ((d.spec?.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const all = activeReplicaSets([...oldRSs, newRS]);
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - sumSpecReplicas(all);
    if (toAdd > 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || -byCreation(a, b));
    else if (toAdd < 0) all.sort((a, b) => replicasOf(b) - replicasOf(a) || byCreation(a, b));
    const sizes = new Map<ReplicaSet, number>();
    let added = 0;
    for (const rs of all) {
      const p = toAdd !== 0 ? this.proportion(rs, d, toAdd, added) : 0;
      sizes.set(rs, replicasOf(rs) + p);
      added += p;
    }
    // Rounding leftovers go to the largest ReplicaSet.
    if (toAdd !== 0 && all.length) sizes.set(all[0], Math.max(0, sizes.get(all[0])! + toAdd - added));
    for (const rs of all) await this.scaleReplicaSet(rs, sizes.get(rs)!, d);
  }

  private activeOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
    if (!newRS && !oldRSs.length) return undefined;
    const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
    const active = activeReplicaSets([...newestFirst, newRS]);
    if (active.length === 0) return newRS ?? newestFirst[0];
    return active.length === 1 ? active[0] : undefined;
  }

  /** rs's share of a size change, from its size relative to the deployment's previous maximum. */
  private proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
    if (replicasOf(rs) === 0 || toAdd === added) return 0;
    let fraction: number;
    if (replicasOf(d) === 0) fraction = -replicasOf(rs);
    else {
      const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
      fraction = annotated ? Math.round((replicasOf(rs) * (replicasOf(d) + maxSurge(d))) / annotated) - replicasOf(rs) : 0;
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  // ---- strategies ----

  private async rolloutRolling(s: Sync, rsList: ReplicaSet[]): Promise<void> {
    const { newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, true);
    const all = [...oldRSs, newRS!];
    const d = s.d;
    // Scale up the new ReplicaSet as far as the surge allows.
    if (newRS && replicasOf(newRS) !== replicasOf(d)) {
      const target = replicasOf(newRS) > replicasOf(d) ? replicasOf(d) : newRSReplicas(d, all, newRS);
      if (target !== replicasOf(newRS) && (await this.scaleReplicaSet(newRS, target, d)).scaled) return this.syncRolloutStatus(s, all, newRS);
    }
    if (await this.reconcileOldReplicaSets(all, activeReplicaSets(oldRSs), newRS!, d)) return this.syncRolloutStatus(s, all, newRS);
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(oldRSs, d);
    await this.syncRolloutStatus(s, all, newRS);
  }

  /** Scales old ReplicaSets down as far as availability allows; true if any changed. */
  private async reconcileOldReplicaSets(all: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
    if (sumSpecReplicas(oldRSs) === 0) return false;
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = sumSpecReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // First drop unhealthy old replicas: they cost no availability.
    let cleaned = 0;
    const remaining: ReplicaSet[] = [];
    for (const rs of [...oldRSs].sort(byCreation)) {
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (cleaned >= maxScaledDown || replicasOf(rs) === 0 || unhealthy <= 0) { remaining.push(rs); continue; }
      const n = Math.min(maxScaledDown - cleaned, unhealthy);
      remaining.push((await this.scaleReplicaSet(rs, replicasOf(rs) - n, d)).rs);
      cleaned += n;
    }
    // Then scale down available old replicas while enough stay available.
    const available = sumStatus([...remaining, newRS], 'availableReplicas');
    let scaledDown = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of remaining.sort(byCreation)) {
        if (scaledDown >= total) break;
        if (replicasOf(rs) === 0) continue;
        const n = Math.min(replicasOf(rs), total - scaledDown);
        await this.scaleReplicaSet(rs, replicasOf(rs) - n, d);
        scaledDown += n;
      }
    }
    return cleaned + scaledDown > 0;
  }

  private async rolloutRecreate(s: Sync, rsList: ReplicaSet[], selector: Selector): Promise<void> {
    let { newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, false);
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) scaledDown = (await this.scaleReplicaSet(rs, 0, s.d)).scaled || scaledDown;
    if (scaledDown) return this.syncRolloutStatus(s, [...oldRSs, newRS], newRS);
    // Recreate means no old pod runs alongside a new one.
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata?.uid));
    const oldPodsRunning = sumStatus(oldRSs, 'replicas') > 0 || this.podInf.lister.listNamespace(s.d.metadata?.namespace ?? '', selector).some((p) => {
      const phase = p.status?.phase;
      return oldUids.has(getControllerOf(p)?.uid) && phase !== 'Succeeded' && phase !== 'Failed';
    });
    if (oldPodsRunning) return this.syncRolloutStatus(s, [...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.replicaSetsAndRevision(s, rsList, true));
    if (replicasOf(newRS!) !== replicasOf(s.d)) await this.scaleReplicaSet(newRS!, replicasOf(s.d), s.d);
    if (deploymentComplete(s.d, s.d.status ?? {})) await this.cleanup(oldRSs, s.d);
    await this.syncRolloutStatus(s, [...oldRSs, newRS], newRS);
  }

  /** Deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.rsClient.delete(rs.metadata?.namespace ?? '', nameOf(rs), { preconditions: { uid: rs.metadata?.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- status ----

  private now(): string { return rfc3339Now(this.ctx.clock.now()); }

  private calculateStatus(d: Deployment, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentStatus {
    const available = sumStatus(all, 'availableReplicas');
    const status: DeploymentStatus = {
      observedGeneration: d.metadata?.generation,
      replicas: sumStatus(all, 'replicas'),
      updatedReplicas: sumStatus([newRS], 'replicas'),
      readyReplicas: sumStatus(all, 'readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, sumSpecReplicas(all) - available),
      collisionCount: d.status?.collisionCount,
      conditions: structuredClone(d.status?.conditions),
    };
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(status, newCondition('Available', 'True', Reasons.MinimumAvailable, 'Deployment has minimum availability.', this.now()));
    } else {
      setCondition(status, newCondition('Available', 'False', Reasons.MinimumUnavailable, 'Deployment does not have minimum availability.', this.now()));
    }
    return status;
  }

  private async writeStatus(s: Sync, status: DeploymentStatus): Promise<void> {
    s.d = await this.dClient.updateStatus(s.d.metadata?.namespace ?? '', { ...s.d, status });
  }

  private async syncStatus(s: Sync, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = this.calculateStatus(s.d, all, newRS);
    if (!deepEqual(status, s.d.status)) await this.writeStatus(s, status);
  }

  private async checkPausedConditions(s: Sync): Promise<void> {
    if (!hasProgressDeadline(s.d)) return;
    const cond = getCondition(s.d.status, 'Progressing');
    if (cond?.reason === Reasons.TimedOut) return;
    const pausedCond = cond?.reason === Reasons.Paused;
    const paused = !!s.d.spec?.paused;
    if (paused === pausedCond) return;
    const status = structuredClone(s.d.status ?? {});
    setCondition(status, paused
      ? newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused', this.now())
      : newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed', this.now()));
    await this.writeStatus(s, status);
  }

  /** Status plus the Progressing condition; schedules a re-check at the progress deadline. */
  private async syncRolloutStatus(s: Sync, all: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const d = s.d;
    const status = this.calculateStatus(d, all, newRS);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const cur = getCondition(status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && cur?.reason === Reasons.NewRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const what = newRS ? `ReplicaSet "${nameOf(newRS)}"` : 'Deployment';
      if (deploymentComplete(d, status)) {
        setCondition(status, newCondition('Progressing', 'True', Reasons.NewRSAvailable, `${what} has successfully progressed.`, this.now()));
      } else if (deploymentProgressing(d, status)) {
        const c = newCondition('Progressing', 'True', Reasons.RSUpdated, `${what} is progressing.`, this.now());
        // Progress refreshes lastUpdateTime (the deadline's start) but not the transition time.
        if (cur?.status === 'True') c.lastTransitionTime = cur.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, c);
      } else if (deploymentTimedOut(d, status, this.ctx.clock.now())) {
        const msg = newRS ? `${what} has timed out progressing.` : `Deployment "${nameOf(d)}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', Reasons.TimedOut, msg, this.now()));
      }
    }
    const failure = newRS?.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (failure) {
      setCondition(status, { type: 'ReplicaFailure', status: failure.status, reason: failure.reason, message: failure.message, lastUpdateTime: failure.lastTransitionTime, lastTransitionTime: failure.lastTransitionTime });
    } else removeCondition(status, 'ReplicaFailure');
    if (!deepEqual(status, d.status)) await this.writeStatus(s, status);
    else s.requeueAfterMs = this.stuckRequeue(d, status);
  }

  /** When nothing changes, wake up at the progress deadline to notice a stalled rollout. */
  private stuckRequeue(d: Deployment, status: DeploymentStatus): number | undefined {
    const c = getCondition(status, 'Progressing');
    if (!hasProgressDeadline(d) || !c || deploymentComplete(d, status) || c.reason === Reasons.TimedOut) return undefined;
    const after = Date.parse(c.lastUpdateTime ?? '') + d.spec!.progressDeadlineSeconds! * 1000 - this.ctx.clock.now();
    return Number.isNaN(after) ? undefined : Math.max(0, after) + 1000;
  }
}

export const deploymentController: ControllerFactory = (ctx) => new DeploymentController(ctx);
