import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from './errors.js';
import { formatLabelSelector, formatLabels, parseSelector, selectorFromLabelSelector, selectorFromSet, validateLabelSelector } from './labels.js';

function parseError(s: string): string {
  try {
    parseSelector(s);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to fail`);
}

describe('parseSelector', () => {
  test('round-trips good selectors (spaces dropped)', () => {
    for (const s of ['x=a,y=b,z=c', '', 'x!=a,y=b', 'x=', 'x= ', 'x=,z= ', 'x= ,z= ', '!x', 'x>1', 'x>1,z<5', 'x==a']) {
      assert.equal(parseSelector(s).toString(), s.replace(/ /g, ''), s);
    }
  });

  test('canonical string: sorted keys and values', () => {
    const cases: [string, string][] = [
      ['x=a,a=x', 'a=x,x=a'],
      ['env in (prod, dev),tier notin (fe)', 'env in (dev,prod),tier notin (fe)'],
      ['  app  ', 'app'],
      ['a in (,)', 'a in ()'],
      ['a in ()', 'a in ()'],
      ['a in (b,,c)', 'a in (,b,c)'],
      ['in=notin', 'in=notin'],
    ];
    for (const [input, want] of cases) assert.equal(parseSelector(input).toString(), want, input);
  });

  test('rejects bad selectors with upstream messages', () => {
    const cases: [string, string][] = [
      ['x=a||y=b,', `unable to parse requirement: values[0][x]: Invalid value: "a||y": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`],
      ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['x==a==b', "found '==', expected: ',' or 'end of string'"],
      ['!x=a', "found '=', expected: ',' or 'end of string'"],
      ['x<a', `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`],
      ['x=a b', "found 'b', expected: ',' or 'end of string'"],
      ['x=a,', "found '', expected: identifier after ','"],
      [',x', "found ',', expected: !, identifier, or 'end of string'"],
      ['x in a', "unable to parse requirement: found 'a' expected: '('"],
      ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['x (', 'unable to parse requirement: found \'(\', expected: in, notin, =, ==, !=, gt, lt'],
      ['Bad_/x=y', 'unable to parse requirement: <nil>: Invalid value: "Bad_/x": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')'],
      ['x=-a', 'unable to parse requirement: values[0][x]: Invalid value: "-a": a valid label must be an empty string or consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyValue\',  or \'my_value\',  or \'12345\', regex used for validation is \'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\')'],
    ];
    for (const [input, want] of cases) assert.equal(parseError(input), want, input);
  });

  test('matches like upstream', () => {
    const cases: [string, Record<string, string> | undefined, boolean][] = [
      ['', { x: 'y' }, true],
      ['', undefined, true],
      ['x=y', { x: 'y' }, true],
      ['x=y,z=w', { x: 'y', z: 'w' }, true],
      ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
      ['notin=in', { notin: 'in' }, true],
      ['x', { x: 'z' }, true],
      ['!x', { y: 'z' }, true],
      ['x>1', { x: '2' }, true],
      ['x<1', { x: '0' }, true],
      ['x=z', {}, false],
      ['x=z', undefined, false],
      ['x=y', { x: 'z' }, false],
      ['x=y,z=w', { x: 'w', z: 'w' }, false],
      ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
      ['x', { y: 'z' }, false],
      ['!x', { x: 'z' }, false],
      ['x>1', { x: '0' }, false],
      ['x<1', { x: '2' }, false],
      ['x>1', { x: 'abc' }, false],
      ['x>1', {}, false],
      ['x!=y', {}, true],
      ['x notin (a,b)', {}, true],
      ['x notin (a,b)', { x: 'a' }, false],
      ['x in (a,b,c,d,e,f)', { x: 'f' }, true],
      ['x in (a,b,c,d,e,f)', { x: 'g' }, false],
      ['x=', { x: '' }, true],
      ['x=', {}, false],
      ['toString', {}, false],
      ['!constructor', {}, true],
    ];
    for (const [sel, labels, want] of cases) assert.equal(parseSelector(sel).matches(labels), want, `${sel} vs ${JSON.stringify(labels)}`);
  });

  test('empty and requiresExactMatch', () => {
    assert.equal(parseSelector('').empty, true);
    assert.equal(parseSelector('a=b').empty, false);
    const s = parseSelector('a=b,c in (d),e in (f,g),h!=i');
    assert.equal(s.requiresExactMatch('a'), 'b');
    assert.equal(s.requiresExactMatch('c'), 'd');
    assert.equal(s.requiresExactMatch('e'), undefined);
    assert.equal(s.requiresExactMatch('h'), undefined);
    assert.equal(s.requiresExactMatch('zz'), undefined);
  });
});

describe('selectorFromLabelSelector', () => {
  test('null selects nothing, {} selects everything', () => {
    assert.equal(selectorFromLabelSelector(null).matches({ a: 'b' }), false);
    assert.equal(selectorFromLabelSelector(undefined).empty, false);
    assert.equal(selectorFromLabelSelector({}).matches({ a: 'b' }), true);
    assert.equal(selectorFromLabelSelector({}).empty, true);
  });

  test('matchLabels and matchExpressions', () => {
    const s = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'canary', operator: 'DoesNotExist' },
        { key: 'env', operator: 'Exists', values: [] },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ],
    });
    assert.equal(s.toString(), 'app=web,!canary,env,tier in (be,fe),zone notin (a)');
    assert.equal(s.matches({ app: 'web', tier: 'fe', env: 'x' }), true);
    assert.equal(s.matches({ app: 'web', tier: 'fe', env: 'x', zone: 'a' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'fe', env: 'x', canary: '1' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'qa', env: 'x' }), false);
  });

  test('errors', () => {
    const cases: [Parameters<typeof selectorFromLabelSelector>[0], string][] = [
      [{ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, '"Gt" is not a valid label selector operator'],
      [{ matchExpressions: [{ key: 'a', operator: 'In' }] }, "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty"],
      [{ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, `values: Invalid value: ["x"]: values set must be empty for exists and does not exist`],
      [{ matchLabels: { 'a/b/c': 'x' } }, `key: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
    ];
    for (const [ls, want] of cases) {
      assert.throws(() => selectorFromLabelSelector(ls), (e: unknown) => e instanceof StatusError && e.code === 400 && e.message === want, want);
    }
  });

  test('formatLabelSelector', () => {
    assert.equal(formatLabelSelector({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
    assert.equal(formatLabelSelector({}), '<none>');
    assert.equal(formatLabelSelector(null), '<none>');
    assert.equal(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] }), '<error>');
  });
});

describe('sets', () => {
  test('selectorFromSet', () => {
    assert.equal(selectorFromSet(undefined).matches({ a: 'b' }), true);
    assert.equal(selectorFromSet({}).empty, true);
    const s = selectorFromSet({ z: '1', a: '2' });
    assert.equal(s.toString(), 'a=2,z=1');
    assert.equal(s.matches({ a: '2', z: '1', q: 'x' }), true);
    assert.equal(s.matches({ a: '2' }), false);
  });
  test('formatLabels', () => {
    assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
    assert.equal(formatLabels(undefined), '');
  });
});

describe('validateLabelSelector', () => {
  test('reports upstream field errors', () => {
    const errs = validateLabelSelector({
      matchLabels: { 'bad key': 'v' },
      matchExpressions: [
        { key: 'a', operator: 'In', values: [] },
        { key: 'b', operator: 'Exists', values: ['x'] },
        { key: 'c', operator: 'Near' },
        { key: 'd', operator: 'In', values: ['-bad'] },
      ],
    }, 'spec.selector');
    assert.deepEqual(errs.map((e) => `${e.field}|${e.type}`), [
      'spec.selector.matchLabels|FieldValueInvalid',
      'spec.selector.matchExpressions[0].values|FieldValueRequired',
      'spec.selector.matchExpressions[1].values|FieldValueForbidden',
      'spec.selector.matchExpressions[2].operator|FieldValueInvalid',
      'spec.selector.matchExpressions[3].values[0]|FieldValueInvalid',
    ]);
    assert.equal(errs[1].message, "Required value: must be specified when `operator` is 'In' or 'NotIn'");
    assert.equal(errs[3].message, 'Invalid value: "Near": not a valid selector operator');
    assert.deepEqual(validateLabelSelector(undefined, 'spec.selector'), []);
  });
});
