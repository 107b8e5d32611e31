// TTL-after-finished controller: deletes a finished Job (Complete or Failed) once
// spec.ttlSecondsAfterFinished has passed since it finished, with its pods (foreground
// propagation). Before deleting it re-reads the Job from the server, because the TTL or
// the Job may have changed since the cache saw it.
import type { Job } from 'kubernetes-types/batch/v1.js';
import { isNotFound, objectKey, splitKey, waitForCacheSync, WorkQueue, type KubeObject } from '../../client/index.js';
import type { Controller, ControllerContext } from '../context.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };

type JobObj = Job & KubeObject;

/** When the Job expires (ms since the epoch), or undefined if it has no TTL or has not finished. */
export function expiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || ttl === null || job.metadata?.deletionTimestamp) return undefined;
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const finished = Date.parse(c.lastTransitionTime ?? '') || Date.parse(job.status?.completionTime ?? '');
  return Number.isNaN(finished) ? undefined : finished + ttl * 1000;
}

export function ttlAfterFinishedController(ctx: ControllerContext): Controller {
  return {
    name: 'ttl-after-finished',
    async run(signal) {
      const jobInf = ctx.informers.informerFor<JobObj>(JOBS);
      const queue = new WorkQueue<string>({ clock: ctx.clock, name: 'ttl-after-finished' });
      const maybe = (j: JobObj) => { if (expiresAt(j) !== undefined) queue.add(objectKey(j)); };
      jobInf.addEventHandler({ onAdd: maybe, onUpdate: (_o, n) => maybe(n) });
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      // Only this controller's caches: another controller's failing informer must not stall it.
      if (!(await waitForCacheSync(signal, jobInf))) return;
      const jobs = ctx.client.resource<JobObj>(JOBS);
      await queue.runWorkers(ctx.options.workers, async (key) => {
        const { namespace, name } = splitKey(key);
        const cached = jobInf.lister.get(namespace, name);
        const at = cached && expiresAt(cached);
        if (at === undefined) return;
        if (at > ctx.clock.now()) return { requeueAfterMs: at - ctx.clock.now() };
        let fresh: JobObj;
        try {
          fresh = await jobs.get(namespace, name);
        } catch (err) {
          if (isNotFound(err)) return;
          throw err;
        }
        const freshAt = expiresAt(fresh);
        if (freshAt === undefined) return;
        if (freshAt > ctx.clock.now()) return { requeueAfterMs: freshAt - ctx.clock.now() };
        try {
          await jobs.delete(namespace, name, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata?.uid, resourceVersion: fresh.metadata?.resourceVersion } });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }, signal);
    },
  };
}
