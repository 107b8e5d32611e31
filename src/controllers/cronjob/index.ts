// CronJob controller: creates a Job <cronjob>-<scheduled minutes since the epoch> at each
// schedule time (in spec.timeZone, UTC when unset), following concurrencyPolicy
// (Allow, Forbid, Replace) and startingDeadlineSeconds, keeps status.active,
// lastScheduleTime and lastSuccessfulTime, prunes finished Jobs beyond the history limits
// and wakes itself at the next schedule time on the injected clock.
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import {
  byControllerUid, isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, waitForCacheSync,
  type EventRecorder, type KubeObject, type Lister, type ResourceClient,
} from '../../client/index.js';
import { isKnownTimeZone, parseCron, type CronSchedule } from '../../api/resources/groups/cron.js';
import { deepEqual, getControllerOf, newControllerRef, rfc3339Now } from '../../machinery/meta.js';
import type { Controller, ControllerContext } from '../context.js';

export const CRONJOBS = { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true };
export const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const CONTROLLER_UID_INDEX = 'controllerUid';
/** More missed start times than this is reported as a problem. */
const MAX_MISSED = 100;
/** Woken a little after the schedule time so the time has surely passed. */
const NEXT_SCHEDULE_DELTA_MS = 100;

type CronJobObj = CronJob & KubeObject;
type JobObj = Job & KubeObject;

const MINUTE = 60_000;

/** "Complete" or "Failed" when the Job has finished. */
export function finishedCondition(job: Job): 'Complete' | 'Failed' | undefined {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return c?.type as 'Complete' | 'Failed' | undefined;
}

/** <cronjob>-<scheduled time in minutes since the epoch>. */
export const jobNameFor = (cronJob: string, scheduledMs: number) => `${cronJob}-${Math.floor(scheduledMs / MINUTE)}`;

/** RFC 3339 in a time zone, with its offset ("2026-01-01T01:00:00+01:00"); "Z" for UTC. */
export function formatInZone(ms: number, timeZone?: string): string {
  const utc = rfc3339Now(ms);
  if (!timeZone || timeZone === 'UTC' || timeZone === 'Etc/UTC') return utc;
  const name = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return utc;
  const offsetMin = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
  return `${rfc3339Now(ms + offsetMin * MINUTE).slice(0, 19)}${m[1]}${m[2]}:${m[3] ?? '00'}`;
}

/**
 * The latest schedule time in (earliest, now], and how many were missed on the way.
 * Long gaps are not walked minute by minute: the search restarts from ever earlier
 * points before `now` until one lands in the gap.
 */
export function mostRecentScheduleTime(sched: CronSchedule, earliestMs: number, nowMs: number, timeZone?: string): { time?: number; missed: number } {
  const next = (t: number) => sched.next(new Date(t), timeZone)?.getTime();
  let t = next(earliestMs);
  if (t === undefined || t > nowMs) return { missed: 0 };
  let missed = 0;
  let last = t;
  while (t !== undefined && t <= nowMs && missed <= MAX_MISSED) { last = t; missed++; t = next(t); }
  if (t === undefined || t > nowMs) return { time: last, missed };
  // More than MAX_MISSED: find the most recent one from a window just before now.
  for (let w = MINUTE; ; w *= 4) {
    const from = Math.max(earliestMs, nowMs - w);
    let u = next(from);
    if (u !== undefined && u <= nowMs) {
      let latest = u;
      while (u !== undefined && u <= nowMs) { latest = u; u = next(u); }
      return { time: latest, missed: missed + 1 };
    }
    if (from === earliestMs) return { time: last, missed };
  }
}

export function cronJobController(ctx: ControllerContext): Controller {
  return {
    name: 'cronjob',
    async run(signal) {
      const cjInf = ctx.informers.informerFor<CronJobObj>(CRONJOBS);
      const jobInf = ctx.informers.informerFor<JobObj>(JOBS, { indexers: { [CONTROLLER_UID_INDEX]: byControllerUid } });
      const queue = new WorkQueue<string>({ clock: ctx.clock, name: 'cronjob' });
      const byOwner = (j: KubeObject) => {
        const ref = getControllerOf(j as never);
        if (ref?.kind === 'CronJob') queue.add(`${j.metadata?.namespace}/${ref.name}`);
      };
      cjInf.addEventHandler({ onAdd: (o) => queue.add(objectKey(o)), onUpdate: (_o, n) => queue.add(objectKey(n)), onDelete: (o) => queue.add(objectKey(o)) });
      jobInf.addEventHandler({ onAdd: byOwner, onUpdate: (_o, n) => byOwner(n), onDelete: byOwner });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      // Only this controller's caches: another controller's failing informer must not stall it.
      if (!(await waitForCacheSync(signal, cjInf, jobInf))) return;
      const sync = new CronJobSync({
        cjClient: ctx.client.resource<CronJobObj>(CRONJOBS), jobClient: ctx.client.resource<JobObj>(JOBS),
        cjLister: cjInf.lister, jobLister: jobInf.lister, recorder: ctx.recorder('cronjob-controller'), now: () => ctx.clock.now(),
      });
      await queue.runWorkers(ctx.options.workers, (key) => sync.sync(key), signal);
    },
  };
}

interface Deps {
  cjClient: ResourceClient<CronJobObj>;
  jobClient: ResourceClient<JobObj>;
  cjLister: Lister<CronJobObj>;
  jobLister: Lister<JobObj>;
  recorder: EventRecorder;
  now(): number;
}

const refOf = (j: JobObj): ObjectReference => ({
  kind: 'Job', namespace: j.metadata?.namespace, name: j.metadata?.name, uid: j.metadata?.uid, apiVersion: 'batch/v1', resourceVersion: j.metadata?.resourceVersion,
});

class CronJobSync {
  constructor(private readonly d: Deps) {}

  async sync(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const { namespace, name } = splitKey(key);
    const cj = this.d.cjLister.get(namespace, name);
    if (!cj) return;
    const jobs = this.d.jobLister.byIndex(CONTROLLER_UID_INDEX, cj.metadata!.uid!);
    const status: CronJobStatus = structuredClone(cj.status ?? {});
    await this.reconcileActive(cj, jobs, status);
    let requeue: number | undefined;
    if (!cj.metadata?.deletionTimestamp) requeue = await this.schedule(cj, status);
    await this.cleanupFinished(cj, jobs, status);
    if (!status.active?.length) delete status.active;
    if (!deepEqual(status, cj.status ?? {})) await this.d.cjClient.updateStatus(namespace, { ...structuredClone(cj), status });
    return requeue === undefined ? undefined : { requeueAfterMs: requeue };
  }

  private async reconcileActive(cj: CronJobObj, jobs: JobObj[], status: CronJobStatus): Promise<void> {
    let active = [...(status.active ?? [])];
    const uids = new Set(jobs.map((j) => j.metadata?.uid));
    for (const j of jobs) {
      const inActive = active.some((r) => r.uid === j.metadata?.uid);
      const finished = finishedCondition(j);
      if (!inActive && !finished) {
        this.d.recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata?.name}`);
      } else if (inActive && finished) {
        active = active.filter((r) => r.uid !== j.metadata?.uid);
        this.d.recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata?.name}, condition: ${finished}`);
      }
      const done = finished === 'Complete' ? j.status?.completionTime : undefined;
      if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) status.lastSuccessfulTime = done;
    }
    for (const r of [...active]) {
      if (uids.has(r.uid)) continue;
      // The cache may lag: only a Job the server does not have has gone.
      try {
        const j = await this.d.jobClient.get(r.namespace ?? cj.metadata!.namespace!, r.name!);
        if (j.metadata?.uid === r.uid) continue;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      active = active.filter((x) => x.uid !== r.uid);
      this.d.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${r.name}`);
    }
    status.active = active;
  }

  /** Starts the due Job if any; answers milliseconds until the next schedule time. */
  private async schedule(cj: CronJobObj, status: CronJobStatus): Promise<number | undefined> {
    const spec = cj.spec!;
    const tz = spec.timeZone ?? undefined;
    if (tz && !isKnownTimeZone(tz)) {
      this.d.recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: "${tz}": unknown time zone ${tz}`);
      return undefined;
    }
    let sched: CronSchedule;
    try {
      sched = parseCron(spec.schedule);
    } catch (err) {
      this.d.recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: "${spec.schedule}" : ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const now = this.d.now();
    const untilNext = () => {
      const t = sched.next(new Date(now), tz)?.getTime();
      return t === undefined ? undefined : Math.max(0, t - now) + NEXT_SCHEDULE_DELTA_MS;
    };
    if (spec.suspend) return undefined;
    let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? '') || now;
    const deadline = spec.startingDeadlineSeconds;
    if (deadline !== undefined && deadline !== null) earliest = Math.max(earliest, now - deadline * 1000);
    const { time, missed } = mostRecentScheduleTime(sched, earliest, now, tz);
    if (missed > MAX_MISSED) {
      this.d.recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    if (time === undefined) return untilNext();
    if (deadline !== undefined && deadline !== null && time + deadline * 1000 < now) {
      this.d.recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${new Date(time).toUTCString().replace('GMT', '+0000')}`);
      return untilNext();
    }
    const jobName = jobNameFor(cj.metadata!.name!, time);
    if (status.active?.some((r) => r.name === jobName) || (status.lastScheduleTime && Date.parse(status.lastScheduleTime) === time)) return untilNext();
    const policy = spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && status.active?.length) {
      this.d.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return untilNext();
    }
    if (policy === 'Replace') {
      for (const r of [...(status.active ?? [])]) {
        try {
          await this.d.jobClient.delete(r.namespace ?? cj.metadata!.namespace!, r.name!, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        status.active = status.active!.filter((x) => x.uid !== r.uid);
        this.d.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${r.name}`);
      }
    }
    const tmpl = spec.jobTemplate;
    const job: JobObj = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: {
        name: jobName, namespace: cj.metadata!.namespace,
        labels: { ...(tmpl.metadata?.labels ?? {}) },
        annotations: { ...(tmpl.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(time, tz) },
        ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
      },
      spec: structuredClone(tmpl.spec!),
    };
    try {
      const created = await this.d.jobClient.create(cj.metadata!.namespace!, job);
      this.d.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`);
      status.active = [...(status.active ?? []), refOf(created)];
    } catch (err) {
      if (!isAlreadyExists(err)) {
        this.d.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${err instanceof Error ? err.message : String(err)}`);
        throw err;
      }
    }
    status.lastScheduleTime = rfc3339Now(time);
    return untilNext();
  }

  /** Deletes the oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit. */
  private async cleanupFinished(cj: CronJobObj, jobs: JobObj[], status: CronJobStatus): Promise<void> {
    const active = new Set((status.active ?? []).map((r) => r.uid));
    const startOf = (j: Job) => Date.parse(j.status?.startTime ?? j.metadata?.creationTimestamp ?? '') || 0;
    for (const [cond, limit] of [['Complete', cj.spec?.successfulJobsHistoryLimit], ['Failed', cj.spec?.failedJobsHistoryLimit]] as const) {
      if (limit === undefined || limit === null) continue;
      const done = jobs.filter((j) => finishedCondition(j) === cond && !active.has(j.metadata?.uid) && !j.metadata?.deletionTimestamp).sort((a, b) => startOf(a) - startOf(b));
      for (const j of done.slice(0, Math.max(0, done.length - limit))) {
        try {
          await this.d.jobClient.delete(j.metadata!.namespace!, j.metadata!.name!, { propagationPolicy: 'Background' });
          this.d.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata!.name}`);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }
  }
}
