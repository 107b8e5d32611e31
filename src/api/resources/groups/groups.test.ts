import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, ResourceStrategy } from '../../types.js';
import { groupResources } from './index.js';

const NOW = Date.parse('2024-01-01T01:00:00Z');
const find = (group: string, kind: string): ResourceStrategy => groupResources.find((s) => s.group === group && s.kind === kind)!;
const obj = (fields: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject =>
  ({ metadata: { name: 'x', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', ...meta }, ...fields });
const messages = (errs: { field: string; message: string }[] | undefined) => (errs ?? []).map((e) => `${e.field}: ${e.message}`);

describe('groupResources', () => {
  test('groups in discovery order, resources alphabetical within a group', () => {
    const groups = [...new Set(groupResources.map((s) => s.group))];
    assert.deepEqual(groups, ['apps', 'events.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy',
      'rbac.authorization.k8s.io', 'storage.k8s.io', 'scheduling.k8s.io', 'coordination.k8s.io', 'apiextensions.k8s.io', 'node.k8s.io', 'discovery.k8s.io']);
    for (const g of groups) {
      const plurals = groupResources.filter((s) => s.group === g).map((s) => s.plural);
      assert.deepEqual(plurals, [...plurals].sort(), g);
    }
  });

  test('category all', () => {
    assert.deepEqual(groupResources.filter((s) => s.categories?.includes('all')).map((s) => s.plural).sort(),
      ['cronjobs', 'daemonsets', 'deployments', 'horizontalpodautoscalers', 'jobs', 'replicasets', 'statefulsets']);
  });

  test('short names', () => {
    const short = Object.fromEntries(groupResources.filter((s) => s.shortNames).map((s) => [s.plural, s.shortNames!.join(',')]));
    assert.deepEqual(short, {
      daemonsets: 'ds', deployments: 'deploy', replicasets: 'rs', statefulsets: 'sts', events: 'ev', horizontalpodautoscalers: 'hpa',
      cronjobs: 'cj', certificatesigningrequests: 'csr', ingresses: 'ing', networkpolicies: 'netpol', poddisruptionbudgets: 'pdb',
      storageclasses: 'sc', priorityclasses: 'pc', customresourcedefinitions: 'crd,crds',
    });
  });

  test('every row has one cell per column, even for an empty object', () => {
    for (const s of groupResources) {
      const o = obj({});
      s.defaults?.(o);
      assert.equal(s.row!(o, { now: NOW }).length, s.columns!.length, s.kind);
    }
  });
});

describe('other kinds', () => {
  test('HorizontalPodAutoscaler defaults and row', () => {
    const s = find('autoscaling', 'HorizontalPodAutoscaler');
    const o = obj({ spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, maxReplicas: 5, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } } });
    s.defaults!(o);
    const spec = o.spec as Record<string, any>;
    assert.equal(spec.minReplicas, 1);
    assert.deepEqual(spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.deepEqual(spec.behavior.scaleDown, { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.equal(spec.behavior.scaleUp.policies.length, 2);
    o.status = { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 42 } } }] };
    assert.deepEqual(s.row!(o, { now: NOW }), ['Deployment/web', 'cpu: 42%/80%', '1', 5, 2, '60m']);
    assert.deepEqual(messages(s.validate!(obj({ spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, minReplicas: 3, maxReplicas: 2 } }))),
      ['spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`']);
  });

  test('PodDisruptionBudget', () => {
    const s = find('policy', 'PodDisruptionBudget');
    assert.deepEqual(messages(s.validate!(obj({ spec: { minAvailable: 1, maxUnavailable: '10%' } }))),
      ['spec: Invalid value: {"minAvailable":1,"maxUnavailable":"10%"}: minAvailable and maxUnavailable cannot be both set']);
    assert.deepEqual(s.row!(obj({ spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }), { now: NOW }), ['50%', 'N/A', 1, '60m']);
  });

  test('Ingress', () => {
    const s = find('networking.k8s.io', 'Ingress');
    const backend = { service: { name: 'web', port: { number: 80 } } };
    const ing = obj({ spec: { ingressClassName: 'nginx', rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }], tls: [{ hosts: ['a.example.com'] }] },
      status: { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }] } } });
    assert.deepEqual(messages(s.validate!(ing)), []);
    assert.deepEqual(s.row!(ing, { now: NOW }), ['nginx', 'a.example.com', '10.0.0.2,lb.example.com', '80, 443', '60m']);
    assert.deepEqual(messages(s.validate!(obj({ spec: { rules: [{ host: '10.0.0.1', http: { paths: [{ path: 'x', backend: {} }] } }] } }))), [
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
    ]);
    assert.deepEqual(messages(s.validate!(obj({ spec: {} }))), ['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']);
  });

  test('NetworkPolicy defaults', () => {
    const s = find('networking.k8s.io', 'NetworkPolicy');
    const np = obj({ spec: { podSelector: { matchLabels: { app: 'db' } }, egress: [{ ports: [{ port: 53 }] }] } });
    s.defaults!(np);
    assert.deepEqual((np.spec as any).policyTypes, ['Ingress', 'Egress']);
    assert.equal((np.spec as any).egress[0].ports[0].protocol, 'TCP');
    assert.deepEqual(s.row!(np, { now: NOW }), ['app=db', '60m']);
  });

  test('EndpointSlice', () => {
    const s = find('discovery.k8s.io', 'EndpointSlice');
    assert.deepEqual(messages(s.validate!(obj({ endpoints: [{ addresses: [] }] }))), ['addressType: Required value', 'endpoints[0].addresses: Required value: must contain at least 1 address']);
    const es = obj({ addressType: 'IPv4', ports: [{ name: 'http', port: 80 }, { name: 'https' }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3'] }, { addresses: ['10.0.0.4'] }] });
    s.defaults!(es);
    assert.deepEqual(messages(s.validate!(es)), []);
    assert.deepEqual(s.row!(es, { now: NOW }), ['IPv4', '80,https', '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', '60m']);
    assert.deepEqual(messages(s.validateUpdate!({ ...es, addressType: 'IPv6', endpoints: [] }, es)), ['addressType: Invalid value: "IPv6": field is immutable']);
  });

  test('RBAC bindings', () => {
    const s = find('rbac.authorization.k8s.io', 'RoleBinding');
    const rb = obj({ roleRef: { kind: 'Role', name: 'reader' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'default', namespace: 'ns' }, { kind: 'Group', name: 'devs' }] });
    s.defaults!(rb);
    assert.deepEqual(messages(s.validate!(rb)), []);
    assert.deepEqual(s.row!(rb, { now: NOW }), ['Role/reader', '60m', 'alice', 'devs', 'ns/default']);
    const changed = structuredClone(rb);
    (changed.roleRef as any).name = 'admin';
    assert.deepEqual(s.validateUpdate!(changed, rb).map((e) => [e.field, e.message.endsWith('cannot change roleRef')]), [['roleRef', true]]);
    const crb = find('rbac.authorization.k8s.io', 'ClusterRoleBinding');
    assert.deepEqual(messages(crb.validate!(obj({ roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }))), [
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
    const role = find('rbac.authorization.k8s.io', 'Role');
    assert.deepEqual(messages(role.validate!(obj({ rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }] }))),
      ['rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs']);
    assert.deepEqual(role.row!(obj({}), { now: NOW }), ['2024-01-01T00:00:00Z']);
  });

  test('StorageClass', () => {
    const s = find('storage.k8s.io', 'StorageClass');
    const sc = obj({ provisioner: 'rancher.io/local-path', parameters: { a: '1' } });
    s.defaults!(sc);
    assert.deepEqual([sc.reclaimPolicy, sc.volumeBindingMode], ['Delete', 'Immediate']);
    assert.deepEqual(messages(s.validate!(obj({ volumeBindingMode: 'Immediate' }))), ['provisioner: Required value']);
    assert.deepEqual(messages(s.validateUpdate!({ ...sc, parameters: { a: '2' } }, sc)), ['parameters: Forbidden: updates to parameters are forbidden.']);
    assert.deepEqual(s.row!(sc, { now: NOW }), ['rancher.io/local-path', 'Delete', 'Immediate', false, '60m']);
  });

  test('PriorityClass', () => {
    const s = find('scheduling.k8s.io', 'PriorityClass');
    const pc = obj({ value: 1000 });
    s.defaults!(pc);
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
    assert.deepEqual(messages(s.validateUpdate!({ ...pc, value: 2000 }, pc)), ['value: Forbidden: may not be changed in an update.']);
    assert.deepEqual(messages(s.validate!(obj({ value: 2_000_000_000 }))), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
    assert.deepEqual(s.row!(pc, { now: NOW }), [1000, false, '60m', 'PreemptLowerPriority']);
  });

  test('CertificateSigningRequest', () => {
    const s = find('certificates.k8s.io', 'CertificateSigningRequest');
    const request = btoa('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n');
    const csr = obj({ spec: { request, signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], username: 'alice', expirationSeconds: 86400 } });
    assert.deepEqual(messages(s.validate!(csr)), []);
    assert.deepEqual(messages(s.validate!(obj({ spec: { request: btoa('junk'), usages: ['client auth'] } }))), [
      `spec.request: Invalid value: "${btoa('junk')}": PEM block type must be CERTIFICATE REQUEST`,
      'spec.signerName: Required value',
    ]);
    csr.status = { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'Y2VydA==' };
    assert.deepEqual(s.row!(csr, { now: NOW }), ['60m', 'kubernetes.io/kube-apiserver-client', 'alice', '24h', 'Approved,Issued']);
  });

  test('CustomResourceDefinition', () => {
    const s = find('apiextensions.k8s.io', 'CustomResourceDefinition');
    const schema = { openAPIV3Schema: { type: 'object' } };
    const crd = obj({ spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema }, { name: 'v1beta1', served: true, storage: false, schema }] } }, { name: 'widgets.example.com', namespace: undefined });
    s.defaults!(crd);
    s.prepareForCreate!(crd);
    assert.deepEqual(messages(s.validate!(crd)), []);
    assert.deepEqual((crd.spec as any).names, { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' });
    assert.deepEqual((crd.status as any).storedVersions, ['v1']);
    const bad = structuredClone(crd);
    bad.metadata.name = 'gadgets.example.com';
    (bad.spec as any).versions[1].storage = true;
    assert.deepEqual(s.validate!(bad).map((e) => `${e.field}: ${e.message.replace(/Invalid value: .*: /, '')}`), [
      'metadata.name: must be spec.names.plural+"."+spec.group',
      'spec.versions: must have exactly one version marked as storage version',
    ]);
    assert.deepEqual(s.columns!.map((c) => [c.name, c.type]), [['Created At', 'date']]);
  });

  test('events.k8s.io Event row', () => {
    const s = find('events.k8s.io', 'Event');
    const ev = obj({ eventTime: '2024-01-01T00:30:00.000000Z', type: 'Normal', reason: 'Scheduled', note: 'assigned ', action: 'Binding',
      reportingController: 'default-scheduler', reportingInstance: 'sched-1', regarding: { kind: 'Pod', name: 'web', namespace: 'default' } });
    assert.deepEqual(messages(s.validate!(ev)), []);
    assert.deepEqual(s.row!(ev, { now: NOW }), ['30m', 'Normal', 'Scheduled', 'pod/web', '', 'default-scheduler, sched-1', 'assigned', '30m', 1, 'x']);
    assert.equal(s.fieldSelectors!['regarding.name'](ev), 'web');
  });

  test('Lease and RuntimeClass', () => {
    const lease = find('coordination.k8s.io', 'Lease');
    assert.deepEqual(messages(lease.validate!(obj({ spec: { leaseDurationSeconds: 0 } }))), ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
    assert.deepEqual(lease.row!(obj({ spec: { holderIdentity: 'node-1' } }), { now: NOW }), ['node-1', '60m']);
    const rc = find('node.k8s.io', 'RuntimeClass');
    assert.deepEqual(messages(rc.validateUpdate!(obj({ handler: 'kata' }), obj({ handler: 'runc' }))), ['handler: Invalid value: "kata": field is immutable']);
  });
});
