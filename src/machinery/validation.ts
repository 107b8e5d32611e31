// Format checks for names, label keys and values, ports and IP addresses, plus
// ObjectMeta validation. Messages and field paths follow upstream apimachinery word for
// word, because clients and tests match on them. Lengths are UTF-8 byte counts, as in Go.
import { field, type FieldError } from './errors.js';

// ---- message builders -----------------------------------------------------------------

function regexError(msg: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${re}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${re}')`;
}
/** Upstream has two wordings: "characters" for DNS names, "bytes" for label keys and values. */
const maxLenChars = (n: number) => `must be no more than ${n} characters`;
const maxLenBytes = (n: number) => `must be no more than ${n} bytes`;
const inclusiveRange = (lo: number, hi: number) => `must be between ${lo} and ${hi}, inclusive`;

/** UTF-8 length of a string, which is what Go's len() measures. */
export function byteLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 2; i++; } // surrogate pair: 2 UTF-16 units, 4 bytes
    else n += 2;
  }
  return n;
}

// ---- DNS names ------------------------------------------------------------------------

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const wildcardDNS1123SubdomainFmt = `\\*\\.${dns1123SubdomainFmt}`;
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const wildcardDNS1123SubdomainRe = new RegExp(`^${wildcardDNS1123SubdomainFmt}$`);

export const DNS1123LabelMaxLength = 63;
export const DNS1123SubdomainMaxLength = 253;
export const DNS1035LabelMaxLength = 63;

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123LabelMaxLength) errs.push(maxLenChars(DNS1123LabelMaxLength));
  if (!dns1123LabelRe.test(value)) {
    errs.push(dns1123SubdomainRe.test(value)
      ? 'must not contain dots'
      : regexError("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character", dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenChars(DNS1123SubdomainMaxLength));
  if (!dns1123SubdomainRe.test(value)) {
    errs.push(regexError("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", dns1123SubdomainFmt, 'example.com'));
  }
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1035LabelMaxLength) errs.push(maxLenChars(DNS1035LabelMaxLength));
  if (!dns1035LabelRe.test(value)) {
    errs.push(regexError("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character", dns1035LabelFmt, 'my-name', 'abc-123'));
  }
  return errs;
}

export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenChars(DNS1123SubdomainMaxLength));
  if (!wildcardDNS1123SubdomainRe.test(value)) {
    errs.push(regexError("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character", wildcardDNS1123SubdomainFmt, '*.example.com'));
  }
  return errs;
}

// ---- label keys and values ------------------------------------------------------------

const labelKeyFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelKeyErrMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelKeyRe = new RegExp(`^${labelKeyFmt}$`);
const labelValueFmt = `(${labelKeyFmt})?`;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
export const LabelValueMaxLength = 63;

/** A qualified name (label key, annotation key, finalizer): optional DNS-subdomain prefix and '/', then a name of at most 63 bytes. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [`a valid label key ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLenBytes(63)}`);
  if (!labelKeyRe.test(name)) errs.push(`name part ${regexError(labelKeyErrMsg, labelKeyFmt, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > LabelValueMaxLength) errs.push(maxLenBytes(LabelValueMaxLength));
  if (!labelValueRe.test(value)) {
    errs.push(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errs;
}

// ---- identifiers, keys, ports, percentages --------------------------------------------

const cIdentifierFmt = '[A-Za-z_][A-Za-z0-9_]*';
const cIdentifierRe = new RegExp(`^${cIdentifierFmt}$`);
export function isCIdentifier(value: string): string[] {
  return cIdentifierRe.test(value) ? [] : [regexError("a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'", cIdentifierFmt, 'my_name', 'MY_NAME', 'MyName')];
}

function chDirPrefixErrors(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const envVarNameRe = new RegExp(`^${envVarNameFmt}$`);
/** Container env var names (the strict, pre-relaxed rule). */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!envVarNameRe.test(value)) errs.push(regexError("a valid environment variable name must consist of alphabetic characters, digits, '_', '-',  or '.', and must not start with a digit", envVarNameFmt, 'my.env-name', 'MY_ENV.NAME', 'MyEnvName1'));
  return errs.concat(chDirPrefixErrors(value));
}

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);
/** Keys of ConfigMap and Secret data. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > DNS1123SubdomainMaxLength) errs.push(maxLenChars(DNS1123SubdomainMaxLength));
  if (!configMapKeyRe.test(value)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'));
  return errs.concat(chDirPrefixErrors(value));
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRange(1, 65535)];
}

export function isInRange(value: number, min: number, max: number): string[] {
  return value >= min && value <= max ? [] : [inclusiveRange(min, max)];
}

/** IANA_SVC_NAME: at most 15 characters, lowercase alphanumerics and single inner hyphens, at least one letter. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenChars(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port[0] === '-' || port[port.length - 1] === '-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function isValidPercent(percent: string): string[] {
  return /^[0-9]+%$/.test(percent) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", '[0-9]+%', '1%', '93%')];
}

export function isHTTPHeaderName(value: string): string[] {
  return /^[-A-Za-z0-9]+$/.test(value) ? [] : [regexError("a valid HTTP header must consist of alphanumeric characters or '-'", '[-A-Za-z0-9]+', 'X-Header-Name')];
}

/** Names used as a single URL path segment (the weakest name rule). */
export function isValidPathSegmentName(name: string, prefix = false): string[] {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
}

// ---- IP addresses ---------------------------------------------------------------------

export interface ParsedIP {
  /** 4 bytes for dotted IPv4, 16 for anything written in IPv6 syntax. */
  bytes: number[];
  /** True when some IPv4 octet or prefix length had a leading zero (accepted only by the legacy parser). */
  leadingZeros: boolean;
}

function parseIPv4Bytes(s: string): { bytes: number[]; leadingZeros: boolean } | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let leadingZeros = false;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    if (p.length > 1 && p[0] === '0') leadingZeros = true;
    bytes.push(n);
  }
  return { bytes, leadingZeros };
}

function parseIPv6Bytes(s: string): { bytes: number[]; leadingZeros: boolean } | null {
  let leadingZeros = false;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    // An embedded IPv4 tail stands for the last two groups; rewrite it in hex.
    const v4 = parseIPv4Bytes(s.slice(lastColon + 1));
    if (!v4) return null;
    leadingZeros = v4.leadingZeros;
    const [a, b, c, d] = v4.bytes;
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const groupsWanted = 8;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]);
  if (!head) return null;
  let groups: number[];
  if (halves.length === 2) {
    const rest = parseGroups(halves[1]);
    if (!rest || head.length + rest.length >= groupsWanted) return null;
    groups = [...head, ...new Array<number>(groupsWanted - head.length - rest.length).fill(0), ...rest];
  } else {
    if (head.length !== groupsWanted) return null;
    groups = head;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return { bytes, leadingZeros };
}

/** Parses an IPv4 or IPv6 address as upstream's legacy ("sloppy") parser does; zones are rejected. */
export function parseIP(value: string): ParsedIP | null {
  if (value.includes(':')) return parseIPv6Bytes(value);
  return parseIPv4Bytes(value);
}

function isV4Mapped(b: number[]): boolean {
  return b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

/** Go's net.IP String(): dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952 otherwise. */
export function formatIP(bytes: number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  if (isV4Mapped(bytes)) return bytes.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Strict IP validation for new fields: no leading zeros, no IPv4-mapped IPv6, canonical form. */
export function isValidIP(path: string, value: string): FieldError[] {
  const ip = parseIP(value);
  if (!ip) return [field.invalid(path, value, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)')];
  const errs: FieldError[] = [];
  if (ip.leadingZeros) errs.push(field.invalid(path, value, 'must not have leading 0s'));
  if (isV4Mapped(ip.bytes)) errs.push(field.invalid(path, value, 'must not be an IPv4-mapped IPv6 address'));
  if (errs.length) return errs;
  const canonical = formatIP(ip.bytes);
  return value === canonical ? [] : [field.invalid(path, value, `must be in canonical form (${JSON.stringify(canonical)})`)];
}

export interface ParsedCIDR {
  /** Address bytes as written (host bits kept). */
  ip: number[];
  prefixLength: number;
  /** Address bytes with host bits cleared. */
  network: number[];
  leadingZeros: boolean;
}

export function parseCIDR(value: string): ParsedCIDR | null {
  const slash = value.indexOf('/');
  if (slash < 0) return null;
  const ip = parseIP(value.slice(0, slash));
  const lenStr = value.slice(slash + 1);
  if (!ip || !/^[0-9]{1,10}$/.test(lenStr)) return null;
  const prefixLength = Number(lenStr);
  if (prefixLength > ip.bytes.length * 8) return null;
  const network = ip.bytes.map((b, i) => {
    const bits = Math.min(8, Math.max(0, prefixLength - i * 8));
    return b & ((0xff << (8 - bits)) & 0xff);
  });
  return { ip: ip.bytes, prefixLength, network, leadingZeros: ip.leadingZeros || (lenStr.length > 1 && lenStr[0] === '0') };
}

/** Go's net.IPNet String(): IPv4-mapped networks print as IPv4 with the prefix shortened by 96. */
export function formatCIDR(c: ParsedCIDR): string {
  if (isV4Mapped(c.network) && c.prefixLength >= 96) return `${formatIP(c.network)}/${c.prefixLength - 96}`;
  return `${formatIP(c.network)}/${c.prefixLength}`;
}

/** Strict CIDR validation for new fields. */
export function isValidCIDR(path: string, value: string): FieldError[] {
  const c = parseCIDR(value);
  if (!c) return [field.invalid(path, value, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  if (c.leadingZeros) return [field.invalid(path, value, 'must not have leading 0s in IP or prefix length')];
  if (isV4Mapped(c.ip)) return [field.invalid(path, value, 'must not have an IPv4-mapped IPv6 address')];
  if (c.ip.some((b, i) => b !== c.network[i])) return [field.invalid(path, value, 'must not have bits set beyond the prefix length')];
  const canonical = formatCIDR(c);
  return value === canonical ? [] : [field.invalid(path, value, `must be in canonical form (${JSON.stringify(canonical)})`)];
}

// ---- object names ---------------------------------------------------------------------

/** Validates a name, or a generateName prefix when `prefix` is true; returns messages. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** A generateName prefix may end in '-': validate it as if a generated suffix followed. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const nameIsPathSegment: NameValidator = (name, prefix) => isValidPathSegmentName(name, prefix);
export const validateNamespaceName = nameIsDNSLabel;

export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path-segment' | NameValidator;

function nameValidator(rule: NameRule): NameValidator {
  switch (rule) {
    case 'subdomain': return nameIsDNSSubdomain;
    case 'label': return nameIsDNSLabel;
    case 'dns1035': return nameIsDNS1035Label;
    case 'path-segment': return nameIsPathSegment;
    default: return rule;
  }
}

// ---- ObjectMeta -----------------------------------------------------------------------

export const FieldImmutableErrorMsg = 'field is immutable';
export const TotalAnnotationSizeLimitB = 256 * 1024;
export const FinalizerOrphanDependents = 'orphan';
export const FinalizerDeleteDependents = 'foregroundDeletion';

/** The ObjectMeta fields validation reads; structurally compatible with the API type. */
export interface ValidatedMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  deletionGracePeriodSeconds?: number | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: ReadonlyArray<{ apiVersion?: string; kind?: string; name?: string; uid?: string; controller?: boolean | null; blockOwnerDeletion?: boolean | null }> | null;
  finalizers?: readonly string[] | null;
  managedFields?: ReadonlyArray<{ manager?: string; operation?: string; fieldsType?: string; subresource?: string }> | null;
}

export function validateLabelName(name: string, path: string): FieldError[] {
  return isQualifiedName(name).map((m) => field.invalid(path, name, m));
}

/** Label errors are all reported on the map's path, as upstream does. */
export function validateLabels(labels: Record<string, string> | null | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!labels) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    if (typeof v !== 'string') { errs.push(field.invalid(path, v, 'must be a string')); continue; }
    for (const m of isValidLabelValue(v)) errs.push(field.invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | null | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!annotations) return errs;
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(field.invalid(path, k, m));
    total += byteLength(k) + (typeof v === 'string' ? byteLength(v) : 0);
  }
  if (total > TotalAnnotationSizeLimitB) errs.push(field.tooLong(path, '', TotalAnnotationSizeLimitB));
  return errs;
}

/** Splits "group/version" or "version"; undefined when malformed. */
function parseGroupVersion(gv: string): { group: string; version: string } | undefined {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: gv };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  return undefined;
}

export function validateOwnerReferences(refs: ValidatedMeta['ownerReferences'], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!refs) return errs;
  let firstController = '';
  refs.forEach((ref, i) => {
    const p = `${path}[${i}]`;
    const apiVersion = ref.apiVersion ?? '';
    const gv = parseGroupVersion(apiVersion);
    if (apiVersion === '') errs.push(field.required(`${p}.apiVersion`, 'must not be empty'));
    else if (!gv || gv.version === '') errs.push(field.invalid(`${p}.apiVersion`, apiVersion, 'must be <group>/<version> or <version>'));
    if (!ref.kind) errs.push(field.required(`${p}.kind`, 'must not be empty'));
    if (!ref.name) errs.push(field.required(`${p}.name`, 'must not be empty'));
    if (!ref.uid) errs.push(field.required(`${p}.uid`, 'must not be empty'));
    if (gv && gv.group === '' && gv.version === 'v1' && ref.kind === 'Event') {
      errs.push(field.invalid(p, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const name = `${ref.kind ?? ''}/${ref.name ?? ''}`;
      if (firstController) {
        errs.push(field.invalid(path, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`));
      } else {
        firstController = name;
      }
    }
  });
  return errs;
}

export function validateFinalizers(finalizers: readonly string[] | null | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!finalizers) return errs;
  for (const f of finalizers) for (const m of isQualifiedName(f)) errs.push(field.invalid(path, f, m));
  if (finalizers.includes(FinalizerOrphanDependents) && finalizers.includes(FinalizerDeleteDependents)) {
    errs.push(field.invalid(path, finalizers, `finalizer ${FinalizerOrphanDependents} and ${FinalizerDeleteDependents} cannot be both set`));
  }
  return errs;
}

export function validateManagedFields(entries: ValidatedMeta['managedFields'], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!entries) return errs;
  entries.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (!e.operation) errs.push(field.required(`${p}.operation`, 'must not be empty'));
    else if (e.operation !== 'Apply' && e.operation !== 'Update') errs.push(field.notSupported(`${p}.operation`, e.operation, ['Apply', 'Update']));
    if (e.fieldsType && e.fieldsType !== 'FieldsV1') errs.push(field.invalid(`${p}.fieldsType`, e.fieldsType, 'must be `FieldsV1`'));
    if (e.manager && byteLength(e.manager) > 128) errs.push(field.tooLong(`${p}.manager`, '', 128));
    if (e.subresource && byteLength(e.subresource) > 256) errs.push(field.tooLong(`${p}.subresource`, '', 256));
  });
  return errs;
}

export function validateNonnegativeField(value: number | undefined, path: string): FieldError[] {
  return value !== undefined && value < 0 ? [field.invalid(path, value, 'must be greater than or equal to 0')] : [];
}

/** Compares JSON-ish scalars and arrays; null and undefined are the same absent value. */
function sameValue(a: unknown, b: unknown): boolean {
  if ((a ?? null) === (b ?? null)) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function validateImmutableField(newVal: unknown, oldVal: unknown, path: string): FieldError[] {
  return sameValue(newVal, oldVal) ? [] : [field.invalid(path, newVal, FieldImmutableErrorMsg)];
}

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameFn: NameRule;
}

/**
 * Create-time ObjectMeta validation. Expects generateName to have been turned into a name
 * already when the caller generates names; an empty name is reported as required.
 */
export function validateObjectMeta(meta: ValidatedMeta | undefined, opts: ObjectMetaOptions, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const nameFn = nameValidator(opts.nameFn);
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of nameFn(m.generateName, true)) errs.push(field.invalid(`${path}.generateName`, m.generateName, msg));
  if (!m.name) errs.push(field.required(`${path}.name`, 'name or generateName is required'));
  else for (const msg of nameFn(m.name, false)) errs.push(field.invalid(`${path}.name`, m.name, msg));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(field.required(`${path}.namespace`));
    else for (const msg of validateNamespaceName(m.namespace, false)) errs.push(field.invalid(`${path}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(field.forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(m.generation, `${path}.generation`));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  errs.push(...validateManagedFields(m.managedFields, `${path}.managedFields`));
  return errs;
}

/** Renders a string list as Go's %#v does: []string{"a", "b"}. */
function goStringSlice(xs: string[]): string {
  return `[]string{${xs.map((x) => JSON.stringify(x)).join(', ')}}`;
}

/**
 * Update-time ObjectMeta validation: identity and timestamps are immutable, generation
 * may not go down, and a terminating object may not gain finalizers. The caller fills in
 * resourceVersion for unconditional updates before calling this.
 */
export function validateObjectMetaUpdate(newMeta: ValidatedMeta, oldMeta: ValidatedMeta, path = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const old = new Set(oldMeta.finalizers ?? []);
    const extra = [...new Set((newMeta.finalizers ?? []).filter((f) => !old.has(f)))].sort();
    if (extra.length) errs.push(field.forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`));
  }
  if (!newMeta.resourceVersion) errs.push(field.invalid(`${path}.resourceVersion`, newMeta.resourceVersion ?? '', 'must be specified for an update'));
  errs.push(...validateNonnegativeField(newMeta.generation, `${path}.generation`));
  if ((newMeta.generation ?? 0) < (oldMeta.generation ?? 0)) errs.push(field.invalid(`${path}.generation`, newMeta.generation ?? 0, 'must not be decremented'));
  errs.push(...validateImmutableField(newMeta.name ?? '', oldMeta.name ?? '', `${path}.name`));
  errs.push(...validateImmutableField(newMeta.namespace ?? '', oldMeta.namespace ?? '', `${path}.namespace`));
  errs.push(...validateImmutableField(newMeta.uid ?? '', oldMeta.uid ?? '', `${path}.uid`));
  errs.push(...validateImmutableField(newMeta.creationTimestamp, oldMeta.creationTimestamp, `${path}.creationTimestamp`));
  errs.push(...validateImmutableField(newMeta.deletionTimestamp, oldMeta.deletionTimestamp, `${path}.deletionTimestamp`));
  errs.push(...validateImmutableField(newMeta.deletionGracePeriodSeconds, oldMeta.deletionGracePeriodSeconds, `${path}.deletionGracePeriodSeconds`));
  errs.push(...validateLabels(newMeta.labels, `${path}.labels`));
  errs.push(...validateAnnotations(newMeta.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(newMeta.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateManagedFields(newMeta.managedFields, `${path}.managedFields`));
  return errs;
}
