// resource.Quantity: exact decimal amounts with SI / binary suffixes ("100m", "1Gi",
// "12e6"). A value is `unscaled * 10^exp` with exp >= -9 (parsing rounds finer values up
// to nano units, away from zero). The serialized form is canonical except where upstream
// keeps the input text verbatim (simple inputs already in a normal form), so that stored
// objects read back byte-for-byte like upstream's.

export type QuantityFormat = 'DecimalExponent' | 'BinarySI' | 'DecimalSI';

export const QUANTITY_REGEX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const ErrFormatWrong = `quantities must match the regular expression '${QUANTITY_REGEX}'`;
export const ErrNumeric = 'unable to parse numeric part of quantity';
export const ErrSuffix = "unable to parse quantity's suffix";

/** Parse failure; `message` is one of ErrFormatWrong, ErrNumeric, ErrSuffix. */
export class QuantityError extends Error {}

const MAX_INT64 = 2n ** 63n - 1n;
const NANO = -9;

const decSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binSuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decByExp = new Map(Object.entries(decSuffixes).map(([s, e]) => [e, s]));
const binByExp = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const pow10Cache: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) return (pow10Cache[n] ??= 10n ** BigInt(n));
  return 10n ** BigInt(n);
}
const abs = (v: bigint) => (v < 0n ? -v : v);

function digitCount(v: bigint): number {
  return v === 0n ? 1 : abs(v).toString().length;
}

function interpretSuffix(s: string): { base: 2 | 10; exponent: number; format: QuantityFormat } | undefined {
  if (s in decSuffixes) return { base: 10, exponent: decSuffixes[s], format: 'DecimalSI' };
  if (s in binSuffixes) return { base: 2, exponent: binSuffixes[s], format: 'BinarySI' };
  if (s.length > 1 && (s[0] === 'e' || s[0] === 'E') && /^[+-]?[0-9]+$/.test(s.slice(1))) {
    const e = Number(s.slice(1));
    if (Number.isSafeInteger(e) && Math.abs(e) <= 2 ** 31 - 1) return { base: 10, exponent: e, format: 'DecimalExponent' };
  }
  return undefined;
}

/** Splits "-1.5Gi" into sign, digits before and after the point, and suffix, exactly as upstream scans it. */
function scan(str: string): { positive: boolean; value: string; num: string; denom: string; suffix: string } {
  const isDigit = (c: string) => c >= '0' && c <= '9';
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') { positive = false; pos++; } else if (str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num, denom: '', suffix: '' };
  pos = i;
  if (num === '') num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i])) i++;
  if (i < end && (str[i] === '-' || str[i] === '+')) i++;
  while (i < end && isDigit(str[i])) i++;
  if (i < end) throw new QuantityError(ErrFormatWrong);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

/** Parses "[+-]digits[.digits]" into unscaled * 10^exp. */
function parseDecimal(value: string): { unscaled: bigint; exp: number } | undefined {
  const m = /^([+-]?)([0-9]*)(?:\.([0-9]*))?$/.exec(value);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  const unscaled = BigInt(`${m[2]}${frac}` || '0');
  return { unscaled: m[1] === '-' ? -unscaled : unscaled, exp: -frac.length };
}

export class Quantity {
  /** The value is unscaled * 10^exp. */
  private constructor(
    readonly unscaled: bigint,
    readonly exp: number,
    readonly format: QuantityFormat,
    /** Input text kept verbatim for serialization, when upstream would keep it. */
    private readonly text?: string,
  ) {}

  static parse(str: string): Quantity {
    if (str.length === 0) throw new QuantityError(ErrFormatWrong);
    if (str === '0') return new Quantity(0n, 0, 'DecimalSI', '0');
    const { positive, value, num, denom, suffix } = scan(str);
    const sfx = interpretSuffix(suffix);
    if (!sfx) throw new QuantityError(ErrSuffix);
    const { base, exponent } = sfx;
    let format = sfx.format;

    // Small inputs: an exact int64 amount; the text is kept when already in normal form.
    let precision: number;
    let scale = 0;
    let mantissa = 1n;
    if (format === 'BinarySI') {
      if (exponent >= 0 && denom.length === 0) {
        mantissa = 1n << BigInt(exponent);
        precision = 15 - num.length - Math.trunc((exponent * 3) / 10) - 1;
      } else {
        precision = -1;
      }
    } else {
      scale = exponent;
      precision = 18 - (num.length + denom.length);
    }
    if (precision >= 0) {
      scale -= denom.length;
      if (scale >= NANO) {
        const shifted = num + denom;
        const v = BigInt(shifted);
        const product = v * mantissa;
        if (product <= MAX_INT64) {
          const keep = format === 'BinarySI'
            ? exponent % 10 === 0 && (v & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
          return new Quantity(positive ? product : -product, scale, format, keep ? str : undefined);
        }
      }
    }

    const d = parseDecimal(value);
    if (!d) throw new QuantityError(ErrNumeric);
    let unscaled = abs(d.unscaled);
    let exp = d.exp;
    if (base === 10) exp += exponent;
    else unscaled <<= BigInt(exponent);
    if (exp < NANO) {
      const div = pow10(NANO - exp);
      unscaled = (unscaled + div - 1n) / div;
      exp = NANO;
    }
    if (format === 'BinarySI') {
      const limit = exp >= 0 ? MAX_INT64 : MAX_INT64 * pow10(-exp); // compared at the same exponent
      if ((exp >= 0 ? unscaled * pow10(exp) : unscaled) > limit) { unscaled = MAX_INT64; exp = 0; }
      else if (unscaled !== 0n && exp < 0 && unscaled < pow10(-exp)) format = 'DecimalSI';
    }
    return new Quantity(d.unscaled < 0n ? -unscaled : unscaled, exp, format);
  }

  /** Like parse, but returns the error message instead of throwing. */
  static tryParse(str: string): Quantity | QuantityError {
    try { return Quantity.parse(str); } catch (e) {
      if (e instanceof QuantityError) return e;
      throw e;
    }
  }

  /** Decodes a JSON value (string or number) the way Quantity.UnmarshalJSON does. */
  static fromJSON(v: unknown): Quantity {
    if (typeof v === 'number' && Number.isFinite(v)) return Quantity.parse(String(v));
    if (typeof v === 'string') return Quantity.parse(v.trim());
    throw new QuantityError(ErrFormatWrong);
  }

  /** `units * 10^scale`, e.g. fromScaled(250n, -3) is 250m. */
  static fromScaled(units: bigint | number, scale: number, format: QuantityFormat = 'DecimalSI'): Quantity {
    let u = BigInt(units);
    let e = scale;
    if (e < NANO) {
      const div = pow10(NANO - e);
      const a = abs(u);
      u = (u < 0n ? -1n : 1n) * ((a + div - 1n) / div);
      e = NANO;
    }
    return new Quantity(u, e, format);
  }
  static fromValue(units: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity { return Quantity.fromScaled(units, 0, format); }
  static fromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity { return Quantity.fromScaled(milli, -3, format); }
  static zero(format: QuantityFormat = 'DecimalSI'): Quantity { return new Quantity(0n, 0, format); }

  isZero(): boolean { return this.unscaled === 0n; }
  sign(): -1 | 0 | 1 { return this.unscaled < 0n ? -1 : this.unscaled > 0n ? 1 : 0; }

  cmp(other: Quantity): -1 | 0 | 1 {
    const sa = this.sign(), sb = other.sign();
    if (sa !== sb || sa === 0) return sa < sb ? -1 : sa > sb ? 1 : 0;
    // Same sign: compare orders of magnitude first so huge exponents never materialize.
    const ma = digitCount(this.unscaled) + this.exp, mb = digitCount(other.unscaled) + other.exp;
    if (ma !== mb) return (ma > mb) === (sa > 0) ? 1 : -1;
    const [a, b] = align(this, other);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  equal(other: Quantity): boolean { return this.cmp(other) === 0; }

  /** Sum; the format is this one's unless this is zero (upstream Add). */
  add(other: Quantity): Quantity {
    const [a, b, exp] = align(this, other);
    return new Quantity(a + b, exp, this.isZero() ? other.format : this.format);
  }
  sub(other: Quantity): Quantity {
    const [a, b, exp] = align(this, other);
    return new Quantity(a - b, exp, this.isZero() ? other.format : this.format);
  }
  neg(): Quantity { return new Quantity(-this.unscaled, this.exp, this.format); }
  /** Multiplies by an integer. */
  mul(n: bigint | number): Quantity { return new Quantity(this.unscaled * BigInt(n), this.exp, this.format); }

  /** The value in units of 10^scale, rounded away from zero, saturated to the int64 range (upstream ScaledValue). */
  scaledValue(scale: number): bigint {
    const d = this.exp - scale;
    if (d >= 0) {
      if (this.unscaled === 0n) return 0n;
      if (digitCount(this.unscaled) + d > 19) return this.unscaled < 0n ? -(MAX_INT64 + 1n) : MAX_INT64;
      const v = this.unscaled * pow10(d);
      return v > MAX_INT64 ? MAX_INT64 : v < -(MAX_INT64 + 1n) ? -(MAX_INT64 + 1n) : v;
    }
    const div = pow10(-d);
    const q = this.unscaled / div;
    if (q * div === this.unscaled) return q;
    return this.unscaled > 0n ? q + 1n : q - 1n;
  }
  /** Whole units, rounded up (away from zero), e.g. "1500m" -> 2n. */
  value(): bigint { return this.scaledValue(0); }
  /** Milli-units, rounded up (away from zero), e.g. "0.5" -> 500n. */
  milliValue(): bigint { return this.scaledValue(-3); }
  /** Approximate float value, for scoring and display only. */
  toNumber(): number { return Number(this.unscaled) * 10 ** this.exp; }

  /** Serialized form: the kept input text, else canonical. */
  toString(): string { return this.text ?? this.canonical(); }
  toJSON(): string { return this.toString(); }

  /** Canonical text: smallest integer mantissa with the largest suffix of the quantity's format. */
  canonical(): string {
    if (this.unscaled === 0n) return '0';
    let format = this.format;
    if (format === 'BinarySI') {
      const whole = this.wholeValue();
      if (whole === undefined || abs(whole) < 1024n) format = 'DecimalSI';
      else {
        let m = whole;
        let times = 0;
        while (times < binByExp.length - 1 && m % 1024n === 0n) { m /= 1024n; times++; }
        return `${m}${binByExp[times]}`;
      }
    }
    let m = this.unscaled;
    let e = this.exp;
    while (m % 10n === 0n) { m /= 10n; e++; }
    const r = ((e % 3) + 3) % 3;
    if (r) { m *= pow10(r); e -= r; }
    if (format === 'DecimalExponent') return e === 0 ? `${m}` : `${m}e${e}`;
    if (e > 18) { m *= pow10(e - 18); e = 18; }
    return `${m}${decByExp.get(e) ?? ''}`;
  }

  /** The exact integer value, or undefined when there is a fractional part. */
  private wholeValue(): bigint | undefined {
    if (this.exp >= 0) return this.unscaled * pow10(this.exp);
    const div = pow10(-this.exp);
    return this.unscaled % div === 0n ? this.unscaled / div : undefined;
  }
}

/** Both unscaled values at the smaller exponent. */
function align(a: Quantity, b: Quantity): [bigint, bigint, number] {
  if (a.exp === b.exp) return [a.unscaled, b.unscaled, a.exp];
  if (a.exp > b.exp) return [a.unscaled * pow10(a.exp - b.exp), b.unscaled, b.exp];
  return [a.unscaled, b.unscaled * pow10(b.exp - a.exp), a.exp];
}

export function parseQuantity(str: string): Quantity {
  return Quantity.parse(str);
}

/** The form the API server stores and returns for a quantity field's JSON value. */
export function canonicalizeQuantity(v: unknown): string {
  return Quantity.fromJSON(v).toString();
}

/** Sums a resource list ({cpu: "100m", memory: "1Gi"}) into `into`, per key. */
export function addResourceLists(into: Map<string, Quantity>, list: Readonly<Record<string, unknown>> | null | undefined): Map<string, Quantity> {
  if (!list) return into;
  for (const [k, v] of Object.entries(list)) {
    const q = Quantity.fromJSON(v);
    const cur = into.get(k);
    into.set(k, cur ? cur.add(q) : q);
  }
  return into;
}
