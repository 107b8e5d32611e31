import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeProtobufObject, goDuration } from './protobuf.js';
import { KUBECTL_132_BODIES } from './kubectl-bodies.testdata.js';

// A minimal protobuf encoder for building test bodies.
type Value = number | bigint | boolean | string | Uint8Array | Msg | { double: number };
type Msg = Array<[number, Value]>;

function varint(v: bigint): number[] {
  const out: number[] = [];
  let u = BigInt.asUintN(64, v);
  do {
    let b = Number(u & 0x7fn);
    u >>= 7n;
    if (u) b |= 0x80;
    out.push(b);
  } while (u);
  return out;
}

function enc(msg: Msg): Uint8Array {
  const out: number[] = [];
  for (const [num, v] of msg) {
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
      out.push(...varint(BigInt(num << 3)), ...varint(BigInt(typeof v === 'boolean' ? Number(v) : v)));
    } else if (typeof v === 'object' && 'double' in v) {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v.double, true);
      out.push(...varint(BigInt((num << 3) | 1)), ...b);
    } else {
      const b = typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : enc(v);
      out.push(...varint(BigInt((num << 3) | 2)), ...varint(BigInt(b.length)), ...b);
    }
  }
  return new Uint8Array(out);
}

function envelope(apiVersion: string, kind: string, raw: Msg): Uint8Array {
  const body = enc([[1, [[1, apiVersion], [2, kind]]], [2, enc(raw)], [3, ''], [4, '']]);
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...body]);
}

const entry = (k: string, v: Value): Value => [[1, k], [2, v]];

describe('decodeProtobufObject', () => {
  test('Deployment with replicas, selector, template, strategy and zero timestamp', () => {
    const meta: Msg = [[1, 'web'], [2, ''], [3, 'default'], [7, 0], [8, []], [11, entry('app', 'web')]];
    const container: Msg = [[1, 'nginx'], [2, 'nginx:1.25'], [6, [[3, 80], [4, 'TCP']]], [8, []], [16, false]];
    const template: Msg = [[1, [[11, entry('app', 'web')]]], [2, [[2, container], [3, 'Always'], [4, 30n]]]];
    const spec: Msg = [
      [1, 2], [2, [[1, entry('app', 'web')]]], [3, template],
      [4, [[1, 'RollingUpdate'], [2, [[1, [[1, 1], [3, '25%']]], [2, [[1, 0], [2, 1]]]]]]],
      [5, 0], [7, false],
    ];
    const d = decodeProtobufObject(envelope('apps/v1', 'Deployment', [[1, meta], [2, spec], [3, []]]));
    assert.equal(d.apiVersion, 'apps/v1');
    assert.equal(d.kind, 'Deployment');
    assert.deepEqual(d.object, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} }],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      },
      status: {},
    });
  });

  test('pointer zero is kept, omitempty zero is dropped', () => {
    const d = decodeProtobufObject(envelope('apps/v1', 'Deployment', [[2, [[1, 0], [5, 0], [6, 0]]]]));
    assert.deepEqual(d.object.spec, { replicas: 0, revisionHistoryLimit: 0 });
  });

  test('Namespace with time, finalizers and inline fields', () => {
    const d = decodeProtobufObject(envelope('v1', 'Namespace', [
      [1, [[1, 'x'], [8, [[1, 1700000000n]]], [14, 'a'], [14, 'b']]],
      [2, [[1, 'kubernetes']]],
    ]));
    assert.deepEqual(d.object, {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name: 'x', creationTimestamp: '2023-11-14T22:13:20Z', finalizers: ['a', 'b'] },
      spec: { finalizers: ['kubernetes'] },
    });
  });

  test('Secret bytes become base64 and empty values stay', () => {
    const d = decodeProtobufObject(envelope('v1', 'Secret', [
      [1, [[1, 's']]], [2, entry('a', new Uint8Array([104, 105]))], [2, entry('b', new Uint8Array())], [3, 'Opaque'], [5, false],
    ]));
    assert.deepEqual(d.object, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, immutable: false, data: { a: 'aGk=', b: '' }, type: 'Opaque' });
  });

  test('SelfSubjectAccessReview keeps non-omitempty status.allowed', () => {
    const d = decodeProtobufObject(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [
      [1, []], [2, [[1, [[1, 'default'], [2, 'create'], [3, ''], [4, ''], [5, 'pods'], [6, ''], [7, '']]]]], [3, [[1, false], [4, false]]],
    ]));
    assert.deepEqual(d.object, {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
      status: { allowed: false },
    });
  });

  test('inline embedded structs, named slices, quantities and RawExtension', () => {
    const pod = decodeProtobufObject(envelope('v1', 'Pod', [[2, [
      [1, [[1, 'v'], [2, [[1, [[1, '/data']]]]]]],
      [2, [[1, 'c'], [8, [[1, entry('cpu', [[1, '100m']])]]], [11, [[1, [[2, [[2, [[1, 0], [2, 8080]]]]]]], [2, 5]]],
        [7, [[1, 'K'], [3, [[4, [[1, [[1, 'sec']]], [2, 'key']]]]]]]]],
    ]]]));
    assert.deepEqual((pod.object.spec as Record<string, unknown>), {
      volumes: [{ name: 'v', hostPath: { path: '/data' } }],
      containers: [{
        name: 'c',
        env: [{ name: 'K', valueFrom: { secretKeyRef: { name: 'sec', key: 'key' } } }],
        resources: { limits: { cpu: '100m' } },
        readinessProbe: { httpGet: { port: 8080 }, initialDelaySeconds: 5 },
      }],
    });
    const review = decodeProtobufObject(envelope('authentication.k8s.io/v1', 'TokenReview', [
      [2, [[1, 't']]], [3, [[2, [[1, 'u'], [4, entry('scopes', [[1, 'a'], [1, 'b']])]]]]],
    ]));
    assert.deepEqual(review.object.status, { user: { username: 'u', extra: { scopes: ['a', 'b'] } } });
    const rev = decodeProtobufObject(envelope('apps/v1', 'ControllerRevision', [
      [1, [[1, 'r']]], [2, [[1, new TextEncoder().encode('{"spec":{"x":1}}')]]], [3, 4],
    ]));
    assert.deepEqual(rev.object, { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r' }, data: { spec: { x: 1 } }, revision: 4 });
  });

  test('double, negative int64 and packed repeated ints', () => {
    const hpa = decodeProtobufObject(envelope('autoscaling/v2', 'HorizontalPodAutoscaler', [
      [2, [[3, 5], [2, 1]]],
    ]));
    assert.deepEqual(hpa.object.spec, { minReplicas: 1, maxReplicas: 5 });
    const pv = decodeProtobufObject(envelope('v1', 'Pod', [[2, [[4, -1n]]]]));
    assert.deepEqual(pv.object.spec, { terminationGracePeriodSeconds: -1 });
    // PodSecurityContext.supplementalGroups is repeated int64 (field 4); packed run of 1, 2, 300.
    const packed = decodeProtobufObject(envelope('v1', 'Pod', [[2, [[14, [[4, new Uint8Array([1, 2, 0xac, 0x02])]]]]]]));
    assert.deepEqual(packed.object.spec, { securityContext: { supplementalGroups: [1, 2, 300] } });
  });

  test('malformed input throws clear errors', () => {
    assert.throws(() => decodeProtobufObject(new Uint8Array([1, 2, 3, 4])), /magic/);
    assert.throws(() => decodeProtobufObject(envelope('v1', 'NoSuchKind', [])), /no schema for kind "NoSuchKind" in "v1"/);
    assert.throws(() => decodeProtobufObject(new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x12, 0x10, 0x0a])), /protobuf: truncated field/);
    // metadata.name sent as a varint instead of a string.
    assert.throws(() => decodeProtobufObject(envelope('v1', 'Namespace', [[1, [[1, 5]]]])), /metadata\.name: expected a length-delimited string/);
  });
});

describe('real kubectl 1.32 bodies', () => {
  const expected: Record<string, unknown> = {
    'kubectl create namespace x': { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, spec: {}, status: {} },
    'kubectl create deployment web --image=nginx:1.25 --replicas=2 --port=80': {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    },
    'kubectl create secret generic s1 --from-literal=a=hello --from-literal=b=': {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1' }, data: { a: 'aGVsbG8=', b: '' },
    },
    'kubectl auth can-i create pods': {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } }, status: { allowed: false },
    },
    'kubectl auth whoami': { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {}, status: { userInfo: {} } },
    'kubectl create service clusterip svc1 --tcp=80:8080': {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc1', labels: { app: 'svc1' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'svc1' }, type: 'ClusterIP' },
      status: { loadBalancer: {} },
    },
  };
  for (const body of KUBECTL_132_BODIES) {
    test(body.command, () => {
      const d = decodeProtobufObject(Uint8Array.from(body.hex.match(/../g)!.map((h) => parseInt(h, 16))));
      assert.ok(body.url.endsWith(`/${d.kind.toLowerCase()}s`) || body.url.endsWith(`/${d.kind.toLowerCase()}es`), `${d.kind} for ${body.url}`);
      if (expected[body.command]) assert.deepEqual(d.object, expected[body.command]);
    });
  }
  test('replicas 0 survives', () => {
    const body = KUBECTL_132_BODIES.find((b) => b.command.includes('--replicas=0'))!;
    const d = decodeProtobufObject(Uint8Array.from(body.hex.match(/../g)!.map((h) => parseInt(h, 16))));
    assert.equal((d.object.spec as Record<string, unknown>).replicas, 0);
  });
});

test('goDuration matches Go formatting', () => {
  assert.equal(goDuration(0n), '0s');
  assert.equal(goDuration(1_500_000_000n), '1.5s');
  assert.equal(goDuration(90_000_000_000n), '1m30s');
  assert.equal(goDuration(3_600_000_000_000n), '1h0m0s');
  assert.equal(goDuration(100_000_000n), '100ms');
  assert.equal(goDuration(1_500n), '1.5µs');
  assert.equal(goDuration(-2_000_000_000n), '-2s');
});
