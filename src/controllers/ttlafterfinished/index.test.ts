import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { rfc3339Now } from '../../machinery/meta.js';
import { FakeClock } from '../../util/clock.js';
import { runController } from '../testing.js';
import { expiresAt, ttlAfterFinishedController } from './index.js';

const JOBS = { group: 'batch', version: 'v1', resource: 'jobs', namespaced: true };
type J = Job & KubeObject;

describe('ttl-after-finished controller', () => {
  test('expiry is the finish time plus the TTL; unfinished or TTL-less Jobs never expire', () => {
    const done = { status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] } };
    assert.equal(expiresAt({ spec: { ttlSecondsAfterFinished: 60, template: {} }, ...done }), Date.UTC(2026, 0, 1) + 60_000);
    assert.equal(expiresAt({ spec: { template: {} }, ...done }), undefined);
    assert.equal(expiresAt({ spec: { ttlSecondsAfterFinished: 60, template: {} } }), undefined);
  });

  test('deletes a finished Job once its TTL has passed', async () => {
    const clock = new FakeClock();
    const { api, stop } = runController(ttlAfterFinishedController, { clock });
    try {
      const jobs = api.client.resource<J>(JOBS);
      await jobs.create('default', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { ttlSecondsAfterFinished: 30, template: {} } });
      await jobs.patch('default', 'j', 'merge', { status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: rfc3339Now(clock.now()) }] } }, { subresource: 'status' });
      await eventually(() => clock.pendingTimers > 0, 'expiry timer');
      clock.advance(29_000);
      assert.ok(api.get(JOBS, 'default', 'j'));
      clock.advance(1_000);
      await eventually(() => !api.get(JOBS, 'default', 'j'), 'job deleted');
      const del = api.requests.find((r) => r.verb === 'delete' && r.resource === 'jobs');
      assert.equal((del?.body as { propagationPolicy?: string }).propagationPolicy, 'Foreground');
    } finally { await stop(); }
  });
});
