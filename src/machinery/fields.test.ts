import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './errors.js';
import { escapeFieldValue, fieldSelectorFromSet, parseFieldSelector, unescapeFieldValue } from './fields.js';

const getter = (o: Record<string, string>) => (f: string) => o[f];

describe('parseFieldSelector', () => {
  test('parses, sorts and re-serializes', () => {
    const cases: [string, string][] = [
      ['', ''],
      ['metadata.name=foo', 'metadata.name=foo'],
      ['status.phase!=Running,metadata.name==x', 'metadata.name=x,status.phase!=Running'],
      ['spec.nodeName=', 'spec.nodeName='],
      ['a=b\\,c,d=e\\=f', 'a=b\\,c,d=e\\=f'],
      ['a=b\\\\', 'a=b\\\\'],
      [',a=b,', 'a=b'],
    ];
    for (const [input, want] of cases) assert.equal(parseFieldSelector(input).toString(), want, input);
  });

  test('requirements are exported for the caller to check field names', () => {
    assert.deepEqual(parseFieldSelector('b!=2,a==1').requirements, [
      { field: 'a', operator: '=', value: '1' },
      { field: 'b', operator: '!=', value: '2' },
    ]);
    assert.equal(parseFieldSelector('').empty, true);
    assert.equal(parseFieldSelector('metadata.name=x,spec.a!=y').requiresExactMatch('metadata.name'), 'x');
    assert.equal(parseFieldSelector('spec.a!=y').requiresExactMatch('spec.a'), undefined);
  });

  test('errors', () => {
    const cases: [string, string][] = [
      ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
      ['a=b,foo', "invalid selector: 'a=b,foo'; can't understand 'foo'"],
      ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
      ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
      ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ];
    for (const [input, want] of cases) {
      assert.throws(() => parseFieldSelector(input), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === want, input);
    }
  });

  test('matches; missing fields read as ""', () => {
    const obj = { 'metadata.name': 'web', 'status.phase': 'Running' };
    const cases: [string, boolean][] = [
      ['', true],
      ['metadata.name=web', true],
      ['metadata.name==web', true],
      ['metadata.name=db', false],
      ['status.phase!=Running', false],
      ['status.phase!=Pending', true],
      ['metadata.name=web,status.phase=Running', true],
      ['metadata.name=web,status.phase=Pending', false],
      ['spec.nodeName=', true],
      ['spec.nodeName!=', false],
    ];
    for (const [sel, want] of cases) assert.equal(parseFieldSelector(sel).matches(getter(obj)), want, sel);
  });
});

test('escape round trip', () => {
  for (const v of ['', 'plain', 'a,b', 'a=b', 'a\\b', '\\,=', 'ünï']) {
    assert.equal(unescapeFieldValue(escapeFieldValue(v)), v);
  }
  assert.equal(escapeFieldValue('a,b=c\\'), 'a\\,b\\=c\\\\');
});

test('fieldSelectorFromSet', () => {
  const s = fieldSelectorFromSet({ 'metadata.name': 'x' });
  assert.equal(s.matches(getter({ 'metadata.name': 'x' })), true);
  assert.equal(s.matches(getter({ 'metadata.name': 'y' })), false);
});
