import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { applyJsonPatch } from './jsonpatch.js';

function rejects(doc: unknown, patch: unknown, code: number, detail?: RegExp): StatusError {
  try {
    applyJsonPatch(doc, patch);
  } catch (e) {
    assert.ok(e instanceof StatusError, String(e));
    assert.equal(e.code, code);
    if (detail) assert.match(String((e.cause as Error | undefined)?.message ?? e.message), detail);
    return e;
  }
  assert.fail('patch applied but should have failed');
}

describe('applyJsonPatch', () => {
  const cases: Array<[string, unknown, unknown[], unknown]> = [
    ['add member', { a: 1 }, [{ op: 'add', path: '/b', value: { c: 2 } }], { a: 1, b: { c: 2 } }],
    ['add replaces existing member', { a: 1 }, [{ op: 'add', path: '/a', value: 3 }], { a: 3 }],
    ['add into array by index', { l: [1, 3] }, [{ op: 'add', path: '/l/1', value: 2 }], { l: [1, 2, 3] }],
    ['add at array end index', { l: [1] }, [{ op: 'add', path: '/l/1', value: 2 }], { l: [1, 2] }],
    ['add with - appends', { l: [1] }, [{ op: 'add', path: '/l/-', value: 2 }], { l: [1, 2] }],
    ['add with negative index', { l: [1, 2] }, [{ op: 'add', path: '/l/-1', value: 9 }], { l: [1, 2, 9] }],
    ['remove member', { a: 1, b: 2 }, [{ op: 'remove', path: '/a' }], { b: 2 }],
    ['remove array item', { l: [1, 2, 3] }, [{ op: 'remove', path: '/l/1' }], { l: [1, 3] }],
    ['remove last via -1', { l: [1, 2, 3] }, [{ op: 'remove', path: '/l/-1' }], { l: [1, 2] }],
    ['replace member', { a: { b: 1 } }, [{ op: 'replace', path: '/a/b', value: 'x' }], { a: { b: 'x' } }],
    ['replace missing member sets it (upstream leniency)', { a: {} }, [{ op: 'replace', path: '/a/b', value: 1 }], { a: { b: 1 } }],
    ['replace whole document', { a: 1 }, [{ op: 'replace', path: '', value: { z: 1 } }], { z: 1 }],
    ['move', { a: { x: 1 }, b: {} }, [{ op: 'move', from: '/a/x', path: '/b/y' }], { a: {}, b: { y: 1 } }],
    ['move within array', { l: [1, 2, 3] }, [{ op: 'move', from: '/l/0', path: '/l/-' }], { l: [2, 3, 1] }],
    ['copy', { a: { x: [1] } }, [{ op: 'copy', from: '/a/x', path: '/b' }], { a: { x: [1] }, b: [1] }],
    ['test passes then replace', { a: [1, { b: 2 }] }, [{ op: 'test', path: '/a', value: [1, { b: 2 }] }, { op: 'replace', path: '/a/0', value: 0 }], { a: [0, { b: 2 }] }],
    ['test missing member equals null', { a: 1 }, [{ op: 'test', path: '/zz', value: null }], { a: 1 }],
    ['pointer escapes ~1 and ~0', { metadata: { labels: { 'app.kubernetes.io/name': 'x', 'a~b': 'y' } } },
      [{ op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' }, { op: 'replace', path: '/metadata/labels/a~0b', value: 'z' }],
      { metadata: { labels: { 'a~b': 'z' } } }],
    ['empty patch', { a: 1 }, [], { a: 1 }],
  ];
  for (const [name, doc, patch, want] of cases) {
    test(name, () => {
      const before = structuredClone(doc);
      assert.deepEqual(applyJsonPatch(doc, patch), want);
      assert.deepEqual(doc, before, 'input must not be mutated');
    });
  }

  test('inserted values are copies of the patch values', () => {
    const value = { deep: [1] };
    const out = applyJsonPatch({}, [{ op: 'add', path: '/v', value }]) as { v: { deep: number[] } };
    out.v.deep.push(2);
    assert.deepEqual(value, { deep: [1] });
  });

  test('failed test op is 422 Invalid with upstream generic message and detail as cause', () => {
    const e = rejects({ spec: { replicas: 1 } }, [{ op: 'test', path: '/spec/replicas', value: 2 }], 422, /testing value \/spec\/replicas failed: test failed/);
    assert.equal(e.reason, 'Invalid');
    assert.equal(e.message, 'the server rejected our request due to an error in our request');
  });

  test('ops that do not apply are 422', () => {
    rejects({ a: 1 }, [{ op: 'remove', path: '/b' }], 422, /Unable to remove nonexistent key: b/);
    rejects({ a: 1 }, [{ op: 'add', path: '/x/y', value: 1 }], 422, /add operation does not apply: doc is missing path: "\/x\/y"/);
    rejects({ l: [1] }, [{ op: 'add', path: '/l/5', value: 1 }], 422, /invalid index/);
    rejects({ l: [1] }, [{ op: 'replace', path: '/l/1', value: 1 }], 422, /missing key/);
    rejects({ l: [1] }, [{ op: 'add', path: '/l/x', value: 1 }], 422, /not a proper array index/);
    rejects({ a: 1 }, [{ op: 'move', from: '/nope', path: '/b' }], 422);
    rejects({ a: 1 }, [{ op: 'copy', from: '/nope', path: '/b' }], 422);
    rejects({ a: 1 }, [{ op: 'frobnicate', path: '/a' }], 422, /Unexpected kind: frobnicate/);
    rejects({ a: 1 }, [{ op: 'add', value: 1 }], 422, /failed to decode path/);
    rejects({ a: 1 }, [{ op: 'add', path: 'a', value: 1 }], 422);
  });

  test('a failing op leaves no partial result and the input untouched', () => {
    const doc = { a: 1 };
    rejects(doc, [{ op: 'add', path: '/b', value: 2 }, { op: 'test', path: '/a', value: 5 }], 422);
    assert.deepEqual(doc, { a: 1 });
  });

  test('malformed documents are 400 BadRequest', () => {
    assert.equal(rejects({}, { op: 'add' }, 400).reason, 'BadRequest');
    rejects({}, ['add'], 400);
    rejects({}, null, 400);
  });

  test('more than 10000 operations is 413', () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }));
    rejects({}, ops, 413);
  });
});
