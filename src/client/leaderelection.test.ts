import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { FakeClock } from '../util/clock.js';
import { LEASES, LeaderElector } from './leaderelection.js';
import { FakeApi } from './testing/fakeapi.js';
import { tick } from './testing/eventually.js';

function candidate(api: FakeApi, clock: FakeClock, identity: string, releaseOnCancel = false) {
  const state = { leading: false, stopped: false, startedAt: -1, leadSignal: undefined as AbortSignal | undefined, leaders: [] as string[] };
  const elector = new LeaderElector({
    client: api.client, namespace: 'kube-system', name: 'kite-controller-manager', identity, clock, releaseOnCancel,
    onStartedLeading: (signal) => { state.leading = true; state.startedAt = clock.now(); state.leadSignal = signal; },
    onStoppedLeading: () => { state.leading = false; state.stopped = true; },
    onNewLeader: (id) => state.leaders.push(id),
  });
  const ac = new AbortController();
  const done = elector.run(ac.signal);
  return { elector, state, ac, done };
}

/** Advances the fake clock in steps, letting the electors' requests complete in between, until cond or maxMs. */
async function runClock(clock: FakeClock, maxMs: number, cond: () => boolean = () => false, stepMs = 250): Promise<number> {
  const start = clock.now();
  for (let t = 0; t < maxMs && !cond(); t += stepMs) {
    clock.advance(stepMs);
    for (let i = 0; i < 5; i++) await tick();
  }
  return clock.now() - start;
}

const lease = (api: FakeApi) => api.get<Lease>(LEASES, 'kube-system', 'kite-controller-manager')!;

test('leader election: exclusive leadership, take-over after expiry, fast hand-over on release', async () => {
  const api = new FakeApi();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  await runClock(clock, 5000, () => a.state.leading);
  assert.equal(a.state.leading, true);
  let l = lease(api);
  assert.equal(l.spec?.holderIdentity, 'a');
  assert.equal(l.spec?.leaseDurationSeconds, 15);
  assert.equal(l.spec?.leaseTransitions, 0);
  assert.match(l.spec?.renewTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const b = candidate(api, clock, 'b', true);
  await runClock(clock, 40_000);
  assert.equal(b.state.leading, false, 'b never leads while a renews');
  assert.deepEqual(b.state.leaders, ['a']);
  l = lease(api);
  assert.ok(Date.parse(l.spec!.renewTime!) > Date.parse(l.spec!.acquireTime!), 'a renewed');

  // a dies without releasing: b must wait out the lease duration.
  a.ac.abort();
  await a.done;
  assert.equal(a.state.stopped, true);
  assert.equal(a.state.leadSignal?.aborted, true);
  const lastRenew = Date.parse(lease(api).spec!.renewTime!);
  await runClock(clock, 30_000, () => b.state.leading);
  assert.equal(b.state.leading, true);
  assert.ok(b.state.startedAt - lastRenew >= 15_000, `b took over only after expiry (${b.state.startedAt - lastRenew}ms)`);
  l = lease(api);
  assert.deepEqual([l.spec?.holderIdentity, l.spec?.leaseTransitions], ['b', 1]);

  // b stops cleanly and releases: c takes over within a couple of retry periods.
  const c = candidate(api, clock, 'c');
  await runClock(clock, 3000);
  assert.equal(c.state.leading, false);
  b.ac.abort();
  await b.done;
  assert.equal(lease(api).spec?.holderIdentity, '');
  const waited = await runClock(clock, 30_000, () => c.state.leading);
  assert.equal(c.state.leading, true);
  assert.ok(waited <= 5000, `released lease taken in ${waited}ms`);
  assert.deepEqual([lease(api).spec?.holderIdentity, lease(api).spec?.leaseTransitions], ['c', 2]);
  c.ac.abort();
  await c.done;
});

test('a leader that cannot renew within renewDeadline steps down', async () => {
  const api = new FakeApi();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  await runClock(clock, 5000, () => a.state.leading);
  assert.equal(a.state.leading, true);
  api.prependReactor((r) => {
    if (r.resource === 'leases' && r.verb === 'update') throw new Error('network down');
  });
  const started = clock.now();
  await runClock(clock, 30_000, () => a.state.stopped);
  await a.done;
  assert.equal(a.state.stopped, true);
  assert.equal(a.state.leadSignal?.aborted, true);
  const took = clock.now() - started;
  assert.ok(took >= 10_000 && took <= 15_000, `stepped down after ${took}ms`);
});
