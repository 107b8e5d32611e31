import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultPodSpec, defaultPullPolicy, podSummary, validatePodSpec, validatePodTemplateSpec } from './podspec.js';

const msgs = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);
const ctr = (extra: Record<string, unknown> = {}) => ({ name: 'c', image: 'nginx', imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File', ...extra });
const spec = (extra: Record<string, unknown> = {}) => ({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [ctr()], ...extra });

describe('defaultPodSpec', () => {
  test('fills upstream defaults', () => {
    const s: Record<string, unknown> = { containers: [{ name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }], volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 'x' } }] };
    defaultPodSpec(s);
    assert.equal(s.restartPolicy, 'Always');
    assert.equal(s.dnsPolicy, 'ClusterFirst');
    assert.equal(s.terminationGracePeriodSeconds, 30);
    assert.equal(s.schedulerName, 'default-scheduler');
    assert.deepEqual(s.securityContext, {});
    const c = (s.containers as Record<string, any>[])[0];
    assert.equal(c.imagePullPolicy, 'Always');
    assert.equal(c.terminationMessagePath, '/dev/termination-log');
    assert.equal(c.terminationMessagePolicy, 'File');
    assert.equal(c.ports[0].protocol, 'TCP');
    assert.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    const vols = s.volumes as Record<string, any>[];
    assert.deepEqual(vols[0].emptyDir, {});
    assert.equal(vols[1].secret.defaultMode, 420);
  });

  for (const [image, policy] of [
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'], ['localhost:5000/app:v1', 'IfNotPresent'], ['nginx@sha256:abc', 'IfNotPresent'],
  ] as const) {
    test(`pull policy for ${image} is ${policy}`, () => assert.equal(defaultPullPolicy(image), policy));
  }
});

describe('validatePodSpec', () => {
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['valid', spec(), []],
    ['no containers', spec({ containers: [] }), ['spec.containers: Required value']],
    ['missing image', spec({ containers: [ctr({ image: '' })] }), ['spec.containers[0].image: Required value']],
    ['duplicate names', spec({ containers: [ctr(), ctr()] }), ['spec.containers[1].name: Duplicate value: "c"']],
    ['restart policy', spec({ restartPolicy: 'Sometimes' }), ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    ['port range', spec({ containers: [ctr({ ports: [{ containerPort: 70000, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    ['port protocol', spec({ containers: [ctr({ ports: [{ containerPort: 80, protocol: 'HTTP' }] })] }), ['spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']],
    ['requests above limits', spec({ containers: [ctr({ resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } })] }), ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']],
    ['duplicate volumes and two sources', spec({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] }), [
      'spec.volumes[1].name: Duplicate value: "v"', 'spec.volumes[1].hostPath: Forbidden: may not specify more than 1 volume type',
    ]],
    ['mount of unknown volume', spec({ containers: [ctr({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })] }), ['spec.containers[0].volumeMounts[0].name: Not found: "nope"']],
  ];
  for (const [name, s, want] of cases) test(name, () => assert.deepEqual(msgs(validatePodSpec(s, 'spec')), want));

  test('bad container name', () => {
    const [e, ...rest] = msgs(validatePodSpec(spec({ containers: [ctr({ name: 'Web' })] }), 'spec'));
    assert.equal(rest.length, 0);
    assert.match(e, /^spec\.containers\[0\]\.name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'/);
  });

  test('template paths', () => {
    assert.deepEqual(msgs(validatePodTemplateSpec({ spec: spec({ containers: [] }) }, 'spec.template')), ['spec.template.spec.containers: Required value']);
  });
});

describe('podSummary', () => {
  const base = (status: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    metadata: { name: 'p', ...extra }, spec: { containers: [{ name: 'a' }], initContainers: [] as unknown[] }, status,
  });
  const running = { running: { startedAt: '2024-01-01T00:00:00Z' } };
  const cases: [string, unknown, string, string, number][] = [
    ['pending', base({ phase: 'Pending' }), '0/1', 'Pending', 0],
    ['running ready', base({ phase: 'Running', containerStatuses: [{ name: 'a', ready: true, state: running, restartCount: 0 }] }), '1/1', 'Running', 0],
    ['crashloop', base({ phase: 'Running', containerStatuses: [{ name: 'a', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), '0/1', 'CrashLoopBackOff', 4],
    ['completed', base({ phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), '0/1', 'Completed', 0],
    ['exit code', base({ phase: 'Failed', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 2 } } }] }), '0/1', 'ExitCode:2', 0],
    ['terminating', base({ phase: 'Running' }, { deletionTimestamp: '2024-01-01T00:00:00Z' }), '0/1', 'Terminating', 0],
    ['node lost', base({ phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2024-01-01T00:00:00Z' }), '0/1', 'Unknown', 0],
    ['init waiting', { metadata: {}, spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { running: {} } }] } }, '0/1', 'Init:0/1', 0],
    ['init crash', { metadata: {}, spec: { containers: [{ name: 'a' }], initContainers: [{ name: 'i' }] }, status: { phase: 'Pending', initContainerStatuses: [{ name: 'i', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }, '0/1', 'Init:CrashLoopBackOff', 0],
    ['sidecar counts', { metadata: {}, spec: { containers: [{ name: 'a' }], initContainers: [{ name: 's', restartPolicy: 'Always' }] }, status: { phase: 'Running', initContainerStatuses: [{ name: 's', started: true, ready: true, state: running }], containerStatuses: [{ name: 'a', ready: true, state: running }] } }, '2/2', 'Running', 0],
    ['scheduling gated', base({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), '0/1', 'SchedulingGated', 0],
  ];
  for (const [name, pod, ready, status, restarts] of cases) {
    test(name, () => {
      const s = podSummary(pod);
      assert.deepEqual([s.ready, s.status, s.restarts], [ready, status, restarts]);
    });
  }
});
