import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { EventBroadcaster, SharedInformerFactory } from '../../client/index.js';
import { FakeApi, eventually } from '../../client/testing/index.js';
import { realClock } from '../../util/clock.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../context.js';
import { desiredSubsets, newEndpointsController } from './controller.js';

const pod = (name: string, ip: string, ready: boolean, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'a' }, ...extra },
  spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const svc: Service = { metadata: { name: 's', namespace: 'default', uid: 'svc' }, spec: { selector: { app: 'a' }, ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }] } };

test('subsets: ready, not ready, terminating excluded, publishNotReadyAddresses', () => {
  const pods = [pod('b', '10.0.0.2', true), pod('a', '10.0.0.1', true), pod('c', '10.0.0.3', false), pod('d', '10.0.0.4', true, { deletionTimestamp: '2026-01-01T00:00:00Z' })];
  const ss = desiredSubsets(svc, pods);
  assert.deepEqual(ss.length, 1);
  assert.deepEqual(ss[0].addresses!.map((a) => a.ip), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(ss[0].notReadyAddresses!.map((a) => a.ip), ['10.0.0.3']);
  assert.deepEqual(ss[0].ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
  const all = desiredSubsets({ ...svc, spec: { ...svc.spec, publishNotReadyAddresses: true } }, pods);
  assert.deepEqual(all[0].addresses!.map((a) => a.ip), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
});

test('controller writes Endpoints for a selected service and deletes them with it', async () => {
  const api = new FakeApi();
  const pods = api.client.resource<Pod>({ group: '', version: 'v1', resource: 'pods', namespaced: true });
  const services = api.client.resource<Service>({ group: '', version: 'v1', resource: 'services', namespaced: true });
  const eps = { group: '', version: 'v1', resource: 'endpoints', namespaced: true };
  await pods.create('default', pod('a', '10.0.0.1', true));
  await services.create('default', svc);
  const informers = new SharedInformerFactory(api.client);
  const ac = new AbortController();
  const c = newEndpointsController({ client: api.client, informers, recorder: (component) => new EventBroadcaster(api.client).newRecorder({ component }), clock: realClock, options: DEFAULT_CONTROLLER_OPTIONS });
  const running = c.run(ac.signal);
  const inf = informers.start(ac.signal);
  try {
    await eventually(() => api.get<Endpoints>(eps, 'default', 's')?.subsets?.[0]?.addresses?.[0]?.ip === '10.0.0.1', 'endpoints');
    await services.delete('default', 's');
    await eventually(() => api.get(eps, 'default', 's') === undefined, 'endpoints deleted');
  } finally {
    ac.abort();
    await Promise.all([running, inf]);
  }
});
