import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { desiredEndpoints, planSlices } from './controller.js';

const svc: Service = { metadata: { name: 's', namespace: 'default', uid: 'svc' }, spec: { selector: { app: 'a' }, ports: [{ name: 'web', port: 80, targetPort: 8080, protocol: 'TCP' }] } };
const pod = (i: number, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}`, ...extra },
  spec: { containers: [{ name: 'c' }] },
  status: { phase: 'Running', podIP: `10.0.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
});

test('250 endpoints make three slices; terminating pods are serving but not ready', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(i));
  pods.push(pod(999, { deletionTimestamp: '2026-01-01T00:00:00Z' }));
  const desired = desiredEndpoints(svc, pods);
  const term = desired.find((d) => d.endpoint.targetRef?.name === 'p999')!;
  assert.deepEqual(term.endpoint.conditions, { ready: false, serving: true, terminating: true });
  const plan = planSlices(svc, desired, []);
  assert.deepEqual(plan.create.map((s) => s.endpoints.length), [100, 100, 51]);
  const s = plan.create[0];
  assert.equal(s.metadata!.generateName, 's-');
  assert.deepEqual(s.metadata!.labels, { 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(s.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
});

test('existing slices are kept stable and refilled; no endpoints leaves one placeholder', () => {
  const desired = desiredEndpoints(svc, [pod(1), pod(2)]);
  const [created] = planSlices(svc, desired, []).create;
  const existing: EndpointSlice = { ...created, metadata: { ...created.metadata, name: 's-abcde' } };
  const again = planSlices(svc, desiredEndpoints(svc, [pod(1), pod(2)]), [existing]);
  assert.deepEqual([again.create.length, again.update.length, again.remove.length], [0, 0, 0]);
  const shrink = planSlices(svc, desiredEndpoints(svc, [pod(2), pod(3)]), [existing]);
  assert.deepEqual(shrink.update[0].endpoints.map((e) => e.targetRef?.name), ['p2', 'p3']);
  const none = planSlices(svc, [], [existing]);
  assert.deepEqual([none.remove.length, none.create.length], [1, 1]);
  assert.deepEqual(none.create[0].endpoints, []);
});
