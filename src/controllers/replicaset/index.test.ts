import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../client/index.js';
import { eventually } from '../../client/testing/index.js';
import { errors } from '../../machinery/errors.js';
import { runController } from '../testing.js';
import { deletionOrder, replicaSetController, slowStartBatch } from './index.js';

const RS = { group: 'apps', version: 'v1', resource: 'replicasets', namespaced: true };
const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
type R = ReplicaSet & KubeObject;
type P = Pod & KubeObject;

function setup() {
  const { api, events, stop } = runController(replicaSetController, { workers: 2 });
  const rs = (replicas: number) => api.client.resource<R>(RS).create('default', {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web' },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  });
  const pods = () => api.list<P>(PODS, 'default');
  return { api, events, rs, pods, stop };
}

describe('replicaset controller', () => {
  test('creates pods from the template with a controller reference and reports status', async () => {
    const s = setup();
    try {
      const rs = await s.rs(3);
      await eventually(() => s.pods().length === 3, '3 pods');
      for (const p of s.pods()) {
        assert.equal(p.metadata?.generateName, 'web-');
        assert.deepEqual(p.metadata?.labels, { app: 'web' });
        assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
      }
      await eventually(() => s.api.get<R>(RS, 'default', 'web')?.status?.replicas === 3, 'status.replicas');
      assert.equal(s.api.get<R>(RS, 'default', 'web')?.status?.observedGeneration, rs.metadata?.generation);
      assert.equal(s.events.filter((e) => e.startsWith('SuccessfulCreate: Created pod: web-')).length, 3);
    } finally { await s.stop(); }
  });

  test('a failing create stops the batch early and sets ReplicaFailure', async () => {
    const s = setup();
    let creates = 0;
    s.api.prependReactor((req) => {
      if (req.verb === 'create' && req.resource === 'pods') { creates++; throw errors.forbidden('pods "web-x" is forbidden: exceeded quota: q'); }
      return undefined;
    });
    try {
      await s.rs(10);
      await eventually(() => s.api.get<R>(RS, 'default', 'web')?.status?.conditions?.[0]?.type === 'ReplicaFailure', 'ReplicaFailure');
      const cond = s.api.get<R>(RS, 'default', 'web')!.status!.conditions![0];
      assert.equal(cond.reason, 'FailedCreate');
      assert.match(cond.message ?? '', /exceeded quota/);
      assert.ok(creates >= 1 && creates < 10, `slow start: ${creates} attempts`);
      assert.ok(s.events.some((e) => e.startsWith('FailedCreate: Error creating: pods "web-x" is forbidden')));
    } finally { await s.stop(); }
  });

  test('scaling down deletes pods that are not ready first', async () => {
    const s = setup();
    try {
      await s.rs(3);
      await eventually(() => s.pods().length === 3, '3 pods');
      const [keep1, keep2, notReady] = s.pods();
      for (const p of [keep1, keep2]) {
        await s.api.client.resource<P>(PODS).patch('default', p.metadata!.name!, 'merge', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
      }
      await s.api.client.resource<R>(RS).patch('default', 'web', 'merge', { spec: { replicas: 2 } });
      await eventually(() => s.pods().length === 2, '2 pods');
      assert.ok(!s.pods().some((p) => p.metadata?.name === notReady.metadata?.name));
      assert.ok(s.events.includes(`SuccessfulDelete: Deleted pod: ${notReady.metadata?.name}`));
    } finally { await s.stop(); }
  });
});

describe('helpers', () => {
  test('slow start batches 1, 2, 4, … and stops at the first failing batch', async () => {
    let calls = 0;
    const r = await slowStartBatch(10, async () => { calls++; if (calls > 3) throw new Error('no'); });
    assert.equal(r.ok, 3);
    assert.equal(calls, 7);
    assert.equal((await slowStartBatch(5, async () => undefined)).ok, 5);
  });

  test('deletion order: unscheduled, pending, not ready, doubled-up, recently ready, restarts, newest', () => {
    const p = (name: string, o: { node?: string; phase?: string; ready?: boolean; created?: string; restarts?: number } = {}): Pod => ({
      metadata: { name, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z' },
      spec: { nodeName: o.node, containers: [] },
      status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }], containerStatuses: [{ name: 'c', image: '', imageID: '', ready: true, restartCount: o.restarts ?? 0 }] },
    });
    const pods = [
      p('old', { node: 'n1' }), p('new', { node: 'n1', created: '2026-01-02T00:00:00Z' }), p('restarts', { node: 'n1', restarts: 3 }),
      p('notready', { node: 'n1', ready: false }), p('pending', { node: 'n1', phase: 'Pending' }), p('unscheduled'),
    ];
    assert.deepEqual(pods.sort(deletionOrder(() => 0)).map((x) => x.metadata?.name), ['unscheduled', 'pending', 'notready', 'restarts', 'new', 'old']);
  });
});
