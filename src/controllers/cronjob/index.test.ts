import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { parseCron } from '../../api/resources/groups/cron.js';
import { FakeClock } from '../../util/clock.js';
import { runController } from '../testing.js';
import { CRONJOBS, JOBS, SCHEDULED_TIMESTAMP_ANNOTATION, cronJobController, formatInZone, jobNameFor, mostRecentScheduleTime } from './index.js';

type CJ = CronJob & KubeObject;
type J = Job & KubeObject;

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

function setup(spec: Partial<CronJob['spec']> = {}) {
  const clock = new FakeClock(T0);
  const { api, events, stop } = runController(cronJobController, { clock, workers: 1 });
  const create = () => api.client.resource<CJ>(CRONJOBS).create('default', {
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'tick' },
    spec: {
      schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    } as CronJob['spec'],
  });
  const jobs = () => api.list<J>(JOBS, 'default');
  return { clock, api, events, create, jobs, stop };
}

/** Lets the controller settle on the fake clock: nothing queued, a wake-up timer parked. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  await eventually(() => clock.pendingTimers > 0, 'the controller parked on the clock');
  clock.advance(ms);
}

describe('cronjob controller', () => {
  test('creates <name>-<minutes> when due, with the scheduled-timestamp annotation and an owner reference', async () => {
    const s = setup();
    try {
      await s.create();
      await advance(s.clock, 61_000);
      await eventually(() => s.jobs().length === 1, 'a job');
      const job = s.jobs()[0];
      const due = T0 + 60_000;
      assert.equal(job.metadata?.name, jobNameFor('tick', due));
      assert.equal(job.metadata?.name, `tick-${due / 60_000}`);
      assert.equal(job.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], '2026-01-01T00:01:00Z');
      assert.equal(job.metadata?.labels?.team, 'a');
      assert.equal(job.metadata?.ownerReferences?.[0]?.kind, 'CronJob');
      await eventually(() => s.api.get<CJ>(CRONJOBS, 'default', 'tick')?.status?.active?.length === 1, 'status.active');
      const cj = s.api.get<CJ>(CRONJOBS, 'default', 'tick')!;
      assert.equal(cj.status?.lastScheduleTime, '2026-01-01T00:01:00Z');
      assert.ok(s.events.includes(`SuccessfulCreate: Created job ${job.metadata?.name}`));

      // The job finishes: it leaves status.active and sets lastSuccessfulTime.
      await s.api.client.resource<J>(JOBS).patch('default', job.metadata!.name!, 'merge', {
        status: { completionTime: '2026-01-01T00:01:30Z', conditions: [{ type: 'Complete', status: 'True' }] },
      }, { subresource: 'status' });
      await eventually(() => !s.api.get<CJ>(CRONJOBS, 'default', 'tick')?.status?.active, 'active emptied');
      assert.equal(s.api.get<CJ>(CRONJOBS, 'default', 'tick')?.status?.lastSuccessfulTime, '2026-01-01T00:01:30Z');
      assert.ok(s.events.some((e) => e.startsWith('SawCompletedJob: Saw completed job: tick-')));
    } finally { await s.stop(); }
  });

  test('Forbid skips a run while one is active; Replace deletes the active one', async () => {
    const s = setup({ concurrencyPolicy: 'Forbid' });
    try {
      await s.create();
      await advance(s.clock, 61_000);
      await eventually(() => s.jobs().length === 1, 'first job');
      await eventually(() => s.api.get<CJ>(CRONJOBS, 'default', 'tick')?.status?.active?.length === 1, 'status.active');
      await advance(s.clock, 61_000);
      await eventually(() => s.events.some((e) => e.startsWith('JobAlreadyActive')), 'JobAlreadyActive');
      assert.equal(s.jobs().length, 1);

      await s.api.client.resource<CJ>(CRONJOBS).patch('default', 'tick', 'merge', { spec: { concurrencyPolicy: 'Replace' } });
      await advance(s.clock, 61_000);
      await eventually(() => s.jobs().length === 1 && s.jobs()[0].metadata?.name === `tick-${(T0 + 180_000) / 60_000}`, 'replaced job');
      assert.ok(s.events.some((e) => e === `SuccessfulDelete: Deleted job tick-${(T0 + 60_000) / 60_000}`));
    } finally { await s.stop(); }
  });

  test('a suspended CronJob creates nothing', async () => {
    const s = setup({ suspend: true });
    try {
      await s.create();
      await eventually(() => s.api.requests.some((r) => r.verb === 'watch' && r.resource === 'jobs'), 'controller running');
      s.clock.advance(5 * 60_000);
      await new Promise((r) => setImmediate(r));
      assert.equal(s.jobs().length, 0);
      await s.api.client.resource<CJ>(CRONJOBS).patch('default', 'tick', 'merge', { spec: { suspend: false } });
      // Resumed: the most recent missed time runs at once.
      await eventually(() => s.jobs().length === 1, 'a job after resume');
      assert.equal(s.jobs()[0].metadata?.name, `tick-${(T0 + 5 * 60_000) / 60_000}`);
    } finally { await s.stop(); }
  });

  test('startingDeadlineSeconds: a run later than the deadline is missed', async () => {
    const sched = parseCron('0 * * * *');
    assert.deepEqual(mostRecentScheduleTime(sched, T0, T0 + 59 * 60_000), { missed: 0 });
    assert.deepEqual(mostRecentScheduleTime(sched, T0, T0 + 60 * 60_000), { time: T0 + 3_600_000, missed: 1 });
    // Far more than 100 missed minutes: the latest is still found, and the count says too many.
    const r = mostRecentScheduleTime(parseCron('* * * * *'), T0, T0 + 1000 * 60_000 + 5_000);
    assert.equal(r.time, T0 + 1000 * 60_000);
    assert.ok(r.missed > 100);
  });

  test('scheduled timestamps carry the time zone offset', () => {
    assert.equal(formatInZone(T0), '2026-01-01T00:00:00Z');
    assert.equal(formatInZone(T0, 'Europe/Berlin'), '2026-01-01T01:00:00+01:00');
    assert.equal(formatInZone(T0, 'America/New_York'), '2025-12-31T19:00:00-05:00');
  });
});
