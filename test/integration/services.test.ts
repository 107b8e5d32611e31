// Services with the real kubectl: ClusterIPs and NodePorts allocated synchronously by the
// API server (distinct, in range, requested values honoured, duplicates rejected), and
// Endpoints/EndpointSlices kept by the controllers from pod readiness.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NodesKubelet, startCluster, until, type Cluster } from './support/nodes-kubelet.js';

describe('services', { timeout: 180_000 }, () => {
  let c: Cluster;
  let kubelet: NodesKubelet;
  before(async () => {
    c = await startCluster('services');
    kubelet = new NodesKubelet(c.client);
  });
  after(async () => { kubelet.stopAll(); await c.stop(); });

  const svcJson = async (name: string) => JSON.parse(await c.ok(['get', 'svc', name, '-o', 'json'])) as { spec: { clusterIP: string; clusterIPs: string[]; ipFamilies: string[]; ipFamilyPolicy: string; ports: { nodePort?: number }[] } };

  test('kubectl create service shows the ClusterIP at once', async () => {
    const out = await c.ok(['create', 'service', 'clusterip', 'x', '--tcp=80:8080', '-o', 'json']);
    const svc = JSON.parse(out) as { spec: { clusterIP: string; clusterIPs: string[]; ipFamilies: string[]; ipFamilyPolicy: string } };
    assert.match(svc.spec.clusterIP, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(svc.spec.clusterIPs, [svc.spec.clusterIP]);
    assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
    assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
    const table = await c.ok(['get', 'svc', 'x']);
    assert.match(table, new RegExp(`x\\s+ClusterIP\\s+${svc.spec.clusterIP.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP`));
  });

  test('200 services get distinct IPs', async () => {
    const docs = Array.from({ length: 200 }, (_, i) => `apiVersion: v1\nkind: Service\nmetadata:\n  name: many-${i}\nspec:\n  ports:\n  - port: 80\n`).join('---\n');
    await c.ok(['apply', '-f', '-'], docs);
    const list = JSON.parse(await c.ok(['get', 'svc', '-o', 'json'])) as { items: { spec: { clusterIP: string } }[] };
    const ips = list.items.map((s) => s.spec.clusterIP);
    assert.equal(list.items.length, 202);
    assert.equal(new Set(ips).size, ips.length, 'cluster IPs are distinct');
    for (const ip of ips) assert.match(ip, /^10\.43\./);
  });

  test('a requested clusterIP is honoured; taken or out-of-range ones are rejected', async () => {
    await c.ok(['create', 'service', 'clusterip', 'fixed', '--tcp=80', '--clusterip=10.43.0.50']);
    assert.equal((await svcJson('fixed')).spec.clusterIP, '10.43.0.50');
    const dup = await c.kubectl(['create', 'service', 'clusterip', 'fixed2', '--tcp=80', '--clusterip=10.43.0.50']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /spec\.clusterIPs: Invalid value: \[\]string\{"10\.43\.0\.50"\}: failed to allocate IP 10\.43\.0\.50: provided IP is already allocated/);
    const out = await c.kubectl(['create', 'service', 'clusterip', 'far', '--tcp=80', '--clusterip=10.99.0.1']);
    assert.match(out.stderr, /provided IP is not in the valid range\. The range of valid IPs is 10\.43\.0\.0\/16/);
    // Deleting frees the IP.
    await c.ok(['delete', 'svc', 'fixed']);
    await until(async () => ((await c.kubectl(['create', 'service', 'clusterip', 'fixed2', '--tcp=80', '--clusterip=10.43.0.50'])).code === 0 ? true : undefined), 'IP reuse after delete');
  });

  test('NodePorts are allocated; a duplicate is rejected; headless gets None', async () => {
    await c.ok(['create', 'service', 'nodeport', 'np', '--tcp=80:8080']);
    const np = (await svcJson('np')).spec.ports[0].nodePort!;
    assert.ok(np >= 30000 && np <= 32767, `nodePort ${np} in range`);
    await c.ok(['create', 'service', 'nodeport', 'np2', '--tcp=81', '--node-port=31234']);
    assert.equal((await svcJson('np2')).spec.ports[0].nodePort, 31234);
    const dup = await c.kubectl(['create', 'service', 'nodeport', 'np3', '--tcp=82', '--node-port=31234']);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 31234: provided port is already allocated/);
    const bad = await c.kubectl(['create', 'service', 'nodeport', 'np4', '--tcp=82', '--node-port=8080']);
    assert.match(bad.stderr, /provided port is not in the valid range\. The range of valid ports is 30000-32767/);
    await c.ok(['create', 'service', 'clusterip', 'hl', '--clusterip=None']);
    assert.deepEqual((await svcJson('hl')).spec.clusterIPs, ['None']);
  });

  test('Endpoints and EndpointSlices follow ready and not-ready pods', async () => {
    await kubelet.addNode('n1');
    await kubelet.addPod('default', 'web-1', { labels: { app: 'web' }, node: 'n1', ip: '10.42.0.11', ready: true, ports: [{ name: 'http', containerPort: 8080 }] });
    await kubelet.addPod('default', 'web-2', { labels: { app: 'web' }, node: 'n1', ip: '10.42.0.12', ready: false, ports: [{ name: 'http', containerPort: 8080 }] });
    await kubelet.addPod('default', 'other', { labels: { app: 'other' }, node: 'n1', ip: '10.42.0.13', ready: true });
    await c.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n');
    type Ep = { metadata: { annotations?: Record<string, string> }; subsets?: { addresses?: { ip: string; nodeName?: string; targetRef?: { name: string } }[]; notReadyAddresses?: { ip: string }[]; ports?: { name?: string; port: number }[] }[] };
    const ep = await until(async () => {
      const r = await c.kubectl(['get', 'endpoints', 'web', '-o', 'json']);
      if (r.code) return undefined;
      const e = JSON.parse(r.stdout) as Ep;
      return e.subsets?.[0]?.notReadyAddresses ? e : undefined;
    }, 'endpoints for web');
    assert.deepEqual(ep.subsets!.length, 1);
    const ss = ep.subsets![0];
    assert.deepEqual(ss.addresses!.map((a) => [a.ip, a.nodeName, a.targetRef?.name]), [['10.42.0.11', 'n1', 'web-1']]);
    assert.deepEqual(ss.notReadyAddresses!.map((a) => a.ip), ['10.42.0.12']);
    assert.deepEqual(ss.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    assert.ok(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']);
    assert.match(await c.ok(['get', 'endpoints', 'web']), /10\.42\.0\.11:8080/);

    type Slice = { metadata: { name: string; labels: Record<string, string>; ownerReferences: { kind: string; name: string }[] }; addressType: string; endpoints: { addresses: string[]; conditions: { ready: boolean; serving: boolean; terminating: boolean } }[]; ports: { name: string; port: number }[] };
    const slices = await until(async () => {
      const l = JSON.parse(await c.ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])) as { items: Slice[] };
      return l.items.length === 1 && l.items[0].endpoints?.length === 2 ? l.items : undefined;
    }, 'endpoint slices for web');
    const s = slices[0];
    assert.match(s.metadata.name, /^web-[a-z0-9]{5}$/);
    assert.equal(s.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.deepEqual(s.metadata.ownerReferences.map((o) => [o.kind, o.name]), [['Service', 'web']]);
    assert.equal(s.addressType, 'IPv4');
    assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byIp = Object.fromEntries(s.endpoints.map((e) => [e.addresses[0], e.conditions]));
    assert.deepEqual(byIp['10.42.0.11'], { ready: true, serving: true, terminating: false });
    assert.deepEqual(byIp['10.42.0.12'], { ready: false, serving: false, terminating: false });

    // The second pod turns ready: both addresses are ready.
    await kubelet.setStatus('default', 'web-2', '10.42.0.12', true);
    await until(async () => {
      const e = JSON.parse(await c.ok(['get', 'endpoints', 'web', '-o', 'json'])) as Ep;
      return e.subsets?.[0]?.addresses?.length === 2 && !e.subsets[0].notReadyAddresses ? true : undefined;
    }, 'both addresses ready');
    // Deleting the service removes its Endpoints.
    await c.ok(['delete', 'svc', 'web']);
    await until(async () => ((await c.kubectl(['get', 'endpoints', 'web'])).code !== 0 ? true : undefined), 'endpoints deleted');
  });
});
