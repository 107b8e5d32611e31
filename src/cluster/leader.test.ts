import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { LEASES } from '../client/index.js';
import { FakeApi } from '../client/testing/fakeapi.js';
import { tick } from '../client/testing/eventually.js';
import { StatusError } from '../machinery/errors.js';
import { FakeClock } from '../util/clock.js';
import { candidateIdentity, runWhileLeading } from './leader.js';

async function runClock(clock: FakeClock, maxMs: number, cond: () => boolean): Promise<void> {
  for (let t = 0; t < maxMs && !cond(); t += 250) {
    clock.advance(250);
    for (let i = 0; i < 5; i++) await tick();
  }
}

test('a component runs while leading, stops when the lease cannot be renewed, and runs again once re-acquired', async () => {
  const api = new FakeApi();
  const clock = new FakeClock();
  const runs: AbortSignal[] = [];
  const component = (s: AbortSignal) => new Promise<void>((resolve) => { runs.push(s); s.addEventListener('abort', () => resolve(), { once: true }); });
  const ac = new AbortController();
  const done = runWhileLeading(api.client, 'kube-scheduler', 'host_me', ac.signal, component, clock);

  await runClock(clock, 5000, () => runs.length === 1);
  assert.equal(runs.length, 1);
  const lease = () => api.get<Lease>(LEASES, 'kube-system', 'kube-scheduler');
  assert.equal(lease()?.spec?.holderIdentity, 'host_me');

  // The API refuses lease writes: after the renew deadline the component is stopped.
  const refuse = api.prependReactor((r) => {
    if (r.resource === 'leases' && r.verb === 'update') throw new StatusError(500, 'InternalError', 'etcd is down', {});
    return undefined;
  });
  await runClock(clock, 20_000, () => runs[0].aborted);
  assert.equal(runs[0].aborted, true, 'stopped after losing the lease');
  assert.equal(runs.length, 1, 'not running again while the lease cannot be written');

  refuse();
  await runClock(clock, 10_000, () => runs.length === 2);
  assert.equal(runs.length, 2, 'leading again');

  ac.abort();
  await done;
  assert.equal(runs[1].aborted, true);
  assert.equal(lease()?.spec?.holderIdentity ?? '', '', 'released on a clean stop');
});

test('the candidate identity survives restarts of the same data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kite-leader-'));
  try {
    const a = candidateIdentity(dir);
    assert.match(a, /^.+_[0-9a-f-]{36}$/);
    assert.equal(candidateIdentity(dir), a);
    assert.notEqual(candidateIdentity(join(dir, 'other')), a);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
