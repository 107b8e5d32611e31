import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { SharedInformerFactory, type EventRecorder, type KubeObject } from '../../client/index.js';
import { FakeApi, eventually } from '../../client/testing/index.js';
import { FakeClock } from '../../util/clock.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../context.js';
import { GC_PERIOD_MS, QUARANTINE_MS, podGarbageCollector } from './index.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
const NODES = { group: '', version: 'v1', resource: 'nodes', namespaced: false };
type P = Pod & KubeObject;

test('pod GC: terminated pods over the threshold (evicted first, then oldest) and pods of vanished nodes', async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const api = new FakeApi({ clock });
  const recorder: EventRecorder = { event: () => undefined };
  const informers = new SharedInformerFactory(api.client, { clock });
  const ctl = podGarbageCollector({ client: api.client, informers, recorder: () => recorder, clock, options: { ...DEFAULT_CONTROLLER_OPTIONS, terminatedPodGcThreshold: 2 } });
  const pods = api.client.resource<P>(PODS);
  const pod = async (name: string, status: Pod['status'], nodeName?: string) => {
    await pods.create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }] } });
    await pods.patch('default', name, 'merge', { status }, { subresource: 'status' });
    clock.advance(1000);
  };
  await api.client.resource<Node & KubeObject>(NODES).create('', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
  for (const n of ['a', 'b', 'c', 'd']) await pod(n, { phase: 'Succeeded' });
  await pod('evicted', { phase: 'Failed', reason: 'Evicted' });
  await pod('running-on-n1', { phase: 'Running' }, 'n1');
  await pod('running-on-gone', { phase: 'Running' }, 'gone');

  const ac = new AbortController();
  const running = Promise.all([ctl.run(ac.signal), informers.start(ac.signal)]);
  const names = () => api.list<P>(PODS, 'default').map((p) => p.metadata?.name).sort();
  const tick = async (ms: number) => { await eventually(() => clock.pendingTimers > 0, 'parked'); clock.advance(ms); };
  try {
    await tick(GC_PERIOD_MS);
    await eventually(() => names().join() === 'c,d,running-on-gone,running-on-n1', 'terminated pods trimmed to 2');
    // The node must stay missing through the quarantine before its pods go.
    await tick(GC_PERIOD_MS);
    await tick(GC_PERIOD_MS);
    assert.ok(names().includes('running-on-gone'));
    for (let t = 2 * GC_PERIOD_MS; t <= QUARANTINE_MS; t += GC_PERIOD_MS) await tick(GC_PERIOD_MS);
    await eventually(() => !names().includes('running-on-gone'), 'pod of a vanished node deleted');
    assert.ok(names().includes('running-on-n1'));
    const patched = api.requests.filter((r) => r.verb === 'patch' && r.subresource === 'status' && r.name === 'running-on-gone').at(-1);
    assert.deepEqual((patched?.body as { status: { phase: string; conditions: { reason: string }[] } }).status.phase, 'Failed');
  } finally {
    ac.abort();
    await running;
  }
});
