import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node } from 'kubernetes-types/core/v1.js';
import { desiredTaints } from './controller.js';

const node = (ready: string, extra: Partial<NonNullable<Node['spec']>> = {}): Node => ({ metadata: { name: 'n' }, spec: extra, status: { conditions: [{ type: 'Ready', status: ready }] } });

test('taints follow Ready and spec.unschedulable; user taints stay; timeAdded is kept', () => {
  assert.deepEqual(desiredTaints(node('True'), 'T'), []);
  assert.deepEqual(desiredTaints(node('Unknown'), 'T'), [
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: 'T' }]);
  const tainted = node('False', { unschedulable: true, taints: [{ key: 'user', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: 'EARLIER' }] });
  assert.deepEqual(desiredTaints(tainted, 'T'), [
    { key: 'user', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: 'EARLIER' }]);
  assert.deepEqual(desiredTaints({ ...tainted, status: { conditions: [{ type: 'Ready', status: 'True' }] }, spec: { taints: tainted.spec!.taints } }, 'T'), [{ key: 'user', effect: 'NoSchedule' }]);
});
