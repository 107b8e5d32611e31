import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deepClone, deepEqual, getControllerOf, isControlledBy, jsonPathGet, jsonPathSet, labelsEqual, newControllerRef, rfc3339Micro, rfc3339Now } from './meta.js';

test('timestamps', () => {
  const ms = Date.UTC(2026, 10, 25, 1, 2, 3, 456);
  assert.equal(rfc3339Now(ms), '2026-11-25T01:02:03Z');
  assert.equal(rfc3339Now(Date.UTC(2026, 10, 25, 1, 2, 3, 999)), '2026-11-25T01:02:03Z');
  assert.equal(rfc3339Micro(ms), '2026-11-25T01:02:03.456000Z');
});

describe('owner references', () => {
  const rs = { metadata: { name: 'rs', uid: 'u-rs' } };
  const pod = {
    metadata: {
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u-n' },
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs', controller: true, blockOwnerDeletion: true },
      ],
    },
  };
  test('getControllerOf returns a copy of the controller ref', () => {
    const ref = getControllerOf(pod);
    assert.deepEqual(ref, pod.metadata.ownerReferences[1]);
    assert.notEqual(ref, pod.metadata.ownerReferences[1]);
    assert.equal(getControllerOf({ metadata: {} }), undefined);
    assert.equal(getControllerOf({}), undefined);
  });
  test('isControlledBy compares uids', () => {
    assert.equal(isControlledBy(pod, rs), true);
    assert.equal(isControlledBy(pod, { metadata: { uid: 'u-n' } }), false);
    assert.equal(isControlledBy({ metadata: {} }, rs), false);
  });
  test('newControllerRef', () => {
    assert.deepEqual(newControllerRef(rs, 'apps/v1', 'ReplicaSet'), pod.metadata.ownerReferences[1]);
  });
});

test('labelsEqual', () => {
  const cases: [Record<string, string> | undefined, Record<string, string> | undefined, boolean][] = [
    [undefined, undefined, true], [undefined, {}, true], [{ a: '1' }, { a: '1' }, true], [{ a: '1', b: '2' }, { b: '2', a: '1' }, true],
    [{ a: '1' }, { a: '2' }, false], [{ a: '1' }, { b: '1' }, false], [{ a: '1' }, undefined, false], [{ a: '1' }, { a: '1', b: '2' }, false],
  ];
  for (const [a, b, want] of cases) assert.equal(labelsEqual(a, b), want, `${JSON.stringify(a)} ${JSON.stringify(b)}`);
});

test('deepEqual', () => {
  const cases: [unknown, unknown, boolean][] = [
    [1, 1, true], ['a', 'a', true], [null, null, true], [null, undefined, false], [1, '1', false],
    [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }, true], [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: undefined }, { a: 1 }, true], [{ a: undefined }, { b: undefined }, true], [[1, 2], [2, 1], false],
    [[], {}, false], [{}, [], false], [{ a: null }, {}, false], [[1], [1, 2], false], [{ a: { b: 1 } }, { a: { b: 2 } }, false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(deepEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(deepEqual(b, a), want, `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
});

test('deepClone is deep', () => {
  const o = { a: { b: [1, 2] } };
  const c = deepClone(o);
  c.a.b.push(3);
  assert.deepEqual(o.a.b, [1, 2]);
});

describe('json paths', () => {
  test('get', () => {
    const o = { spec: { replicas: 3, selector: null }, status: { replicas: 0 } };
    assert.equal(jsonPathGet(o, '.spec.replicas'), 3);
    assert.equal(jsonPathGet(o, 'spec.replicas'), 3);
    assert.equal(jsonPathGet(o, '.status.replicas'), 0);
    assert.equal(jsonPathGet(o, '.spec.selector'), null);
    assert.equal(jsonPathGet(o, '.spec.selector.matchLabels'), undefined);
    assert.equal(jsonPathGet(o, '.spec.missing.deeper'), undefined);
    assert.equal(jsonPathGet(o, '.spec.replicas.x'), undefined);
    assert.equal(jsonPathGet(o, '.toString'), undefined);
    assert.throws(() => jsonPathGet(o, '.spec..replicas'));
  });
  test('set', () => {
    const o: Record<string, unknown> = { spec: { replicas: 1 } };
    jsonPathSet(o, '.spec.replicas', 5);
    jsonPathSet(o, '.status.replicas', 2);
    jsonPathSet(o, 'status.labelSelector', 'app=x');
    assert.deepEqual(o, { spec: { replicas: 5 }, status: { replicas: 2, labelSelector: 'app=x' } });
    assert.throws(() => jsonPathSet(o, '.spec.replicas.x', 1), /not an object/);
    assert.throws(() => jsonPathSet(o, '.__proto__.polluted', 1));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
