import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Event, Pod } from 'kubernetes-types/core/v1.js';
import { SharedInformerFactory } from '../client/index.js';
import { eventually, FakeApi } from '../client/testing/index.js';
import { NODES, PODS, Scheduler } from './scheduler.js';
import { makeNode, makePod } from './testing.js';

const EVENTS = { group: '', version: 'v1', resource: 'events', namespaced: true };

/** A FakeApi whose pods/binding sets spec.nodeName, as the API server does. */
function fakeWithBinding(): { fake: FakeApi; bindings: string[] } {
  const fake = new FakeApi();
  const bindings: string[] = [];
  const pods = fake.client.resource<Pod>(PODS);
  fake.prependReactor((req) => {
    if (req.resource !== 'pods' || req.subresource !== 'binding' || req.verb !== 'create') return undefined;
    const target = (req.body as { target: { name: string } }).target.name;
    bindings.push(`${req.name}->${target}`);
    setImmediate(() => void pods.patch(req.namespace, req.name!, 'merge', { spec: { nodeName: target } }));
    return { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 };
  });
  return { fake, bindings };
}

describe('Scheduler', () => {
  test('binds pending pods of this scheduler and records Scheduled events; ignores others', async () => {
    const { fake, bindings } = fakeWithBinding();
    const c = fake.client;
    await c.resource(NODES).create('', makeNode('n1', { cpu: '2' }));
    await c.resource(NODES).create('', makeNode('n2', { cpu: '2', labels: { disk: 'ssd' } }));
    const pods = c.resource<Pod>(PODS);
    await pods.create('default', makePod('a', { cpu: '1' }));
    await pods.create('default', makePod('b', { cpu: '1', spec: { nodeSelector: { disk: 'ssd' } } }));
    await pods.create('default', makePod('other', { spec: { schedulerName: 'someone-else' } }));
    const informers = new SharedInformerFactory(c);
    const s = new Scheduler(c, informers);
    const ac = new AbortController();
    const running = s.run(ac.signal);
    void informers.start(ac.signal);
    try {
      await eventually(async () => (await pods.get('default', 'a')).spec?.nodeName !== undefined && (await pods.get('default', 'b')).spec?.nodeName === 'n2', 'pods bound');
      assert.ok(bindings.includes('b->n2'));
      assert.ok(!bindings.some((b) => b.startsWith('other')));
      await eventually(async () => (await c.resource<Event>(EVENTS).list('default')).items.some((e) => e.reason === 'Scheduled' && e.message === 'Successfully assigned default/b to n2'), 'Scheduled event');
      // The cache confirmed both assumed pods.
      await eventually(() => s.cache.podCount === 2 && !s.cache.isAssumed('default/a'), 'bound pods confirmed');
    } finally {
      ac.abort();
      await running;
    }
  });

  test('records why a pod does not fit and retries it when a node arrives', async () => {
    const { fake } = fakeWithBinding();
    const c = fake.client;
    await c.resource(NODES).create('', makeNode('n1', { cpu: '1' }));
    const pods = c.resource<Pod>(PODS);
    await pods.create('default', makePod('big', { cpu: '2' }));
    const informers = new SharedInformerFactory(c);
    const s = new Scheduler(c, informers);
    const ac = new AbortController();
    const running = s.run(ac.signal);
    void informers.start(ac.signal);
    try {
      await eventually(async () => (await pods.get('default', 'big')).status?.conditions?.some((x) => x.type === 'PodScheduled' && x.status === 'False') ?? false, 'PodScheduled=False');
      const cond = (await pods.get('default', 'big')).status!.conditions!.find((x) => x.type === 'PodScheduled')!;
      assert.equal(cond.reason, 'Unschedulable');
      assert.equal(cond.message, '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
      await eventually(async () => (await c.resource<Event>(EVENTS).list('default')).items.some((e) => e.reason === 'FailedScheduling' && e.type === 'Warning' && e.message === cond.message), 'FailedScheduling event');
      await c.resource(NODES).create('', makeNode('n2', { cpu: '4' }));
      await eventually(async () => (await pods.get('default', 'big')).spec?.nodeName === 'n2', 'bound after the node arrived');
    } finally {
      ac.abort();
      await running;
    }
  });

  test('a failed binding forgets the assumed pod and retries', async () => {
    const { fake, bindings } = fakeWithBinding();
    let failures = 1;
    fake.prependReactor((req) => {
      if (req.subresource === 'binding' && failures-- > 0) throw new Error('connection reset');
      return undefined;
    });
    const c = fake.client;
    await c.resource(NODES).create('', makeNode('n1'));
    const pods = c.resource<Pod>(PODS);
    await pods.create('default', makePod('p'));
    const informers = new SharedInformerFactory(c);
    const s = new Scheduler(c, informers, { initialBackoffMs: 10 });
    const ac = new AbortController();
    const running = s.run(ac.signal);
    void informers.start(ac.signal);
    try {
      await eventually(async () => (await pods.get('default', 'p')).spec?.nodeName === 'n1', 'bound on retry');
      assert.equal(s.stats.bindErrors, 1);
      assert.deepEqual(bindings, ['p->n1']);
    } finally {
      ac.abort();
      await running;
    }
  });
});
