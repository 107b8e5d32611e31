// ConfigMap, Secret and ServiceAccount.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { asObj, asObjs, asStr, base64Decode, base64EncodeUtf8, base64Length, deepEqual, isBase64, isObj } from './util.js';
import { ageSince } from '../../../machinery/duration.js';
import { isConfigMapKey } from '../../../machinery/validation.js';
import { AGE_COLUMN } from './columns.js';

const MAX_SIZE = 1024 * 1024;
const IMMUTABLE_SET = 'field is immutable when `immutable` is set';
const REDACTED = '<secret contents redacted>';

function validateKeys(data: unknown, path: string, errs: FieldError[]): void {
  for (const key of Object.keys(asObj(data))) {
    for (const m of isConfigMapKey(key)) errs.push(field.invalid(`${path}[${key}]`, key, m));
  }
}

/** Upstream's rule for objects marked `immutable: true`: contents and the flag itself are frozen. */
function validateImmutable(obj: KObject, old: KObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(field.forbidden('immutable', IMMUTABLE_SET));
  for (const f of fields) if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) errs.push(field.forbidden(f, IMMUTABLE_SET));
  return errs;
}

function validateConfigMap(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  validateKeys(obj.data, 'data', errs);
  validateKeys(obj.binaryData, 'binaryData', errs);
  const data = asObj(obj.data);
  let size = 0;
  for (const v of Object.values(data)) size += new TextEncoder().encode(asStr(v)).length;
  for (const [k, v] of Object.entries(asObj(obj.binaryData))) {
    if (k in data) errs.push(field.invalid(`binaryData[${k}]`, k, 'duplicate of key present in data'));
    if (!isBase64(asStr(v))) errs.push(field.invalid(`binaryData[${k}]`, '<binary data>', 'illegal base64 data'));
    else size += base64Length(asStr(v));
  }
  if (size > MAX_SIZE) errs.push(field.tooLong('data', '', MAX_SIZE));
  return errs;
}

export const configMapStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true,
  shortNames: ['cm'],
  validate: validateConfigMap,
  validateUpdate: (obj, old) => [...validateConfigMap(obj), ...validateImmutable(obj, old, ['data', 'binaryData'])],
  columns: [{ name: 'Data', type: 'string', description: 'Number of entries in data and binaryData.', priority: 0 }, AGE_COLUMN],
  row: (obj, ctx) => [Object.keys(asObj(obj.data)).length + Object.keys(asObj(obj.binaryData)).length, ageSince(obj.metadata.creationTimestamp, ctx.now)],
};

/** Keys each well-known secret type must carry in data. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

function decodeUtf8(b64: string): string {
  return new TextDecoder().decode(base64Decode(b64));
}

function validateSecret(obj: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = asObj(obj.data);
  validateKeys(data, 'data', errs);
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    if (!isBase64(asStr(v))) errs.push(field.invalid(`data[${k}]`, REDACTED, 'illegal base64 data'));
    else size += base64Length(asStr(v));
  }
  if (size > MAX_SIZE) errs.push(field.tooLong('data', '', MAX_SIZE));
  const type = asStr(obj.type);
  if (type === 'kubernetes.io/service-account-token' && !asStr(obj.metadata.annotations?.['kubernetes.io/service-account.name'])) {
    errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(field.required('data[username]', ''), field.required('data[password]', ''));
  }
  for (const key of REQUIRED_KEYS[type] ?? []) {
    if (!(key in data)) errs.push(field.required(`data[${key}]`, ''));
  }
  for (const key of ['.dockercfg', '.dockerconfigjson']) {
    const v = asStr(data[key]);
    if (REQUIRED_KEYS[type]?.[0] !== key || !isBase64(v)) continue;
    try {
      JSON.parse(decodeUtf8(v));
    } catch (e) {
      errs.push(field.invalid(`data[${key}]`, REDACTED, (e as Error).message));
    }
  }
  return errs;
}

export const secretStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true,
  defaults(obj) {
    if (!asStr(obj.type)) obj.type = 'Opaque';
    // stringData is write-only: its entries are base64-encoded into data (overwriting) and dropped.
    if (isObj(obj.stringData)) {
      const data = asObj(obj.data);
      for (const [k, v] of Object.entries(obj.stringData)) data[k] = base64EncodeUtf8(asStr(v));
      obj.data = data;
    }
    delete obj.stringData;
  },
  validate: validateSecret,
  validateUpdate(obj, old) {
    const errs = validateSecret(obj);
    if (obj.type !== old.type) errs.push(field.invalid('type', obj.type ?? '', 'field is immutable'));
    return [...errs, ...validateImmutable(obj, old, ['data'])];
  },
  columns: [
    { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.', priority: 0 },
    { name: 'Data', type: 'string', description: 'Number of entries in data.', priority: 0 },
    AGE_COLUMN,
  ],
  row: (obj, ctx) => [asStr(obj.type), Object.keys(asObj(obj.data)).length, ageSince(obj.metadata.creationTimestamp, ctx.now)],
  fieldSelectors: { type: (o) => asStr(o.type) },
};

export const serviceAccountStrategy: ResourceStrategy = {
  group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true,
  shortNames: ['sa'],
  validate(obj) {
    const errs: FieldError[] = [];
    asObjs(obj.secrets).forEach((s, i) => { if (!asStr(s.name)) errs.push(field.required(`secrets[${i}].name`, '')); });
    return errs;
  },
  columns: [{ name: 'Secrets', type: 'string', description: 'Number of secrets this service account references.', priority: 0 }, AGE_COLUMN],
  row: (obj, ctx) => [asObjs(obj.secrets).length, ageSince(obj.metadata.creationTimestamp, ctx.now)],
};
