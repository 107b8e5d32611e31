import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { ServiceAllocator } from './serviceips.js';
import { defaultTolerationSeconds } from './defaulttolerations.js';
import type { ServedResource } from '../resources.js';
import type { KObject } from '../../api/types.js';
import { StatusError } from '../../machinery/errors.js';

const alloc = (cidr = '10.43.0.0/24', ports = '30000-30010') => new ServiceAllocator(() => undefined, { serviceCidr: cidr, nodePortRange: ports });
const svc = (spec: Service['spec'], name = 's'): Service => ({ metadata: { name, namespace: 'default' }, spec });

describe('service allocation', () => {
  test('random IPs come from above the static band and are distinct once reserved', () => {
    const a = alloc('10.43.0.0/24');
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const s = svc({ type: 'ClusterIP', ports: [{ port: 80 }] });
      const got = a.allocate(s, undefined, undefined);
      // Reserve as admission does.
      (a as unknown as { ips: { reserve(n: number): void } }).ips.reserve(got.ips[0]);
      const last = Number(s.spec!.clusterIP!.split('.')[3]);
      assert.ok(last >= 17 && last <= 254, `${s.spec!.clusterIP} in the dynamic band`);
      seen.add(s.spec!.clusterIP!);
      assert.deepEqual(s.spec!.clusterIPs, [s.spec!.clusterIP]);
    }
    assert.equal(seen.size, 50);
  });

  test('requested values: out of range, taken, node ports shared by protocol', () => {
    const a = alloc();
    assert.throws(() => a.allocate(svc({ clusterIP: '10.0.0.1' }), undefined, undefined), (e: StatusError) => e.code === 422 && /not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/24/.test(e.message));
    const first = a.allocate(svc({ clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'] }), undefined, undefined);
    (a as unknown as { ips: { reserve(n: number): void } }).ips.reserve(first.ips[0]);
    assert.throws(() => a.allocate(svc({ clusterIP: '10.43.0.10' }), undefined, undefined), /provided IP is already allocated/);
    const np = svc({ type: 'NodePort', ports: [{ name: 'a', port: 53, protocol: 'TCP' }, { name: 'b', port: 53, protocol: 'UDP' }] });
    const got = a.allocate(np, undefined, undefined);
    assert.equal(np.spec!.ports![0].nodePort, np.spec!.ports![1].nodePort);
    assert.equal(got.ports.length, 2);
    assert.throws(() => a.allocate(svc({ type: 'NodePort', ports: [{ port: 1, nodePort: 8080 }] }), undefined, undefined), /Invalid value: 8080: provided port is not in the valid range\. The range of valid ports is 30000-30010/);
    const lb = svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
    a.allocate(lb, undefined, undefined);
    assert.ok(lb.spec!.healthCheckNodePort! >= 30000 && lb.spec!.healthCheckNodePort !== lb.spec!.ports![0].nodePort);
    const headless = svc({ clusterIP: 'None' });
    assert.deepEqual(a.allocate(headless, undefined, undefined).ips, []);
    assert.deepEqual(headless.spec!.clusterIPs, ['None']);
  });
});

test('DefaultTolerationSeconds adds missing not-ready/unreachable tolerations', async () => {
  const res = { group: '', plural: 'pods' } as ServedResource;
  const pod = { metadata: {}, spec: { tolerations: [{ operator: 'Exists' }] } } as unknown as KObject;
  await defaultTolerationSeconds()('CREATE', res, pod, undefined, { user: { username: 'u', groups: [] }, dryRun: false, warnings: [] });
  assert.equal((pod.spec as { tolerations: unknown[] }).tolerations.length, 1);
  const bare = { metadata: {}, spec: {} } as unknown as KObject;
  await defaultTolerationSeconds()('CREATE', res, bare, undefined, { user: { username: 'u', groups: [] }, dryRun: false, warnings: [] });
  assert.deepEqual((bare.spec as { tolerations: { key: string; tolerationSeconds: number }[] }).tolerations.map((t) => [t.key, t.tolerationSeconds]),
    [['node.kubernetes.io/not-ready', 300], ['node.kubernetes.io/unreachable', 300]]);
});
