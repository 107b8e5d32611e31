import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { rfc3339Now } from '../../machinery/meta.js';
import { FakeClock } from '../../util/clock.js';
import { runController } from '../testing.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { COMPLETION_INDEX, JOB_TRACKING_FINALIZER, JOBS, PODS, backoffDelayMs, jobController, newJobPod } from './index.js';
import { matchPodFailurePolicy } from './podfailurepolicy.js';

type J = Job & KubeObject;
type P = Pod & KubeObject;
const T0 = Date.UTC(2026, 0, 1);

function setup(spec: Partial<JobSpec>) {
  const clock = new FakeClock(T0);
  const { api, events, stop } = runController(jobController, { clock, workers: 2 });
  const create = () => api.client.resource<J>(JOBS).create('default', {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' },
    spec: {
      parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      selector: { matchLabels: { job: 'j' } },
      template: { metadata: { labels: { job: 'j' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
  });
  const job = () => api.get<J>(JOBS, 'default', 'j')!;
  const pods = () => api.list<P>(PODS, 'default');
  const live = () => pods().filter((p) => !p.status?.phase && !p.metadata?.deletionTimestamp);
  const finish = (p: P, exitCode: number) => api.client.resource<P>(PODS).patch('default', p.metadata!.name!, 'merge', {
    status: {
      phase: exitCode ? 'Failed' : 'Succeeded',
      containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: rfc3339Now(clock.now()) } } }],
    },
  }, { subresource: 'status' });
  const cond = (type: string) => job().status?.conditions?.find((c) => c.type === type && c.status === 'True');
  const podClient = api.client.resource<P>(PODS);
  const bare = (name: string, labels: Record<string, string>, meta: Partial<P['metadata']> = {}) => podClient.create('default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels, ...meta }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
  });
  const pod = (n: string) => api.get<P>(PODS, 'default', n);
  const ownedBy = (uid: string | undefined) => pods().filter((p) => p.metadata?.ownerReferences?.some((r) => r.controller && r.uid === uid));
  return { clock, api, events, create, job, pods, live, finish, cond, stop, podClient, bare, pod, ownedBy };
}

describe('job controller', () => {
  test('runs pods to completions with the tracking finalizer, then Complete', async () => {
    const s = setup({ completions: 2, parallelism: 1 });
    try {
      await s.create();
      await eventually(() => s.live().length === 1, 'first pod');
      const p1 = s.live()[0];
      assert.deepEqual(p1.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
      assert.equal(p1.metadata?.ownerReferences?.[0]?.kind, 'Job');
      assert.match(p1.metadata?.name ?? '', /^j-/);
      await eventually(() => s.job().status?.active === 1 && !!s.job().status?.startTime, 'status.active 1');
      await s.finish(p1, 0);
      await eventually(() => s.live().length === 1 && s.live()[0].metadata?.uid !== p1.metadata?.uid, 'second pod');
      await eventually(() => s.job().status?.succeeded === 1, 'succeeded 1');
      assert.deepEqual(s.api.get<P>(PODS, 'default', p1.metadata!.name!)?.metadata?.finalizers ?? [], []);
      await s.finish(s.live()[0], 0);
      await eventually(() => !!s.cond('Complete'), 'Complete');
      const st = s.job().status!;
      assert.equal(st.succeeded, 2);
      assert.ok(st.completionTime);
      assert.deepEqual(st.uncountedTerminatedPods, {});
      assert.ok(s.cond('SuccessCriteriaMet'));
      assert.equal(s.cond('Complete')?.reason, 'CompletionsReached');
      assert.ok(s.events.includes('Completed: Job completed'));
      assert.ok(s.pods().every((p) => !p.metadata?.finalizers?.length));
    } finally { await s.stop(); }
  });

  test('failed pods are replaced after 10 s, then 20 s; beyond backoffLimit the Job fails', async () => {
    const s = setup({ backoffLimit: 2 });
    try {
      await s.create();
      await eventually(() => s.live().length === 1, 'first pod');
      await s.finish(s.live()[0], 1);
      await eventually(() => s.job().status?.failed === 1, 'failed 1');
      await eventually(() => s.clock.pendingTimers > 0, 'back-off timer');
      assert.equal(s.live().length, 0, 'no replacement during the back-off');
      s.clock.advance(9_000);
      assert.equal(s.live().length, 0);
      s.clock.advance(1_000);
      await eventually(() => s.live().length === 1, 'replacement after 10 s');
      await s.finish(s.live()[0], 1);
      await eventually(() => s.job().status?.failed === 2, 'failed 2');
      await eventually(() => s.clock.pendingTimers > 0, 'back-off timer');
      s.clock.advance(19_000);
      assert.equal(s.live().length, 0);
      s.clock.advance(1_000);
      await eventually(() => s.live().length === 1, 'replacement after 20 s');
      await s.finish(s.live()[0], 1);
      await eventually(() => !!s.cond('Failed'), 'Failed');
      assert.equal(s.cond('Failed')?.reason, 'BackoffLimitExceeded');
      assert.equal(s.cond('FailureTarget')?.reason, 'BackoffLimitExceeded');
      assert.equal(s.job().status?.failed, 3);
      assert.ok(s.events.includes('BackoffLimitExceeded: Job has reached the specified backoff limit'));
    } finally { await s.stop(); }
  });

  test('activeDeadlineSeconds fails the Job and removes its pods', async () => {
    const s = setup({ activeDeadlineSeconds: 30, parallelism: 2, completions: 4 });
    try {
      await s.create();
      await eventually(() => s.live().length === 2, 'two pods');
      await eventually(() => s.clock.pendingTimers > 0, 'deadline timer');
      s.clock.advance(30_000);
      await eventually(() => !!s.cond('Failed'), 'Failed');
      assert.equal(s.cond('Failed')?.reason, 'DeadlineExceeded');
      assert.equal(s.cond('Failed')?.message, 'Job was active longer than specified deadline');
      await eventually(() => s.pods().length === 0, 'pods gone (finalizers released)');
      assert.equal(s.job().status?.active, undefined);
    } finally { await s.stop(); }
  });

  test('a FailJob podFailurePolicy rule fails the Job at once', async () => {
    const s = setup({ podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] } });
    try {
      await s.create();
      await eventually(() => s.live().length === 1, 'pod');
      const name = s.live()[0].metadata!.name!;
      await s.finish(s.live()[0], 42);
      await eventually(() => !!s.cond('Failed'), 'Failed');
      assert.equal(s.cond('Failed')?.reason, 'PodFailurePolicy');
      assert.equal(s.cond('Failed')?.message, `Container c for pod default/${name} failed with exit code 42 matching FailJob rule at index 0`);
    } finally { await s.stop(); }
  });

  test('Indexed pods carry their index; completedIndexes collects them', async () => {
    const s = setup({ completionMode: 'Indexed', completions: 3, parallelism: 3 });
    try {
      await s.create();
      await eventually(() => s.live().length === 3, 'three pods');
      const byIndex = new Map(s.live().map((p) => [p.metadata!.annotations![COMPLETION_INDEX], p]));
      assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
      await s.finish(byIndex.get('1')!, 0);
      await eventually(() => s.job().status?.completedIndexes === '1', 'index 1 completed');
      await s.finish(byIndex.get('0')!, 0);
      await s.finish(byIndex.get('2')!, 0);
      await eventually(() => !!s.cond('Complete'), 'Complete');
      assert.equal(s.job().status?.completedIndexes, '0-2');
      assert.equal(s.job().status?.succeeded, 3);
    } finally { await s.stop(); }
  });

  test('suspend deletes active pods and resumes later', async () => {
    const s = setup({ parallelism: 2, completions: 2 });
    try {
      await s.create();
      await eventually(() => s.live().length === 2, 'two pods');
      await s.api.client.resource<J>(JOBS).patch('default', 'j', 'merge', { spec: { suspend: true } });
      await eventually(() => s.cond('Suspended')?.reason === 'JobSuspended', 'Suspended');
      await eventually(() => s.pods().length === 0, 'pods removed');
      await s.api.client.resource<J>(JOBS).patch('default', 'j', 'merge', { spec: { suspend: false } });
      await eventually(() => s.live().length === 2, 'pods again');
      assert.equal(s.job().status?.conditions?.find((c) => c.type === 'Suspended')?.reason, 'JobResumed');
    } finally { await s.stop(); }
  });
});

describe('job controller: controller references', () => {
  const OTHER_OWNER = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'other', uid: 'other-uid', controller: true };

  test('adopts a matching orphan, adding the tracking finalizer', async () => {
    const s = setup({ parallelism: 1, completions: 1 });
    try {
      await s.bare('orphan', { job: 'j' });
      const job = await s.create();
      await eventually(() => s.pod('orphan')?.metadata?.ownerReferences?.[0]?.uid === job.metadata?.uid, 'adopted');
      assert.deepEqual(s.pod('orphan')?.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: job.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      assert.deepEqual(s.pod('orphan')?.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
      // The adopted pod counts: finishing it completes the Job.
      await s.finish(s.pod('orphan')!, 0);
      await eventually(() => !!s.cond('Complete'), 'Complete');
      assert.equal(s.job().status?.succeeded, 1);
    } finally { await s.stop(); }
  });

  test('releases a pod whose labels stop matching, removing the tracking finalizer, and replaces it', async () => {
    const s = setup({ parallelism: 1, completions: 1 });
    try {
      const job = await s.create();
      await eventually(() => s.live().length === 1, 'pod');
      const first = s.live()[0].metadata!.name!;
      await s.podClient.patch('default', first, 'merge', { metadata: { labels: { job: 'debug' } } });
      await eventually(() => !s.pod(first)?.metadata?.ownerReferences?.length, 'released');
      assert.deepEqual(s.pod(first)?.metadata?.finalizers ?? [], []);
      await eventually(() => s.ownedBy(job.metadata?.uid).some((p) => p.metadata?.name !== first), 'replacement');
      assert.ok(s.pod(first), 'released, not deleted');
    } finally { await s.stop(); }
  });

  test('does not adopt when the live Job is being deleted', async () => {
    const s = setup({ parallelism: 1, completions: 1 });
    try {
      await s.bare('orphan', { job: 'j' });
      // The cache still shows a live Job; the server's copy is being deleted.
      s.api.prependReactor((r) => (r.verb === 'get' && r.resource === 'jobs'
        ? { ...s.job(), metadata: { ...s.job().metadata, deletionTimestamp: rfc3339Now(T0) } } : undefined));
      const rechecks = () => s.api.requests.filter((r) => r.verb === 'get' && r.resource === 'jobs').length;
      await s.create();
      await eventually(() => rechecks() >= 1, 'adoption re-check');
      // A second re-check means the sync that made the first one has finished.
      await s.podClient.patch('default', 'orphan', 'merge', { metadata: { labels: { touched: '1' } } });
      await eventually(() => rechecks() >= 2, 'second re-check');
      assert.equal(s.pod('orphan')?.metadata?.ownerReferences, undefined);
      assert.equal(s.pod('orphan')?.metadata?.finalizers, undefined);
      assert.equal(s.api.requests.filter((r) => r.verb === 'patch' && r.name === 'orphan').length, 1, 'only the test wrote it');
    } finally { await s.stop(); }
  });

  test('ignores a matching pod another controller owns, and leaves its tracking finalizer', async () => {
    const s = setup({ parallelism: 1, completions: 1 });
    try {
      await s.bare('foreign', { job: 'j' }, { ownerReferences: [OTHER_OWNER], finalizers: [JOB_TRACKING_FINALIZER] });
      const job = await s.create();
      await eventually(() => s.ownedBy(job.metadata?.uid).length === 1, 'own pod');
      await eventually(() => s.job().status?.active === 1, 'status.active counts only its own pod');
      assert.deepEqual(s.pod('foreign')?.metadata?.ownerReferences, [OTHER_OWNER]);
      assert.deepEqual(s.pod('foreign')?.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
      assert.ok(!s.api.requests.some((r) => (r.verb === 'patch' || r.verb === 'delete') && r.name === 'foreign'));
    } finally { await s.stop(); }
  });

  test('an orphan keeps no tracking finalizer when no Job adopts it', async () => {
    const s = setup({});
    try {
      await s.bare('leftover', { job: 'none' }, { finalizers: [JOB_TRACKING_FINALIZER, 'other'] });
      await eventually(() => s.pod('leftover')?.metadata?.finalizers?.length === 1, 'tracking finalizer removed');
      assert.deepEqual(s.pod('leftover')?.metadata?.finalizers, ['other']);
    } finally { await s.stop(); }
  });
});

describe('job helpers', () => {
  test('completed indexes round-trip as ranges', () => {
    assert.equal(formatIndexes([5, 1, 3, 4, 7, 8]), '1,3-5,7-8');
    assert.deepEqual([...parseIndexes('1,3-5,7')].sort(), [1, 3, 4, 5, 7]);
    assert.equal(formatIndexes([]), '');
  });

  test('back-off doubles from 10 s and stops at 6 min', () => {
    assert.deepEqual([1, 2, 3, 6, 7, 30].map(backoffDelayMs), [10_000, 20_000, 40_000, 320_000, 360_000, 360_000]);
  });

  test('Indexed pods: hostname, label, annotation and JOB_COMPLETION_INDEX from the annotation', () => {
    const pod = newJobPod({ metadata: { name: 'x', namespace: 'ns', uid: 'u' }, spec: { template: { spec: { containers: [{ name: 'c' }], initContainers: [{ name: 'i' }] } } } } as J, 4);
    assert.equal(pod.metadata?.generateName, 'x-4-');
    assert.equal(pod.spec?.hostname, 'x-4');
    assert.equal(pod.metadata?.labels?.[COMPLETION_INDEX], '4');
    assert.equal(pod.metadata?.annotations?.[COMPLETION_INDEX], '4');
    for (const c of [...pod.spec!.containers, ...pod.spec!.initContainers!]) {
      assert.deepEqual(c.env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    }
  });

  test('pod failure policy: exit codes (never 0) and conditions, first rule wins', () => {
    const pod = (code: number, conds: { type: string; status: string }[] = []): Pod => ({
      metadata: { name: 'p', namespace: 'ns' },
      status: { phase: 'Failed', conditions: conds, containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } }] },
    });
    const policy = { rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { operator: 'NotIn', values: [1, 2] } },
    ] };
    assert.equal(matchPodFailurePolicy(policy, pod(1)), undefined);
    assert.equal(matchPodFailurePolicy(policy, pod(0)), undefined);
    assert.equal(matchPodFailurePolicy(policy, pod(3))?.action, 'FailJob');
    assert.equal(matchPodFailurePolicy(policy, pod(3, [{ type: 'DisruptionTarget', status: 'True' }]))?.message, 'Pod ns/p has condition DisruptionTarget matching Ignore rule at index 0');
  });
});
