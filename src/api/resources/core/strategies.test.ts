import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceStrategy } from '../../types.js';
import { coreResources } from './index.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MIN = 60_000;
const byKind = (kind: string): ResourceStrategy => {
  const s = coreResources.find((r) => r.kind === kind);
  assert.ok(s, kind);
  return s;
};
const obj = (o: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject =>
  ({ metadata: { name: 'x', namespace: 'default', creationTimestamp: ago(10 * MIN), ...meta }, ...o }) as KObject;
const msgs = (errs: { field: string; message: string }[] = []) => errs.map((e) => `${e.field}: ${e.message}`);
const create = (kind: string, o: KObject): KObject => {
  const s = byKind(kind);
  s.defaults?.(o);
  s.prepareForCreate?.(o);
  return o;
};
const row = (kind: string, o: KObject) => {
  const s = byKind(kind);
  const cells = s.row!(o, { now: NOW });
  assert.equal(cells.length, s.columns!.length, 'one cell per column');
  return cells;
};

describe('discovery data', () => {
  test('sorted by plural, pods before services', () => {
    const plurals = coreResources.map((r) => r.plural);
    assert.deepEqual(plurals, [...plurals].sort());
    assert.deepEqual(coreResources.filter((r) => r.categories?.includes('all')).map((r) => r.plural), ['pods', 'services']);
  });
  test('short names', () => {
    const short = Object.fromEntries(coreResources.map((r) => [r.plural, r.shortNames?.join(',') ?? '']));
    assert.deepEqual(short, {
      configmaps: 'cm', endpoints: 'ep', events: 'ev', limitranges: 'limits', namespaces: 'ns', nodes: 'no',
      persistentvolumeclaims: 'pvc', persistentvolumes: 'pv', pods: 'po', podtemplates: '', resourcequotas: 'quota',
      secrets: '', serviceaccounts: 'sa', services: 'svc',
    });
  });
});

describe('pods', () => {
  const pod = () => obj({ spec: { containers: [{ name: 'web', image: 'nginx:1.27', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } });

  test('create defaults, admission stand-ins and status', () => {
    const p = create('Pod', pod());
    const spec = p.spec as Record<string, any>;
    assert.equal(spec.serviceAccountName, undefined, 'the ServiceAccount admission plugin sets it, not defaulting');
    assert.equal(spec.enableServiceLinks, true);
    assert.equal(spec.priority, undefined, 'the Priority admission plugin sets it, not defaulting');
    assert.deepEqual(spec.containers[0].resources.requests, { cpu: '1', memory: '1Gi' });
    assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'Guaranteed' });
    assert.deepEqual(msgs(byKind('Pod').validate!(p)), []);
  });

  test('update may change images only', () => {
    const old = create('Pod', pod());
    const ok = structuredClone(old);
    (ok.spec as any).containers[0].image = 'nginx:1.28';
    assert.deepEqual(msgs(byKind('Pod').validateUpdate!(ok, old)), []);
    const bad = structuredClone(old);
    (bad.spec as any).containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
    const errs = byKind('Pod').validateUpdate!(bad, old);
    assert.equal(errs.length, 1);
    assert.equal(errs[0].field, 'spec');
    assert.ok(errs[0].message.startsWith('Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n'));
  });

  const running = (restarts: number, finishedAgo?: number) => obj({
    spec: { nodeName: 'n1', containers: [{ name: 'web' }] },
    status: {
      phase: 'Running', podIPs: [{ ip: '10.42.0.5' }],
      containerStatuses: [{
        name: 'web', ready: true, restartCount: restarts, state: { running: { startedAt: ago(MIN) } },
        ...(finishedAgo ? { lastState: { terminated: { exitCode: 1, finishedAt: ago(finishedAgo) } } } : {}),
      }],
    },
  });
  const rows: [string, KObject, unknown[]][] = [
    ['running, 1 restart 5m ago', running(1, 5 * MIN), ['1/1', 'Running', '1 (5m ago)', '10m', '10.42.0.5', 'n1', '<none>', '<none>']],
    ['no restarts', running(0), ['1/1', 'Running', '0', '10m', '10.42.0.5', 'n1', '<none>', '<none>']],
    ['pending unscheduled', obj({ spec: { containers: [{ name: 'a' }], readinessGates: [{ conditionType: 'x' }] }, status: { phase: 'Pending' } }), ['0/1', 'Pending', '0', '10m', '<none>', '<none>', '<none>', '0/1']],
  ];
  for (const [name, p, want] of rows) test(`row: ${name}`, () => assert.deepEqual(row('Pod', p), want));

  test('field selectors', () => {
    const f = byKind('Pod').fieldSelectors!;
    const p = running(0);
    assert.deepEqual([f['spec.nodeName'](p), f['status.phase'](p), f['status.podIP'](p), f['spec.hostNetwork'](p)], ['n1', 'Running', '10.42.0.5', 'false']);
  });
});

describe('services', () => {
  test('defaults', () => {
    const s = create('Service', obj({ spec: { clusterIP: '10.43.0.20', ports: [{ port: 80 }] } }));
    assert.deepEqual(s.spec, {
      clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
    });
    const np = create('Service', obj({ spec: { type: 'NodePort', ports: [{ port: 80 }] } }));
    assert.equal((np.spec as any).externalTrafficPolicy, 'Cluster');
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['ports required', { type: 'ClusterIP', sessionAffinity: 'None' }, ['spec.ports: Required value']],
    ['headless needs no ports', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], sessionAffinity: 'None' }, []],
    ['names required with 2 ports', { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP' }] }, ['spec.ports[0].name: Required value']],
    ['bad type', { type: 'Magic', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }] }, ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ['port range', { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 0, protocol: 'TCP' }] }, ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']],
  ];
  for (const [name, spec, want] of cases) test(`validate: ${name}`, () => assert.deepEqual(msgs(byKind('Service').validate!(obj({ spec }))), want));

  test('clusterIP may not change; an omitted one is kept', () => {
    const old = create('Service', obj({ spec: { clusterIP: '10.43.0.20', ports: [{ port: 80 }] } }));
    const changed = create('Service', obj({ spec: { clusterIP: '10.43.0.21', ports: [{ port: 80 }] } }));
    assert.deepEqual(msgs(byKind('Service').validateUpdate!(changed, old)), ['spec.clusterIPs[0]: Invalid value: ["10.43.0.21"]: may not change once set']);
    const reapplied = obj({ spec: { ports: [{ port: 80 }] } });
    byKind('Service').prepareForUpdate!(reapplied, old);
    byKind('Service').defaults!(reapplied);
    assert.deepEqual(msgs(byKind('Service').validateUpdate!(reapplied, old)), []);
    assert.equal((reapplied.spec as any).clusterIP, '10.43.0.20');
  });

  test('rows', () => {
    const s = create('Service', obj({ spec: { type: 'NodePort', clusterIP: '10.43.0.20', selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080 }, { port: 53, protocol: 'UDP' }] } }));
    assert.deepEqual(row('Service', s), ['NodePort', '10.43.0.20', '<none>', '80:30080/TCP,53/UDP', '10m', 'app=web']);
    const lb = create('Service', obj({ spec: { type: 'LoadBalancer', clusterIP: '10.43.0.9', ports: [{ port: 443 }] } }));
    assert.equal(row('Service', lb)[2], '<pending>');
  });

  test('endpoints row', () => {
    const ep = obj({ subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }] });
    assert.deepEqual(row('Endpoints', ep), ['10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...', '10m']);
    assert.deepEqual(row('Endpoints', obj({})), ['<none>', '10m']);
  });
});

describe('config', () => {
  test('secret stringData is base64-merged into data and dropped', () => {
    const s = obj({ data: { a: 'eA==' }, stringData: { b: 'héllo', a: 'y' } });
    byKind('Secret').defaults!(s);
    assert.deepEqual([s.type, s.data, s.stringData], ['Opaque', { a: 'eQ==', b: 'aMOpbGxv' }, undefined]);
    assert.deepEqual(row('Secret', s), ['Opaque', 2, '10m']);
  });

  const secretCases: [string, Record<string, unknown>, string[]][] = [
    ['bad base64', { type: 'Opaque', data: { a: 'not base64!' } }, ['data[a]: Invalid value: "<secret contents redacted>": illegal base64 data']],
    ['tls keys', { type: 'kubernetes.io/tls', data: {} }, ['data[tls.crt]: Required value', 'data[tls.key]: Required value']],
    ['dockerconfigjson must be JSON', { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': 'e30=' } }, []],
    ['sa token needs annotation', { type: 'kubernetes.io/service-account-token', data: {} }, ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
  ];
  for (const [name, o, want] of secretCases) test(`secret: ${name}`, () => assert.deepEqual(msgs(byKind('Secret').validate!(obj(o))), want));

  test('secret type is immutable', () => {
    const errs = byKind('Secret').validateUpdate!(obj({ type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } }), obj({ type: 'Opaque' }));
    assert.deepEqual(msgs(errs), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
  });

  test('configmap keys and immutability', () => {
    const cm = byKind('ConfigMap');
    assert.match(msgs(cm.validate!(obj({ data: { 'a b': 'x' } })))[0], /^data\[a b\]: Invalid value: "a b": a valid config key must consist of alphanumeric characters, '-', '_' or '\.'/);
    const old = obj({ immutable: true, data: { a: '1' } });
    assert.deepEqual(msgs(cm.validateUpdate!(obj({ immutable: true, data: { a: '2' } }), old)), ['data: Forbidden: field is immutable when `immutable` is set']);
    assert.deepEqual(row('ConfigMap', obj({ data: { a: '1' }, binaryData: { b: 'AA==' } })), [2, '10m']);
  });
});

describe('cluster', () => {
  test('namespace create', () => {
    const ns = create('Namespace', obj({}, { name: 'team', namespace: undefined }));
    assert.deepEqual([ns.metadata.labels, ns.spec, ns.status], [{ 'kubernetes.io/metadata.name': 'team' }, { finalizers: ['kubernetes'] }, { phase: 'Active' }]);
    assert.deepEqual(row('Namespace', ns), ['Active', '10m']);
  });

  const node = (ready: string | undefined, unschedulable = false, labels: Record<string, string> = {}) => obj({
    spec: { unschedulable },
    status: {
      conditions: ready ? [{ type: 'Ready', status: ready }] : [],
      addresses: [{ type: 'InternalIP', address: '172.18.0.2' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian', kernelVersion: '6.1', containerRuntimeVersion: 'kite://0.1' },
    },
  }, { namespace: undefined, labels });
  const nodeRows: [string, KObject, string, string][] = [
    ['ready control plane', node('True', false, { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master' }), 'Ready', 'control-plane,master'],
    ['cordoned', node('True', true), 'Ready,SchedulingDisabled', '<none>'],
    ['not ready', node('Unknown'), 'NotReady', '<none>'],
    ['no condition', node(undefined), 'Unknown', '<none>'],
  ];
  for (const [name, n, status, roles] of nodeRows) {
    test(`node row: ${name}`, () => assert.deepEqual(row('Node', n), [status, roles, '10m', 'v1.32.0', '172.18.0.2', '<none>', 'Debian', '6.1', 'kite://0.1']));
  }

  test('event row', () => {
    const ev = obj({
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled', type: 'Normal', message: ' pulled \n', count: 3,
      firstTimestamp: ago(10 * MIN), lastTimestamp: ago(2 * MIN), source: { component: 'kubelet', host: 'n1' },
    }, { name: 'web.17' });
    assert.deepEqual(row('Event', ev), ['2m', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'pulled', '10m', 3, 'web.17']);
    assert.equal(byKind('Event').columns!.find((c) => c.format === 'name')?.priority, 1);
    assert.deepEqual(msgs(byKind('Event').validate!(obj({ involvedObject: { namespace: 'other' } }))), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  });
});

describe('storage and policy', () => {
  test('pv defaults and row', () => {
    const pv = create('PersistentVolume', obj({ spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], hostPath: { path: '/d' }, claimRef: { namespace: 'default', name: 'c' } } }, { namespace: undefined }));
    assert.deepEqual(msgs(byKind('PersistentVolume').validate!(pv)), []);
    assert.deepEqual(row('PersistentVolume', pv), ['1Gi', 'RWO,ROX', 'Retain', 'Pending', 'default/c', '', '<unset>', '', '10m', 'Filesystem']);
  });

  test('pvc validation, update and row', () => {
    const pvc = byKind('PersistentVolumeClaim');
    assert.deepEqual(msgs(pvc.validate!(obj({ spec: {} }))), ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']);
    const old = create('PersistentVolumeClaim', obj({ spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }));
    const bound = structuredClone(old);
    (bound.spec as any).volumeName = 'pv1';
    (bound.spec as any).resources.requests.storage = '2Gi';
    assert.deepEqual(msgs(pvc.validateUpdate!(bound, old)), []);
    const changed = structuredClone(old);
    (changed.spec as any).accessModes = ['ReadWriteMany'];
    assert.deepEqual(msgs(pvc.validateUpdate!(changed, old)), ['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
    assert.deepEqual(row('PersistentVolumeClaim', old), ['Pending', '', '', '', '', '<unset>', '10m', 'Filesystem']);
  });

  test('limit range defaults and quota row', () => {
    const lr = obj({ spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { memory: '1Mi' } }] } });
    byKind('LimitRange').defaults!(lr);
    assert.deepEqual((lr.spec as any).limits[0].default, { cpu: '2' });
    assert.deepEqual((lr.spec as any).limits[0].defaultRequest, { cpu: '2', memory: '1Mi' });
    const q = obj({ status: { hard: { 'requests.cpu': '1', pods: '10', 'limits.memory': '1Gi' }, used: { pods: '3' } } });
    assert.deepEqual(row('ResourceQuota', q), ['pods: 3/10, requests.cpu: 0/1', 'limits.memory: 0/1Gi', '10m']);
  });

  test('pod template', () => {
    const t = obj({ template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }] } } });
    byKind('PodTemplate').defaults!(t);
    assert.deepEqual(msgs(byKind('PodTemplate').validate!(t)), []);
    assert.deepEqual(row('PodTemplate', t), ['a,b', 'nginx,busybox', 'app=a']);
  });
});
