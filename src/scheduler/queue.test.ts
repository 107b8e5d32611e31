import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { prioritySort } from './plugins/queuesort/index.js';
import { SchedulingQueue } from './queue.js';
import { podInfo } from './testing.js';
import type { ClusterEvent } from './types.js';

const events = new Map<string, Set<ClusterEvent>>([['NodeResourcesFit', new Set<ClusterEvent>(['NodeAdd', 'AssignedPodDelete'])], ['NodeAffinity', new Set<ClusterEvent>(['NodeLabel'])]]);
const newQueue = (clock = new FakeClock(0)) => new SchedulingQueue({ clock, less: prioritySort, pluginEvents: events });

describe('SchedulingQueue', () => {
  test('pops by priority, then by arrival', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add(podInfo('low1'));
    clock.advance(1);
    q.add(podInfo('high', { priority: 10 }));
    clock.advance(1);
    q.add(podInfo('low2'));
    const signal = new AbortController().signal;
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop(signal))!.pod.name);
    assert.deepEqual(order, ['high', 'low1', 'low2']);
  });

  test('unschedulable pods move only on events their plugins registered, then wait out backoff', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    const signal = new AbortController().signal;
    q.add(podInfo('p'));
    const qp = (await q.pop(signal))!;
    const cycle = q.cycle;
    q.addUnschedulable(qp, cycle, new Set(['NodeResourcesFit']));
    assert.equal(q.counts().unschedulable, 1);
    q.onEvent('NodeLabel');
    assert.equal(q.counts().unschedulable, 1, 'NodeResourcesFit does not care about labels');
    q.onEvent('NodeAdd');
    assert.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, inFlight: 0 }, 'first attempt failed just now: 1s backoff');
    clock.advance(1000);
    q.flush();
    assert.equal(q.counts().active, 1);
    const again = (await q.pop(signal))!;
    assert.equal(again.attempts, 2);
    assert.equal(q.backoffExpiry(again) - again.failedAt, 2000);
  });

  test('a move request during the attempt sends the failed pod to backoff, not unschedulable', async () => {
    const q = newQueue();
    const signal = new AbortController().signal;
    q.add(podInfo('p'));
    const qp = (await q.pop(signal))!;
    const cycle = q.cycle;
    q.onEvent('AssignedPodDelete');
    q.addUnschedulable(qp, cycle, new Set(['NodeResourcesFit']));
    assert.equal(q.counts().backoff, 1);
  });

  test('backoff doubles up to 10s', () => {
    const q = newQueue();
    const qp = { pod: podInfo('p'), timestamp: 0, attempts: 0, unschedulablePlugins: new Set<string>(), failedAt: 0 };
    const d = [1, 2, 3, 4, 5, 6].map((a) => q.backoffExpiry({ ...qp, attempts: a }));
    assert.deepEqual(d, [1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  test('pods parked for five minutes are retried anyway', async () => {
    const clock = new FakeClock(0);
    const q = newQueue(clock);
    q.add(podInfo('p'));
    const qp = (await q.pop(new AbortController().signal))!;
    q.addUnschedulable(qp, q.cycle, new Set(['NodeAffinity']));
    clock.advance(300_001);
    q.flush();
    assert.equal(q.counts().active, 1);
  });

  test('pop waits for a pod and ends on abort', async () => {
    const q = newQueue();
    const ac = new AbortController();
    const waiting = q.pop(ac.signal);
    q.add(podInfo('p'));
    assert.equal((await waiting)?.pod.name, 'p');
    const ended = q.pop(ac.signal);
    ac.abort();
    assert.equal(await ended, undefined);
  });
});
