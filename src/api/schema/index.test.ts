import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findUnknownFields, messageForKind, schemaNodeFor, unknownFieldsMessage, REGISTRY } from './index.js';

describe('schema registry', () => {
  test('kinds resolve to messages, meta kinds from any group', () => {
    assert.equal(messageForKind('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
    assert.equal(messageForKind('', 'v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
    assert.equal(messageForKind('batch', 'v1', 'DeleteOptions'), 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
    assert.equal(messageForKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'), 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition');
    assert.equal(messageForKind('apps', 'v1', 'Nope'), undefined);
    assert.equal(schemaNodeFor('example.com', 'v1', 'Widget'), undefined);
    assert.equal(REGISTRY.source, 'v0.32.4');
  });

  test('every message reference resolves', () => {
    const scalars = new Set(['string', 'int32', 'int64', 'bool', 'bytes', 'double', 'float', 'uint32', 'uint64']);
    for (const [name, m] of Object.entries(REGISTRY.messages)) {
      for (const f of m.f) assert.ok(scalars.has(f.t) || REGISTRY.messages[f.t], `${name}.${f.n} -> ${f.t}`);
    }
  });

  test('schema nodes carry types and patch semantics', () => {
    const dep = schemaNodeFor('apps', 'v1', 'Deployment')!;
    assert.equal(dep.type, 'object');
    assert.deepEqual(dep.propertyNames(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    const spec = dep.property('spec')!;
    assert.equal(spec.property('replicas')!.type, 'integer');
    assert.equal(spec.property('strategy')!.patchStrategy, 'retainKeys');
    assert.equal(spec.property('strategy')!.property('rollingUpdate')!.property('maxSurge')!.type, 'int-or-string');
    const podSpec = spec.property('template')!.property('spec')!;
    const containers = podSpec.property('containers')!;
    assert.equal(containers.type, 'array');
    assert.equal(containers.patchMergeKey, 'name');
    assert.equal(containers.patchStrategy, 'merge');
    assert.equal(containers.listType, 'map');
    assert.deepEqual(containers.listMapKeys, ['name']);
    const c = containers.elements()!;
    assert.deepEqual(c.property('ports')!.listMapKeys, ['containerPort', 'protocol']);
    assert.equal(c.property('args')!.listType, 'atomic');
    assert.equal(c.property('resources')!.property('limits')!.type, 'map');
    assert.equal(c.property('resources')!.property('limits')!.elements()!.type, 'quantity');
    // Inline-embedded structs are flattened: VolumeSource into Volume, ProbeHandler into Probe.
    const vol = podSpec.property('volumes')!;
    assert.equal(vol.patchStrategy, 'merge,retainKeys');
    assert.ok(vol.elements()!.property('configMap'));
    assert.ok(c.property('livenessProbe')!.property('httpGet'));
    assert.equal(podSpec.property('nodeSelector')!.mapType, 'atomic');
    const meta = dep.property('metadata')!;
    assert.equal(meta.property('finalizers')!.listType, 'set');
    assert.equal(meta.property('creationTimestamp')!.type, 'string');
    assert.equal(meta.property('managedFields')!.elements()!.property('fieldsV1')!.preserveUnknown, true);
    const secret = schemaNodeFor('', 'v1', 'Secret')!;
    assert.equal(secret.property('data')!.elements()!.type, 'string');
    const ua = schemaNodeFor('authentication.k8s.io', 'v1', 'TokenReview')!.property('status')!.property('user')!;
    assert.equal(ua.property('extra')!.elements()!.type, 'array');
  });
});

describe('findUnknownFields', () => {
  const dep = schemaNodeFor('apps', 'v1', 'Deployment')!;
  test('known objects have none', () => {
    assert.deepEqual(findUnknownFields({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { a: 'b' }, annotations: { 'x/y': 'z' } },
      spec: {
        replicas: 1, selector: { matchLabels: { a: 'b' } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: {
            containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: '1' } }, livenessProbe: { httpGet: { port: 80 } } }],
            volumes: [{ name: 'v', configMap: { name: 'cm' } }],
          },
        },
      },
      status: {},
    }, dep), []);
  });

  test('reports upstream-style paths', () => {
    const paths = findUnknownFields({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', bogus: 1 },
      spec: {
        foo: 1,
        template: { spec: { containers: [{ name: 'a' }, { name: 'b', imagee: 'x', env: [{ name: 'E', valuee: 'v' }] }] } },
      },
    }, dep);
    assert.deepEqual(paths, ['metadata.bogus', 'spec.foo', 'spec.template.spec.containers[1].imagee', 'spec.template.spec.containers[1].env[0].valuee']);
    assert.equal(unknownFieldsMessage(paths.slice(1, 3)),
      'strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[1].imagee"');
  });

  test('embedded JSON is not checked, map values are', () => {
    const rev = schemaNodeFor('apps', 'v1', 'ControllerRevision')!;
    assert.deepEqual(findUnknownFields({ data: { anything: { goes: 1 } }, revision: 1 }, rev), []);
    const ua = schemaNodeFor('authorization.k8s.io', 'v1', 'SubjectAccessReview')!;
    assert.deepEqual(findUnknownFields({ spec: { extra: { k: ['v'] }, resourceAttributes: { verbb: 'get' } } }, ua), ['spec.resourceAttributes.verbb']);
  });
});
