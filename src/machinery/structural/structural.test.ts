import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { walkUnknownFields } from '../prune.js';
import {
  applyDefaults, formatJsonPathValue, jsonPathValues, prune, resourceSchemaNode, structuralViolations, validateValue, type JSONSchemaProps,
} from './index.js';

const schema: JSONSchemaProps = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: {
        replicas: { type: 'integer', minimum: 0, maximum: 10, default: 1 },
        size: { type: 'string', maxLength: 5, minLength: 2, pattern: '^[a-z]+$' },
        mode: { type: 'string', enum: ['a', 'b'], default: 'a' },
        ratio: { type: 'number', exclusiveMinimum: true, minimum: 0 },
        port: { 'x-kubernetes-int-or-string': true },
        when: { type: 'string', format: 'date-time' },
        data: { type: 'string', format: 'byte' },
        tags: { type: 'array', items: { type: 'string' }, maxItems: 2, 'x-kubernetes-list-type': 'set' },
        ports: {
          type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'],
          items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer', default: 80 } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { known: { type: 'integer' } } },
        opt: { type: 'string', nullable: true },
        nested: { type: 'object', default: {}, properties: { deep: { type: 'string', default: 'x' } } },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } },
        choice: { type: 'string', anyOf: [{ enum: ['x'] }, { pattern: '^y' }] },
      },
    },
    status: { type: 'object', properties: { ready: { type: 'integer' } } },
  },
};

const messages = (v: unknown, s = schema) => validateValue(v, s, { resource: true }).map((e) => `${e.field}: ${e.message}`);

describe('validateValue', () => {
  test('accepts a valid resource and ignores apiVersion, kind and metadata', () => {
    assert.deepEqual(messages({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a' }, spec: { size: 'abc', replicas: 3, port: 'http', when: '2024-01-02T03:04:05Z', data: 'aGk=' } }), []);
  });

  test('type errors use upstream wording', () => {
    assert.deepEqual(messages({ spec: { size: 'abc', replicas: 'string' } }), [
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    ]);
    assert.deepEqual(messages({ spec: { size: 'abc', replicas: 1.5 } }), [
      'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
    ]);
    assert.deepEqual(messages({ spec: { size: 'abc', port: true } }), [
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
    ]);
    assert.deepEqual(messages({ spec: { size: 'abc', replicas: null, opt: null } }), [
      'spec.replicas: Invalid value: "null": spec.replicas in body must be of type integer: "null"',
    ]);
  });

  test('required, enum, bounds, lengths and pattern', () => {
    assert.deepEqual(messages({ spec: {} }), ['spec.size: Required value']);
    assert.deepEqual(messages({ spec: { size: 'abc', mode: 'x' } }), ['spec.mode: Unsupported value: "x": supported values: "a", "b"']);
    assert.deepEqual(messages({ spec: { size: 'abc', replicas: 11 } }), ['spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10']);
    assert.deepEqual(messages({ spec: { size: 'abc', replicas: -1 } }), ['spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0']);
    assert.deepEqual(messages({ spec: { size: 'abc', ratio: 0 } }), ['spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0']);
    assert.deepEqual(messages({ spec: { size: 'abcdef' } }), ['spec.size: Too long: may not be more than 5 bytes']);
    assert.deepEqual(messages({ spec: { size: 'a' } }), ['spec.size: Invalid value: "a": spec.size in body should be at least 2 chars long']);
    assert.deepEqual(messages({ spec: { size: 'AB' } }), ["spec.size: Invalid value: \"AB\": spec.size in body should match '^[a-z]+$'"]);
  });

  test('formats', () => {
    assert.deepEqual(messages({ spec: { size: 'abc', when: 'yesterday' } }), ['spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"']);
    assert.deepEqual(messages({ spec: { size: 'abc', data: 'not base64!' } }), ['spec.data: Invalid value: "not base64!": spec.data in body must be of type byte: "not base64!"']);
  });

  test('arrays, list types and maps', () => {
    assert.deepEqual(messages({ spec: { size: 'abc', tags: ['a', 'b', 'c'] } }), ['spec.tags: Too many: 3: must have at most 2 items']);
    assert.deepEqual(messages({ spec: { size: 'abc', tags: ['a', 'a'] } }), ['spec.tags[1]: Duplicate value: "a"']);
    assert.deepEqual(messages({ spec: { size: 'abc', ports: [{ name: 'p' }, { name: 'p' }] } }), ['spec.ports[1]: Duplicate value: map[string]interface {}{"name":"p"}']);
    assert.deepEqual(messages({ spec: { size: 'abc', labels: { a: 1 } } }), ['spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"']);
  });

  test('anyOf and status prefix', () => {
    assert.deepEqual(messages({ spec: { size: 'abc', choice: 'yes' } }), []);
    const errs = messages({ spec: { size: 'abc', choice: 'z' } });
    assert.equal(errs[0], '<nil>: Invalid value: "": "spec.choice" must validate at least one schema (anyOf)');
    assert.equal(errs.length, 2);
    const st = validateValue({ ready: 'no' }, schema.properties!.status, { fieldPrefix: 'status' });
    assert.deepEqual(st.map((e) => `${e.field}: ${e.message}`), ['status.ready: Invalid value: "string": ready in body must be of type integer: "string"']);
  });

  test('embedded resources need apiVersion and kind', () => {
    assert.deepEqual(messages({ spec: { size: 'abc', template: { spec: {} } } }), [
      'spec.template.apiVersion: Required value: must not be empty',
      'spec.template.kind: Required value: must not be empty',
    ]);
  });
});

describe('applyDefaults', () => {
  test('fills defaults where the parent exists', () => {
    const obj: Record<string, unknown> = { spec: { size: 'abc', ports: [{ name: 'a' }] } };
    applyDefaults(obj, schema);
    assert.deepEqual(obj.spec, { size: 'abc', ports: [{ name: 'a', port: 80 }], replicas: 1, mode: 'a', nested: { deep: 'x' } });
    const none: Record<string, unknown> = {};
    applyDefaults(none, schema);
    assert.deepEqual(none, {}, 'no spec: nothing to default');
  });

  test('nulls: defaulted when a default exists, dropped when non-nullable, kept when nullable', () => {
    const obj = { spec: { size: 'abc', replicas: null, when: null, opt: null } };
    applyDefaults(obj, schema);
    assert.deepEqual(obj.spec, { size: 'abc', replicas: 1, opt: null, mode: 'a', nested: { deep: 'x' } });
  });
});

describe('prune', () => {
  test('removes unknown fields, keeps preserved ones and ObjectMeta', () => {
    const obj = {
      apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labels: { a: 'b' }, bogus: 1 }, extra: true,
      spec: { size: 'abc', nope: 1, free: { anything: { deep: 1 }, known: 2 }, labels: { k: 'v' }, ports: [{ name: 'a', x: 1 }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', junk: 1 }, spec: { a: 'b', c: 'd' } } },
    };
    const removed = prune(obj, schema);
    assert.deepEqual(removed, ['extra', 'metadata.bogus', 'spec.nope', 'spec.ports[0].x', 'spec.template.metadata.junk', 'spec.template.spec.c']);
    assert.deepEqual(obj, {
      apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', labels: { a: 'b' } },
      spec: { size: 'abc', free: { anything: { deep: 1 }, known: 2 }, labels: { k: 'v' }, ports: [{ name: 'a' }],
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { a: 'b' } } },
    });
  });
});

describe('resourceSchemaNode', () => {
  test('drives unknown-field detection like prune', () => {
    const node = resourceSchemaNode(schema);
    const obj = { apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', bogus: 1 }, spec: { size: 'a', nope: 1, free: { any: 1 }, labels: { a: 'b' }, port: 3 } };
    assert.deepEqual(walkUnknownFields(obj, node, false).sort(), ['metadata.bogus', 'spec.nope']);
    assert.equal(node.property('spec')?.property('ports')?.listType, 'map');
    assert.deepEqual(node.property('spec')?.property('ports')?.listMapKeys, ['name']);
    assert.equal(node.property('spec')?.property('labels')?.type, 'map');
    assert.equal(node.property('spec')?.property('port')?.type, 'int-or-string');
    assert.equal(node.property('spec')?.property('template')?.property('metadata')?.property('labels')?.type, 'map');
  });
});

describe('jsonpath', () => {
  const obj = {
    metadata: { name: 'n', labels: { 'app.kubernetes.io/name': 'web' } },
    spec: { replicas: 3, items: [{ name: 'a' }, { name: 'b' }] },
    status: { conditions: [{ type: 'Progressing', status: 'True' }, { type: 'Ready', status: 'False' }] },
  };
  test('simple, indexed, wildcard, filter and quoted forms', () => {
    assert.deepEqual(jsonPathValues(obj, '.spec.replicas'), [3]);
    assert.deepEqual(jsonPathValues(obj, '{.spec.items[1].name}'), ['b']);
    assert.deepEqual(jsonPathValues(obj, '.spec.items[-1].name'), ['b']);
    assert.deepEqual(jsonPathValues(obj, '.spec.items[*].name'), ['a', 'b']);
    assert.deepEqual(jsonPathValues(obj, '.status.conditions[?(@.type=="Ready")].status'), ['False']);
    assert.deepEqual(jsonPathValues(obj, ".status.conditions[?(@.type!='Ready')].type"), ['Progressing']);
    assert.deepEqual(jsonPathValues(obj, ".metadata.labels['app.kubernetes.io/name']"), ['web']);
    assert.deepEqual(jsonPathValues(obj, '..name'), ['n', 'a', 'b']);
    assert.deepEqual(jsonPathValues(obj, '.spec.missing.deeper'), []);
    assert.throws(() => jsonPathValues(obj, '.spec[?(@.x'));
    assert.equal(formatJsonPathValue({ a: 1 }), '{"a":1}');
    assert.equal(formatJsonPathValue(2), '2');
  });
});

describe('structuralViolations', () => {
  test('flags untyped nodes and arrays without items', () => {
    assert.deepEqual(structuralViolations(schema), []);
    assert.deepEqual(structuralViolations({ type: 'object', properties: { a: {}, b: { type: 'array' } } }), [
      'openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields',
      'openAPIV3Schema.properties[b].items: Required value: must be specified',
    ]);
  });
});
