import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ErrFormatWrong, ErrSuffix, Quantity, QuantityError, addResourceLists, canonicalizeQuantity } from './quantity.js';

const q = (s: string) => Quantity.parse(s);

describe('Quantity serialization', () => {
  test('canonical forms (upstream TestQuantityString alternates and ParseEmit)', () => {
    const cases: [string, string][] = [
      ['1024Mi', '1Gi'], ['307200Ki', '300Mi'], ['1025024Mi', '1001Gi'], ['1024Gi', '1Ti'],
      ['1000M', '1G'], ['0.001T', '1G'], ['1000u', '1m'], ['1.08', '1080m'], ['1080000000n', '1080m'],
      ['.001e12', '1e9'], ['0.001e0', '1e-3'], ['1000e-12', '1e-9'], ['00', '0'],
      ['1Ki', '1Ki'], ['1Mi', '1Mi'], ['1Gi', '1Gi'],
      ['.001Ki', '1024m'], ['.000001Ki', '1024u'], ['.000000001Ki', '1024n'], ['.000000000001Ki', '2n'],
      ['-1024Mi', '-1Gi'], ['-.001Ki', '-1024m'], ['-.000000000001Ki', '-2n'],
      ['1000m', '1'], ['0.5', '500m'], ['0.1', '100m'], ['1.5Gi', '1536Mi'], ['1.5', '1500m'],
      ['1e3', '1e3'], ['12e6', '12e6'], ['1.5e3', '1500'],
      ['1000', '1k'], ['1500000', '1500k'], ['0', '0'], ['-0', '0'], ['0Gi', '0'],
      ['5000m', '5'], ['5', '5'], ['100m', '100m'], ['2048Ki', '2Mi'], ['1536Ki', '1536Ki'],
      ['1n', '1n'], ['0.1n', '1n'], ['1E', '1E'], ['1000E', '1000E'], ['7Ei', '7Ei'], ['8Ei', '9223372036854775807'],
      ['123456789012345678901234567890', '123456789012345678901234567890'],
    ];
    for (const [input, want] of cases) {
      assert.equal(q(input).toString(), want, input);
      assert.equal(q(want).toString(), want, `${want} is stable`);
    }
  });

  test('inputs upstream keeps verbatim', () => {
    for (const s of ['+1', '01', '3Mi', '100m', '1025Ki', '1E3', '1e+3']) assert.equal(q(s).toString(), s);
    assert.equal(q('1E3').canonical(), '1e3');
    assert.equal(q('+1').canonical(), '1');
    assert.equal(q('01').canonical(), '1');
  });

  test('JSON', () => {
    assert.equal(JSON.stringify({ cpu: q('1000m') }), '{"cpu":"1"}');
    assert.equal(canonicalizeQuantity(0.5), '500m');
    assert.equal(canonicalizeQuantity(2), '2');
    assert.equal(canonicalizeQuantity(' 1024Mi '), '1Gi');
    assert.throws(() => canonicalizeQuantity(true), QuantityError);
  });

  test('invalid inputs', () => {
    const cases: [string, string][] = [
      ['', ErrFormatWrong], ['1.1.M', ErrFormatWrong], ['1+1.0M', ErrFormatWrong], ['0.1mi', ErrSuffix],
      ['0.1am', ErrFormatWrong], ['aoeu', ErrFormatWrong], ['.5i', ErrSuffix], ['1i', ErrSuffix],
      ['-3.01i', ErrSuffix], ['-3.01e-', ErrSuffix], [' 1', ErrFormatWrong], ['1 ', ErrFormatWrong],
      ['Non-Numeric', ErrFormatWrong], ['1e', ErrSuffix], ['1Kii', ErrSuffix],
    ];
    for (const [input, want] of cases) {
      assert.throws(() => q(input), (e: unknown) => e instanceof QuantityError && e.message === want, JSON.stringify(input));
      assert.ok(Quantity.tryParse(input) instanceof QuantityError);
    }
    assert.equal(ErrFormatWrong, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });
});

describe('Quantity arithmetic', () => {
  test('cmp', () => {
    const cases: [string, string, number][] = [
      ['1', '1000m', 0], ['1Gi', '1024Mi', 0], ['1G', '1Gi', -1], ['100m', '99m', 1], ['-1', '1', -1],
      ['0', '-0', 0], ['1e30', '1', 1], ['-1e30', '-1', -1], ['1e-9', '0', 1], ['999m', '1', -1], ['10', '9.5', 1],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(q(a).cmp(q(b)), want, `${a} vs ${b}`);
      assert.equal(q(b).cmp(q(a)), -want || 0, `${b} vs ${a}`);
    }
    assert.equal(q('1').equal(q('1000m')), true);
  });

  test('add and sub', () => {
    const cases: [string, string, string, string][] = [
      ['100m', '900m', '1', '-800m'],
      ['1Gi', '1Gi', '2Gi', '0'],
      ['1Gi', '512Mi', '1536Mi', '512Mi'],
      ['0', '1Gi', '1Gi', '-1Gi'],
      ['1Gi', '0', '1Gi', '1Gi'],
      ['0', '100m', '100m', '-100m'],
      ['1', '1Ki', '1025', '-1023'],
      ['1e3', '1', '1001', '999'],
    ];
    for (const [a, b, sum, diff] of cases) {
      assert.equal(q(a).add(q(b)).toString(), sum, `${a}+${b}`);
      assert.equal(q(a).sub(q(b)).toString(), diff, `${a}-${b}`);
    }
    assert.equal(q('-9010m').toString(), '-9010m');
    assert.equal(q('9.01').neg().toString(), '-9010m');
    assert.equal(q('250m').mul(4).toString(), '1');
  });

  test('value and milliValue round away from zero', () => {
    const cases: [string, bigint, bigint][] = [
      ['1', 1n, 1000n], ['1500m', 2n, 1500n], ['1m', 1n, 1n], ['1n', 1n, 1n], ['0.5', 1n, 500n],
      ['1Gi', 1073741824n, 1073741824000n], ['-1500m', -2n, -1500n], ['0', 0n, 0n],
      ['1e30', 9223372036854775807n, 9223372036854775807n], ['12345678901234567n', 12345679n, 12345678902n],
    ];
    for (const [s, v, m] of cases) {
      assert.equal(q(s).value(), v, `value ${s}`);
      assert.equal(q(s).milliValue(), m, `milli ${s}`);
    }
    assert.equal(q('1.5Gi').toNumber(), 1.5 * 2 ** 30);
  });

  test('constructors', () => {
    assert.equal(Quantity.fromMilli(1500).toString(), '1500m');
    assert.equal(Quantity.fromMilli(2000).toString(), '2');
    assert.equal(Quantity.fromValue(1024 * 1024, 'BinarySI').toString(), '1Mi');
    assert.equal(Quantity.fromValue(1000, 'DecimalSI').toString(), '1k');
    assert.equal(Quantity.fromScaled(1n, -12).toString(), '1n');
    assert.equal(Quantity.zero().isZero(), true);
  });

  test('addResourceLists', () => {
    const total = new Map<string, Quantity>();
    addResourceLists(total, { cpu: '100m', memory: '1Gi' });
    addResourceLists(total, { cpu: '900m', memory: '1Gi', 'nvidia.com/gpu': '1' });
    addResourceLists(total, undefined);
    assert.deepEqual(Object.fromEntries([...total].map(([k, v]) => [k, v.toString()])), { cpu: '1', memory: '2Gi', 'nvidia.com/gpu': '1' });
  });
});
