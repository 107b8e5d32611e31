// Job controller: runs pods until enough succeed (completions, or the first success when
// completions is unset), at most `parallelism` at a time, in NonIndexed or Indexed mode.
// Failed pods are replaced after an exponential back-off (10 s doubling, at most 6 min)
// until backoffLimit, activeDeadlineSeconds or a FailJob podFailurePolicy rule fails the
// Job. Pods carry the batch.kubernetes.io/job-tracking finalizer: a finished pod is first
// recorded in status.uncountedTerminatedPods, then its finalizer is removed, then it is
// counted in succeeded/failed, so no pod is lost or counted twice across restarts.
// SuccessCriteriaMet / FailureTarget are set at once; Complete / Failed follow when no
// pod of the Job is left running or terminating.
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import {
  ControllerExpectations, isConflict, isNotFound, objectKey, splitKey, WorkQueue, waitForCacheSync,
  type EventRecorder, type KubeObject, type Lister, type ResourceClient,
} from '../../client/index.js';
import { isPodReady } from '../../api/helpers/pods.js';
import { selectorFromLabelSelector } from '../../machinery/labels.js';
import { deepEqual, getControllerOf, newControllerRef, rfc3339Now } from '../../machinery/meta.js';
import { CLAIM_INDEXERS, CONTROLLER_UID_INDEX, claimCandidates, claimObjects, ownersToSync, resolveController } from '../claim.js';
import type { Controller, ControllerContext } from '../context.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { matchPodFailurePolicy } from './podfailurepolicy.js';

export const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };
export const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

type JobObj = Job & KubeObject;
type PodObj = Pod & KubeObject;
type Result = { requeueAfterMs?: number } | void;

const hasFinalizer = (p: Pod) => !!p.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER);
const condTrue = (job: Job, type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True') ?? false;
export const isJobFinished = (job: Job) => condTrue(job, 'Complete') || condTrue(job, 'Failed');

/** The completion index a pod of an Indexed Job carries, if valid. */
export function podIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  return v !== undefined && /^(0|[1-9]\d*)$/.test(v) ? Number(v) : undefined;
}

/** When a pod finished: its containers' latest finishedAt, else a condition's transition, else its deletion or creation. */
function finishTime(p: Pod): number {
  const times = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]
    .map((c) => Date.parse(c.state?.terminated?.finishedAt ?? '')).filter((t) => !Number.isNaN(t));
  if (times.length) return Math.max(...times);
  const cond = (p.status?.conditions ?? []).map((c) => Date.parse(c.lastTransitionTime ?? '')).filter((t) => !Number.isNaN(t));
  if (cond.length) return Math.max(...cond);
  return Date.parse(p.metadata?.deletionTimestamp ?? p.metadata?.creationTimestamp ?? '') || 0;
}

/** The back-off before the next pod after `failures` consecutive failures. */
export function backoffDelayMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 16));
}

export function jobController(ctx: ControllerContext): Controller {
  return {
    name: 'job',
    async run(signal) {
      const jobInf = ctx.informers.informerFor<JobObj>(JOBS);
      const podInf = ctx.informers.informerFor<PodObj>(PODS, { indexers: CLAIM_INDEXERS });
      const queue = new WorkQueue<string>({ clock: ctx.clock, name: 'job' });
      const expectations = new ControllerExpectations(ctx.clock);
      // A pod's Job, the previous one when its reference changed, or for an orphan the Jobs
      // that may adopt it; a tracking finalizer no live Job will remove is handed to releaseOrphan.
      const onPod = (old: PodObj | undefined, p: PodObj, observed?: 'add' | 'delete') => {
        const job = resolveController(jobInf.lister, 'Job', p);
        if (job && observed === 'add') expectations.creationObserved(objectKey(job));
        else if (!job && hasFinalizer(p) && observed !== 'delete') queue.add(`pod:${objectKey(p)}`);
        if (observed === 'delete') { if (job) queue.add(objectKey(job)); return; }
        for (const j of ownersToSync(jobInf.lister, 'Job', old, p)) queue.add(objectKey(j));
      };
      jobInf.addEventHandler({
        onAdd: (j) => queue.add(objectKey(j)),
        onUpdate: (_o, j) => queue.add(objectKey(j)),
        onDelete: (j) => {
          expectations.delete(objectKey(j));
          for (const p of podInf.lister.byIndex(CONTROLLER_UID_INDEX, j.metadata?.uid ?? '')) if (hasFinalizer(p)) queue.add(`pod:${objectKey(p)}`);
        },
      });
      podInf.addEventHandler({ onAdd: (p) => onPod(undefined, p, 'add'), onUpdate: (o, p) => onPod(o, p), onDelete: (p) => onPod(undefined, p, 'delete') });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      // Only this controller's caches: another controller's failing informer must not stall it.
      if (!(await waitForCacheSync(signal, jobInf, podInf))) return;
      const sync = new JobSync({
        jobClient: ctx.client.resource<JobObj>(JOBS), podClient: ctx.client.resource<PodObj>(PODS),
        jobLister: jobInf.lister, podLister: podInf.lister, expectations,
        recorder: ctx.recorder('job-controller'), now: () => ctx.clock.now(),
      });
      await queue.runWorkers(ctx.options.workers, (key) => (key.startsWith('pod:') ? sync.releaseOrphan(key.slice(4)) : sync.sync(key)), signal);
    },
  };
}

interface Deps {
  jobClient: ResourceClient<JobObj>;
  podClient: ResourceClient<PodObj>;
  jobLister: Lister<JobObj>;
  podLister: Lister<PodObj>;
  expectations: ControllerExpectations;
  recorder: EventRecorder;
  now(): number;
}

function condition(type: string, reason: string, message: string, now: string): JobCondition {
  return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
}

/** Sets a condition, keeping the transition time when the status does not change. */
function setCondition(status: JobStatus, c: JobCondition): void {
  const list = [...(status.conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) list.push(c);
  else if (list[i].status !== c.status) list[i] = c;
  else return;
  (status as { conditions?: JobCondition[] }).conditions = list;
}

class JobSync {
  constructor(private readonly d: Deps) {}

  /**
   * The tracking finalizer comes off a pod no running Job accounts for: an orphan (a Job
   * that matches it re-adds the finalizer when adopting it), or a pod whose Job is gone or
   * finished. Pods controlled by something other than a batch/v1 Job are left alone.
   */
  async releaseOrphan(podKey: string): Promise<void> {
    const { namespace, name } = splitKey(podKey);
    const pod = this.d.podLister.get(namespace, name);
    if (!pod || !hasFinalizer(pod)) return;
    const ref = getControllerOf(pod as never);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.d.jobLister.get(namespace, ref.name);
      if (job?.metadata?.uid === ref.uid && !isJobFinished(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  /**
   * The Job's pods after adopting matching orphans and releasing owned pods that no longer
   * match. Adoption adds the tracking finalizer and release removes it, in the same patch,
   * so a pod is tracked exactly while this Job owns it.
   */
  private claimPods(job: JobObj): Promise<PodObj[]> {
    const selector = selectorFromLabelSelector(job.spec?.selector);
    return claimObjects(claimCandidates(this.d.podLister, job), {
      owner: job, apiVersion: 'batch/v1', kind: 'Job', ownerClient: this.d.jobClient, client: this.d.podClient,
      matches: (p) => selector.matches(p.metadata?.labels), finalizers: [JOB_TRACKING_FINALIZER],
    });
  }

  private async removeFinalizer(pod: PodObj): Promise<boolean> {
    const rest = (pod.metadata?.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await this.d.podClient.patch(pod.metadata!.namespace!, pod.metadata!.name!, 'merge', {
        metadata: { finalizers: rest.length ? rest : null, resourceVersion: pod.metadata?.resourceVersion },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return true;
      if (isConflict(err)) return false;
      throw err;
    }
  }

  async sync(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    let job = this.d.jobLister.get(namespace, name);
    if (!job) { this.d.expectations.delete(key); return; }
    if (isJobFinished(job)) {
      const owned = this.d.podLister.byIndex(CONTROLLER_UID_INDEX, job.metadata!.uid!);
      await Promise.all(owned.filter(hasFinalizer).map((p) => this.removeFinalizer(p)));
      return;
    }
    const pods = await this.claimPods(job);
    const spec = job.spec!;
    const now = this.d.now();
    const nowStr = rfc3339Now(now);
    const indexed = spec.completionMode === 'Indexed';
    const policy = spec.podFailurePolicy;
    const onlyReplaceFailed = spec.podReplacementPolicy === 'Failed' || !!policy;
    const status: JobStatus = structuredClone(job.status ?? {});
    const failing = () => condTrue({ status }, 'FailureTarget');
    const succeeding = () => condTrue({ status }, 'SuccessCriteriaMet');

    // ---- accounting: record finished pods, release them, then count them.
    const isFailedPod = (p: Pod) => p.status?.phase === 'Failed'
      || (p.status?.phase !== 'Succeeded' && !!p.metadata?.deletionTimestamp && (!onlyReplaceFailed || failing() || succeeding()));
    const isDone = (p: Pod) => p.status?.phase === 'Succeeded' || isFailedPod(p);
    const uncounted = { succeeded: [...(status.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(status.uncountedTerminatedPods?.failed ?? [])] };
    const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
    const release: PodObj[] = [];
    let failJob: string | undefined;
    for (const p of pods) {
      if (!hasFinalizer(p) || !isDone(p)) continue;
      release.push(p);
      const uid = p.metadata!.uid!;
      if (known.has(uid)) continue;
      if (p.status?.phase === 'Succeeded') {
        uncounted.succeeded.push(uid);
        continue;
      }
      const match = policy && p.status?.phase === 'Failed' ? matchPodFailurePolicy(policy, p) : undefined;
      if (match?.action === 'Ignore') continue;
      if (match?.action === 'FailJob') failJob ??= match.message;
      uncounted.failed.push(uid);
    }
    if (uncounted.succeeded.length + uncounted.failed.length > known.size) {
      status.uncountedTerminatedPods = uncounted;
      job = await this.writeStatus(job, status);
    }
    const released = new Set<string>();
    await Promise.all(release.map(async (p) => { if (await this.removeFinalizer(p)) released.add(p.metadata!.uid!); }));
    const present = new Map(pods.map((p) => [p.metadata!.uid!, p]));
    const counted = (uid: string) => released.has(uid) || !present.has(uid) || !hasFinalizer(present.get(uid)!);
    const completed = parseIndexes(status.completedIndexes);
    for (const uid of uncounted.succeeded.filter(counted)) {
      const p = present.get(uid);
      const idx = p && podIndex(p);
      if (indexed) { if (idx !== undefined && idx < (spec.completions ?? 0)) completed.add(idx); }
      else status.succeeded = (status.succeeded ?? 0) + 1;
    }
    status.failed = (status.failed ?? 0) + uncounted.failed.filter(counted).length;
    if (indexed) {
      status.completedIndexes = formatIndexes(completed);
      status.succeeded = completed.size;
    }
    status.uncountedTerminatedPods = { succeeded: uncounted.succeeded.filter((u) => !counted(u)), failed: uncounted.failed.filter((u) => !counted(u)) };
    if (!status.uncountedTerminatedPods.succeeded!.length) delete status.uncountedTerminatedPods.succeeded;
    if (!status.uncountedTerminatedPods.failed!.length) delete status.uncountedTerminatedPods.failed;

    // ---- decide.
    let active = pods.filter((p) => !isDone(p) && !p.metadata?.deletionTimestamp);
    const suspended = spec.suspend === true;
    if (!suspended && !status.startTime) status.startTime = nowStr;
    const backoffLimit = spec.backoffLimit ?? 6;
    const restarts = spec.template.spec?.restartPolicy === 'OnFailure'
      ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0), 0) : 0;
    const deadlineMs = spec.activeDeadlineSeconds !== undefined && status.startTime ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
    const completions = spec.completions;
    if (!failing() && !succeeding()) {
      if (failJob) setCondition(status, condition('FailureTarget', 'PodFailurePolicy', failJob, nowStr));
      else if ((status.failed ?? 0) + restarts > backoffLimit) setCondition(status, condition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', nowStr));
      else if (!suspended && deadlineMs !== undefined && now >= deadlineMs) setCondition(status, condition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', nowStr));
      else if (completions !== undefined ? (status.succeeded ?? 0) >= completions : (status.succeeded ?? 0) > 0 && active.length === 0) {
        setCondition(status, condition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', nowStr));
      }
    }

    let requeue: number | undefined;
    // Pods deleted in this pass still look alive in the cache; finishing waits for the next pass.
    let deleted = 0;
    if (failing() || succeeding()) {
      deleted = await this.deletePods(job, active);
      active = [];
    } else if (suspended) {
      deleted = await this.deletePods(job, active);
      active = [];
      if (!condTrue({ status }, 'Suspended')) {
        setCondition(status, { ...condition('Suspended', 'JobSuspended', 'Job suspended', nowStr), status: 'True' });
        this.d.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (condTrue({ status }, 'Suspended')) {
        setCondition(status, { ...condition('Suspended', 'JobResumed', 'Job resumed', nowStr), status: 'False' });
        status.startTime = nowStr;
        this.d.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
      }
      const r = await this.manage(key, job, pods, active, status, completed, now);
      active = r.active;
      deleted = r.deleted ?? 0;
      requeue = r.requeueAfterMs;
      if (deadlineMs !== undefined) requeue = Math.min(requeue ?? Infinity, Math.max(0, deadlineMs - now));
    }

    // ---- finish once nothing of the Job runs or terminates any more.
    const terminating = this.d.podLister.byIndex(CONTROLLER_UID_INDEX, job.metadata!.uid!)
      .filter((p) => p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length;
    const settled = !active.length && !terminating && !deleted && !status.uncountedTerminatedPods.succeeded && !status.uncountedTerminatedPods.failed;
    if (settled && failing()) {
      const target = status.conditions!.find((c) => c.type === 'FailureTarget')!;
      setCondition(status, condition('Failed', target.reason!, target.message!, nowStr));
      this.d.recorder.event(job, 'Warning', target.reason!, target.message!);
    } else if (settled && succeeding()) {
      setCondition(status, condition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods', nowStr));
      status.completionTime = nowStr;
      this.d.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    }
    status.active = active.length;
    status.ready = active.filter((p) => isPodReady(p)).length;
    status.terminating = terminating;
    // As upstream's omitempty counters.
    for (const k of ['active', 'succeeded', 'failed'] as const) if (!status[k]) delete status[k];
    await this.writeStatus(job, status);
    return requeue !== undefined && Number.isFinite(requeue) ? { requeueAfterMs: requeue } : undefined;
  }

  private async writeStatus(job: JobObj, status: JobStatus): Promise<JobObj> {
    if (deepEqual(status, job.status)) return job;
    return this.d.jobClient.updateStatus(job.metadata!.namespace!, { ...structuredClone(job), status });
  }

  /** Deletes the pods; answers how many were asked for. */
  private async deletePods(job: JobObj, pods: PodObj[]): Promise<number> {
    await Promise.all(pods.map(async (p) => {
      try {
        await this.d.podClient.delete(p.metadata!.namespace!, p.metadata!.name!, { preconditions: { uid: p.metadata?.uid } });
        this.d.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata!.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }));
    return pods.length;
  }

  /** Creates or removes pods towards the wanted number of active ones, honouring the failure back-off. */
  private async manage(key: string, job: JobObj, pods: PodObj[], active: PodObj[], status: JobStatus, completed: Set<number>, now: number): Promise<{ active: PodObj[]; deleted?: number; requeueAfterMs?: number }> {
    const spec = job.spec!;
    const parallelism = spec.parallelism ?? 1;
    const succeeded = status.succeeded ?? 0;
    let want: number;
    if (spec.completions === undefined) want = succeeded > 0 ? active.length : parallelism;
    else want = Math.max(0, Math.min(parallelism, spec.completions - succeeded));
    if (!this.d.expectations.satisfied(key)) return { active };

    const excess: PodObj[] = [];
    if (spec.completionMode === 'Indexed') {
      // Pods of completed, out-of-range or duplicated indexes go.
      const seen = new Set<number>();
      for (const p of [...active].sort((a, b) => Number(isPodReady(b)) - Number(isPodReady(a)))) {
        const i = podIndex(p);
        if (i === undefined || i >= (spec.completions ?? 0) || completed.has(i) || seen.has(i)) excess.push(p);
        else seen.add(i);
      }
    }
    const keep = active.filter((p) => !excess.includes(p));
    if (keep.length > want) {
      // Remove not-ready and newer pods first.
      const ranked = [...keep].sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || (b.metadata?.creationTimestamp ?? '').localeCompare(a.metadata?.creationTimestamp ?? ''));
      excess.push(...ranked.slice(0, keep.length - want));
    }
    if (excess.length) {
      return { active: active.filter((p) => !excess.includes(p)), deleted: await this.deletePods(job, excess) };
    }
    const terminating = spec.podReplacementPolicy === 'Failed' || spec.podFailurePolicy
      ? pods.filter((p) => p.metadata?.deletionTimestamp && p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded').length : 0;
    let diff = want - keep.length - terminating;
    if (diff <= 0) return { active };

    // Back off after failures: 10 s doubling per consecutive failure since the last success.
    const lastSuccess = Math.max(0, ...pods.filter((p) => p.status?.phase === 'Succeeded').map(finishTime));
    const failures = pods.filter((p) => p.status?.phase === 'Failed' && finishTime(p) >= lastSuccess);
    if (failures.length) {
      const readyAt = Math.max(...failures.map(finishTime)) + backoffDelayMs(failures.length);
      if (readyAt > now) return { active, requeueAfterMs: readyAt - now };
    }

    const indexes: (number | undefined)[] = [];
    if (spec.completionMode === 'Indexed') {
      const busy = new Set(keep.map(podIndex));
      for (let i = 0; i < (spec.completions ?? 0) && indexes.length < diff; i++) if (!completed.has(i) && !busy.has(i)) indexes.push(i);
      diff = indexes.length;
    } else {
      for (let i = 0; i < diff; i++) indexes.push(undefined);
    }
    if (!diff) return { active };
    this.d.expectations.expectCreations(key, diff);
    const created: PodObj[] = [];
    const results = await Promise.allSettled(indexes.map(async (idx) => {
      try {
        const pod = await this.d.podClient.create(job.metadata!.namespace!, newJobPod(job, idx));
        created.push(pod);
        this.d.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
      } catch (err) {
        this.d.expectations.creationObserved(key);
        this.d.recorder.event(job, 'Warning', 'FailedCreate', `Error creating: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { active: [...active, ...created] };
  }
}

/** A pod for the Job; for Indexed Jobs with its index as annotation, label, hostname suffix and JOB_COMPLETION_INDEX. */
export function newJobPod(job: JobObj, index: number | undefined): PodObj {
  const tmpl = job.spec!.template;
  const labels = { ...(tmpl.metadata?.labels ?? {}) };
  const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
  const spec = structuredClone(tmpl.spec ?? { containers: [] });
  let generateName = `${job.metadata!.name}-`;
  if (index !== undefined) {
    generateName = `${job.metadata!.name}-${index}-`;
    annotations[COMPLETION_INDEX] = String(index);
    labels[COMPLETION_INDEX] = String(index);
    spec.hostname ||= `${job.metadata!.name}-${index}`;
    const addEnv = (c: Container) => {
      if (c.env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')) return;
      c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` } } }];
    };
    spec.containers.forEach(addEnv);
    spec.initContainers?.forEach(addEnv);
  }
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      generateName, namespace: job.metadata!.namespace, labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, 'batch/v1', 'Job')],
    },
    spec,
  };
}
