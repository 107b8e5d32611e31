import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../util/clock.js';
import { ApiError } from './errors.js';
import { EVENTS, EventBroadcaster } from './events.js';
import { FakeApi } from './testing/fakeapi.js';

const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod', uid: 'u1', resourceVersion: '7' } };

function setup() {
  const api = new FakeApi();
  const clock = new FakeClock();
  const b = new EventBroadcaster(api.client, { clock });
  return { api, clock, b, rec: b.newRecorder({ component: 'test-controller', host: 'node-1' }) };
}

const events = (api: FakeApi, ns = '') => api.list<Event>(EVENTS, ns);

test('an event is created with upstream naming and fields; repeats patch count and lastTimestamp', async () => {
  const { api, clock, b, rec } = setup();
  rec.event(pod, 'Normal', 'Started', 'started container');
  clock.advance(2000);
  rec.event(pod, 'Normal', 'Started', 'started container');
  rec.event(pod, 'Normal', 'Started', 'started container');
  await b.flush();
  const [e, ...rest] = events(api, 'prod');
  assert.equal(rest.length, 0);
  assert.match(e.metadata!.name!, /^web-1\.[0-9a-f]+$/);
  assert.equal(BigInt(`0x${e.metadata!.name!.split('.')[1]}`) / 1_000_000n, BigInt(Date.UTC(2026, 0, 1)), 'hex of Unix nanoseconds');
  assert.deepEqual(e.involvedObject, { kind: 'Pod', apiVersion: 'v1', namespace: 'prod', name: 'web-1', uid: 'u1', resourceVersion: '7' });
  assert.deepEqual(e.source, { component: 'test-controller', host: 'node-1' });
  assert.deepEqual([e.reportingComponent, e.reportingInstance, e.type, e.reason, e.count], ['test-controller', 'node-1', 'Normal', 'Started', 3]);
  assert.equal(e.firstTimestamp, '2026-01-01T00:00:00Z');
  assert.equal(e.lastTimestamp, '2026-01-01T00:00:02Z');
  assert.deepEqual(api.requests.filter((r) => r.resource === 'events').map((r) => r.verb), ['create', 'patch', 'patch']);

  // Outside the ten-minute window the same event starts a new Event object.
  clock.advance(11 * 60_000);
  rec.event(pod, 'Normal', 'Started', 'started container');
  await b.flush();
  assert.equal(events(api, 'prod').length, 2);
});

test('cluster-scoped objects get events in "default"; many messages for one reason are combined', async () => {
  const { api, b, rec } = setup();
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } };
  for (let i = 0; i < 11; i++) rec.event(node, 'Warning', 'Pressure', `pressure ${i}`);
  await b.flush();
  const evs = events(api, 'default');
  assert.equal(evs.length, 10, 'nine distinct events, then one combined');
  const combined = evs.filter((e) => e.message?.startsWith('(combined from similar events): '));
  assert.equal(combined.length, 1);
  assert.equal(combined[0].count, 2);
  assert.equal(combined[0].message, '(combined from similar events): pressure 10');
});

test('each object is rate-limited to a burst of 25, refilled one per five minutes', async () => {
  const { api, clock, b, rec } = setup();
  for (let i = 0; i < 30; i++) rec.event(pod, 'Normal', `R${i}`, 'm');
  await b.flush();
  assert.equal(events(api).length, 25);
  clock.advance(300_000);
  rec.event(pod, 'Normal', 'Again', 'm');
  rec.event(pod, 'Normal', 'AgainAgain', 'm');
  await b.flush();
  assert.equal(events(api).length, 26);
});

test('recording never throws or blocks; a failed write is logged and dropped, later ones proceed', async () => {
  const { api, b, rec } = setup();
  const stop = api.prependReactor((r) => {
    if (r.resource === 'events') throw new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden', message: 'no' });
  });
  rec.event(pod, 'Normal', 'A', 'a');
  await b.flush();
  stop();
  rec.event(pod, 'Normal', 'B', 'b');
  await b.flush();
  assert.deepEqual(events(api).map((e) => e.reason), ['B']);
  assert.doesNotThrow(() => rec.event(pod, 'Bogus' as 'Normal', 'X', 'x'));
});
