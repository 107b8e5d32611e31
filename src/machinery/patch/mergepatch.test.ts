import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../errors.js';
import { applyMergePatch, mergePatch } from './mergepatch.js';

describe('mergePatch (RFC 7386 appendix A)', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  cases.forEach(([target, patch, want], i) => {
    test(`case ${i + 1}`, () => {
      const before = structuredClone(target);
      assert.deepEqual(mergePatch(target, patch), want);
      assert.deepEqual(target, before);
    });
  });

  test('result shares nothing with the patch', () => {
    const patch = { a: { b: [1] } };
    const out = mergePatch({}, patch) as { a: { b: number[] } };
    out.a.b.push(2);
    assert.deepEqual(patch, { a: { b: [1] } });
  });

  test('label and scale style patches', () => {
    const cm = { metadata: { name: 'x', labels: { a: '1', b: '2' } }, data: { k: 'v' } };
    assert.deepEqual(applyMergePatch(cm, { metadata: { labels: { a: null, c: '3' } } }),
      { metadata: { name: 'x', labels: { b: '2', c: '3' } }, data: { k: 'v' } });
  });

  test('applyMergePatch rejects non-object bodies with 400', () => {
    for (const body of [null, 'x', 3, [1]]) {
      assert.throws(() => applyMergePatch({}, body), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === 'Invalid JSON Patch');
    }
  });
});
