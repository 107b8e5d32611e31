// OpenAPI v3 value validation of custom resources against a structural schema, reporting
// what upstream's CRD handler reports: each schema violation becomes a field error whose
// detail is the OpenAPI validator's sentence ("spec.replicas in body must be of type
// integer: \"string\""), plus list-type (set/map) uniqueness. CEL rules
// (x-kubernetes-validations) are not evaluated.
import { field, type FieldError } from '../errors.js';
import { deepEqual } from '../meta.js';
import { childSchema, isPlainObject, type JSONSchemaProps } from './types.js';

export interface ValidateOptions {
  /**
   * Field path the validated value sits at (e.g. "status" when a status schema validates
   * the status alone). Messages name paths relative to the value, as upstream's do.
   */
  fieldPrefix?: string;
  /** The value is a whole resource: apiVersion, kind and metadata are validated elsewhere unless the schema declares them. */
  resource?: boolean;
}

type JsType = 'null' | 'boolean' | 'string' | 'integer' | 'number' | 'array' | 'object';

function jsType(v: unknown): JsType {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'boolean': return 'boolean';
    case 'string': return 'string';
    case 'number': return Number.isInteger(v) ? 'integer' : 'number';
    default: return 'object';
  }
}

const regexCache = new Map<string, RegExp | null>();
function compile(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      re = null;
    }
    regexCache.set(pattern, re);
  }
  return re;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HOSTNAME = /^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;
const MAC = /^(?:[0-9A-Fa-f]{2}[:-]){5,19}[0-9A-Fa-f]{2}$|^(?:[0-9A-Fa-f]{4}\.){2,9}[0-9A-Fa-f]{4}$/;
const DURATION = /^(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$|^\d+\s*(?:ns|us|ms|s|m|h|d|w|[a-z]+)$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function validDate(y: string, m: string, d: string): boolean {
  const dt = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return dt.getUTCFullYear() === Number(y) && dt.getUTCMonth() === Number(m) - 1 && dt.getUTCDate() === Number(d);
}

function isIPv6(s: string): boolean {
  if (!s.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(s)) return false;
  const parts = s.split('::');
  if (parts.length > 2) return false;
  const groups = (p: string) => (p ? p.split(':') : []);
  const all = [...groups(parts[0]), ...(parts.length === 2 ? groups(parts[1]) : [])];
  let n = all.length;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    if (!IPV4.test(last)) return false;
    n += 1;
    all.pop();
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return parts.length === 2 ? n < 8 : n === 8;
}

/** Checks of the string formats upstream supports; unknown formats are not checked. Keys have '-' removed. */
const FORMATS: Record<string, (s: string) => boolean> = {
  byte: (s) => BASE64.test(s),
  date: (s) => {
    const m = DATE.exec(s);
    return !!m && validDate(m[1], m[2], m[3]);
  },
  datetime: (s) => {
    const m = DATE_TIME.exec(s);
    return !!m && validDate(m[1], m[2], m[3]) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60;
  },
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID.test(s) && s.replace(/-/g, '')[12] === '3',
  uuid4: (s) => UUID.test(s) && s.replace(/-/g, '')[12] === '4' && /[89ab]/i.test(s.replace(/-/g, '')[16]),
  uuid5: (s) => UUID.test(s) && s.replace(/-/g, '')[12] === '5' && /[89ab]/i.test(s.replace(/-/g, '')[16]),
  ipv4: (s) => IPV4.test(s),
  ipv6: isIPv6,
  cidr: (s) => {
    const [ip, bits, extra] = s.split('/');
    if (extra !== undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
    return IPV4.test(ip) ? Number(bits) <= 32 : isIPv6(ip) && Number(bits) <= 128;
  },
  hostname: (s) => HOSTNAME.test(s),
  email: (s) => EMAIL.test(s),
  uri: (s) => {
    try {
      return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) && !!new URL(s);
    } catch {
      return false;
    }
  },
  mac: (s) => MAC.test(s),
  duration: (s) => DURATION.test(s),
};

/** Go's %v of a JSON value in messages (numbers and strings as written; others as JSON). */
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Go's %#v of a list-map key object, as upstream prints duplicate keys. */
function goMapLiteral(key: Record<string, unknown>): string {
  const parts = Object.keys(key).sort().map((k) => `${JSON.stringify(k)}:${typeof key[k] === 'string' ? JSON.stringify(key[k]) : show(key[k])}`);
  return `map[string]interface {}{${parts.join(', ')}}`;
}

class Walker {
  readonly errs: FieldError[] = [];
  constructor(private prefix: string) {}

  /** The field path of an OpenAPI name ("spec.replicas", "" for the value itself). */
  path(name: string): string {
    if (!this.prefix) return name || '<nil>';
    return name ? `${this.prefix}.${name}` : this.prefix;
  }

  invalid(name: string, value: unknown, detail: string): void {
    this.errs.push(field.invalid(this.path(name), value, detail));
  }

  check(v: unknown, s: JSONSchemaProps, name: string, resourceRoot = false): void {
    const types = s['x-kubernetes-int-or-string'] ? ['integer', 'string'] : s.type ? [s.type] : [];
    const t = jsType(v);
    const label = name || '.';
    if (t === 'null') {
      if (types.length && !s.nullable) this.errs.push(field.typeInvalid(this.path(name), 'null', `${label} in body must be of type ${types.join(',')}: "null"`));
      return;
    }
    if (types.length && !(types.includes(t) || (t === 'integer' && types.includes('number')))) {
      this.errs.push(field.typeInvalid(this.path(name), t, `${label} in body must be of type ${types.join(',')}: "${t}"`));
      return;
    }
    this.composition(v, s, name);
    if (s.enum && !s.enum.some((e) => deepEqual(e, v))) {
      const allowed = s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
      this.errs.push(field.notSupported(this.path(name), v, allowed));
    }
    if (typeof v === 'string') this.string(v, s, label, name);
    else if (typeof v === 'number') this.number(v, s, label, name);
    else if (Array.isArray(v)) this.array(v, s, label, name);
    else if (isPlainObject(v)) this.object(v, s, label, name, resourceRoot);
  }

  private string(v: string, s: JSONSchemaProps, label: string, name: string): void {
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) {
      this.errs.push({ type: 'FieldValueTooLong', field: this.path(name), message: `Too long: may not be more than ${s.maxLength} ${s.maxLength === 1 ? 'byte' : 'bytes'}` });
    }
    if (s.minLength !== undefined && len < s.minLength) this.invalid(name, v, `${label} in body should be at least ${s.minLength} chars long`);
    if (s.pattern !== undefined && compile(s.pattern)?.test(v) === false) this.invalid(name, v, `${label} in body should match '${s.pattern}'`);
    const check = s.format ? FORMATS[s.format.replace(/-/g, '')] : undefined;
    if (check && !check(v)) this.errs.push(field.typeInvalid(this.path(name), v, `${label} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
  }

  private number(v: number, s: JSONSchemaProps, label: string, name: string): void {
    if (s.multipleOf !== undefined && s.multipleOf > 0 && !Number.isInteger(v / s.multipleOf)) {
      this.invalid(name, v, `${label} in body should be a multiple of ${s.multipleOf}`);
    }
    if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
      this.invalid(name, v, `${label} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`);
    }
    if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
      this.invalid(name, v, `${label} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`);
    }
  }

  private array(v: unknown[], s: JSONSchemaProps, label: string, name: string): void {
    if (s.minItems !== undefined && v.length < s.minItems) this.invalid(name, v.length, `${label} in body should have at least ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) {
      this.errs.push({ type: 'FieldValueTooMany', field: this.path(name), message: `Too many: ${v.length}: must have at most ${s.maxItems} ${s.maxItems === 1 ? 'item' : 'items'}` });
    }
    if (s.uniqueItems && v.some((x, i) => v.findIndex((y) => deepEqual(x, y)) !== i)) this.invalid(name, '', `${label} in body shouldn't contain duplicates`);
    if (s.items) v.forEach((x, i) => this.check(x, s.items!, `${name}[${i}]`));
    this.listType(v, s, name);
  }

  /** x-kubernetes-list-type set/map: duplicates are reported per index, after schema errors. */
  private listType(v: unknown[], s: JSONSchemaProps, name: string): void {
    const lt = s['x-kubernetes-list-type'];
    if (lt === 'set') {
      v.forEach((x, i) => {
        if (v.findIndex((y) => deepEqual(x, y)) !== i) this.errs.push(field.duplicate(this.path(`${name}[${i}]`), x));
      });
    } else if (lt === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      const seen: Record<string, unknown>[] = [];
      v.forEach((x, i) => {
        if (!isPlainObject(x)) return;
        const key: Record<string, unknown> = {};
        for (const k of keys) if (x[k] !== undefined) key[k] = x[k];
        if (seen.some((o) => deepEqual(o, key))) {
          this.errs.push({ type: 'FieldValueDuplicate', field: this.path(`${name}[${i}]`), message: `Duplicate value: ${goMapLiteral(key)}` });
        } else seen.push(key);
      });
    }
  }

  private object(v: Record<string, unknown>, s: JSONSchemaProps, label: string, name: string, resourceRoot: boolean): void {
    const n = Object.keys(v).length;
    if (s.maxProperties !== undefined && n > s.maxProperties) {
      this.errs.push({ type: 'FieldValueTooMany', field: this.path(name), message: `Too many: ${n}: must have at most ${s.maxProperties} ${s.maxProperties === 1 ? 'item' : 'items'}` });
    }
    if (s.minProperties !== undefined && n < s.minProperties) this.invalid(name, n, `${label} in body should have at least ${s.minProperties} properties`);
    const join = (k: string) => (name ? `${name}.${k}` : k);
    for (const k of s.required ?? []) if (v[k] === undefined) this.errs.push(field.required(this.path(join(k))));
    if (s['x-kubernetes-embedded-resource'] && !resourceRoot) {
      for (const k of ['apiVersion', 'kind']) if (typeof v[k] !== 'string' || v[k] === '') this.errs.push(field.required(this.path(join(k)), 'must not be empty'));
    }
    for (const [k, x] of Object.entries(v)) {
      const sub = childSchema(s, k);
      // apiVersion, kind and metadata of a resource are checked by the generic metadata rules.
      if (!sub || (resourceRoot && (k === 'apiVersion' || k === 'kind' || k === 'metadata') && !s.properties?.[k])) continue;
      this.check(x, sub, join(k));
    }
  }

  /** allOf / anyOf / oneOf / not; their own errors carry no field name, as upstream's. */
  private composition(v: unknown, s: JSONSchemaProps, name: string): void {
    const sub = (schema: JSONSchemaProps): FieldError[] => {
      const w = new Walker(this.prefix);
      w.check(v, schema, name);
      return w.errs;
    };
    const quoted = JSON.stringify(name || '.');
    if (s.allOf?.length) {
      const results = s.allOf.map(sub);
      const failed = results.filter((r) => r.length).length;
      results.forEach((r) => this.errs.push(...r));
      if (failed) this.invalid('', '', `${quoted} must validate all the schemas (allOf)${failed === results.length ? '. None validated' : ''}`);
    }
    if (s.anyOf?.length) {
      const results = s.anyOf.map(sub);
      if (!results.some((r) => !r.length)) {
        this.invalid('', '', `${quoted} must validate at least one schema (anyOf)`);
        this.errs.push(...results.reduce((a, b) => (b.length < a.length ? b : a)));
      }
    }
    if (s.oneOf?.length) {
      const results = s.oneOf.map(sub);
      const ok = results.filter((r) => !r.length).length;
      if (ok !== 1) {
        this.invalid('', '', `${quoted} must validate one and only one schema (oneOf). ${ok === 0 ? 'Found none valid' : `Found ${ok} valid alternatives`}`);
        if (ok === 0) this.errs.push(...results.reduce((a, b) => (b.length < a.length ? b : a)));
      }
    }
    if (s.not && !sub(s.not).length) this.invalid('', '', `${quoted} must not validate the schema (not)`);
  }
}

/** Field errors of `value` against `schema` (empty when valid). */
export function validateValue(value: unknown, schema: JSONSchemaProps, opts: ValidateOptions = {}): FieldError[] {
  const w = new Walker(opts.fieldPrefix ?? '');
  w.check(value, schema, '', opts.resource ?? false);
  return w.errs;
}
