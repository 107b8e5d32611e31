// apiextensions.k8s.io/v1: CustomResourceDefinition.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { isDNS1035Label, isDNS1123Subdomain, validateImmutableField } from '../../../machinery/validation.js';
import { CREATED_AT, asObj, asObjs, asStr, child, isObj, isSet, readSpec, setDefault, specOf, type Obj } from './util.js';

const SCOPES = ['Cluster', 'Namespaced'];

function validateNames(names: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const p = 'spec.names';
  for (const k of ['plural', 'singular']) {
    const v = asStr(names[k]);
    if (v && isDNS1035Label(v).length) errs.push(field.invalid(`${p}.${k}`, v, isDNS1035Label(v).join(',')));
  }
  for (const k of ['kind', 'listKind']) {
    const v = asStr(names[k]);
    const msgs = isDNS1035Label(v.toLowerCase());
    if (v && msgs.length) errs.push(field.invalid(`${p}.${k}`, v, `may have mixed case, but should otherwise match: ${msgs.join(',')}`));
  }
  for (const k of ['shortNames', 'categories']) {
    (Array.isArray(names[k]) ? names[k] : []).forEach((v, i) => {
      const msgs = isDNS1035Label(asStr(v));
      if (msgs.length) errs.push(field.invalid(`${p}.${k}[${i}]`, v, msgs.join(',')));
    });
  }
  if (asStr(names.kind) && names.kind === names.listKind) errs.push(field.invalid(`${p}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  for (const k of ['plural', 'singular', 'kind', 'listKind']) if (!asStr(names[k])) errs.push(field.required(`${p}.${k}`, ''));
  return errs;
}

function validateCRD(obj: KObject): FieldError[] {
  const spec = readSpec(obj);
  const names = asObj(spec.names);
  const group = asStr(spec.group);
  const errs: FieldError[] = [];
  if (obj.metadata.name !== `${asStr(names.plural)}.${group}`) {
    errs.push(field.invalid('metadata.name', obj.metadata.name ?? '', 'must be spec.names.plural+"."+spec.group'));
  }
  if (!group) errs.push(field.required('spec.group', ''));
  else if (isDNS1123Subdomain(group).length) errs.push(field.invalid('spec.group', group, isDNS1123Subdomain(group).join(',')));
  else if (group.split('.').length < 2) errs.push(field.invalid('spec.group', group, 'should be a domain with at least one dot'));
  if (!asStr(spec.scope)) errs.push(field.required('spec.scope', ''));
  else if (!SCOPES.includes(asStr(spec.scope))) errs.push(field.notSupported('spec.scope', spec.scope, SCOPES));
  const versions = asObjs(spec.versions);
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const name = asStr(v.name);
    if (seen.has(name)) unique = false;
    seen.add(name);
    const msgs = isDNS1035Label(name);
    if (msgs.length) errs.push(field.invalid(`spec.versions[${i}].name`, name, msgs.join(',')));
    if (!isObj(asObj(v.schema).openAPIV3Schema)) errs.push(field.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
  });
  if (!unique) errs.push(field.invalid('spec.versions', spec.versions, 'must contain unique version names'));
  if (versions.filter((v) => v.storage === true).length !== 1) {
    errs.push(field.invalid('spec.versions', spec.versions ?? null, 'must have exactly one version marked as storage version'));
  }
  return [...errs, ...validateNames(names)];
}

const isEstablished = (obj: KObject): boolean =>
  asObjs(asObj(obj.status).conditions).some((c) => c.type === 'Established' && c.status === 'True');

function validateCRDUpdate(obj: KObject, old: KObject): FieldError[] {
  const spec = readSpec(obj);
  const prev = readSpec(old);
  const errs = validateCRD(obj);
  // Scope and kind shape stored objects, so they freeze once the CRD is serving.
  if (isEstablished(old)) {
    errs.push(...validateImmutableField(spec.scope, prev.scope, 'spec.scope'));
    errs.push(...validateImmutableField(asObj(spec.names).kind, asObj(prev.names).kind, 'spec.names.kind'));
  }
  errs.push(...validateImmutableField(spec.group, prev.group, 'spec.group'));
  errs.push(...validateImmutableField(asObj(spec.names).plural, asObj(prev.names).plural, 'spec.names.plural'));
  return errs;
}

/** Records the storage version in status.storedVersions, as the API server does on every write. */
function recordStorageVersion(obj: KObject): void {
  const storage = asObjs(readSpec(obj).versions).find((v) => v.storage === true);
  const status = child(obj as Obj, 'status');
  const stored = Array.isArray(status.storedVersions) ? status.storedVersions.map(asStr) : [];
  if (storage && !stored.includes(asStr(storage.name))) stored.push(asStr(storage.name));
  status.storedVersions = stored;
}

const customResourceDefinitions: ResourceStrategy = {
  group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', singular: 'customresourcedefinition',
  namespaced: false, shortNames: ['crd', 'crds'], categories: ['api-extensions'], subresources: { status: true },
  defaults(obj) {
    const spec = specOf(obj);
    const names = child(spec, 'names');
    if (asStr(names.kind)) {
      setDefault(names, 'singular', asStr(names.kind).toLowerCase());
      setDefault(names, 'listKind', `${asStr(names.kind)}List`);
    }
    if (!isObj(spec.conversion)) spec.conversion = { strategy: 'None' };
    const service = asObj(asObj(asObj(asObj(spec.conversion).webhook).clientConfig).service);
    if (isSet(service.name)) setDefault(service, 'port', 443);
  },
  prepareForCreate(obj) {
    obj.status = { acceptedNames: { kind: '', plural: '' } };
    // Deleting a CRD first deletes its custom resources: the CRD controller holds this finalizer.
    const fin = obj.metadata.finalizers ?? [];
    if (!fin.includes('customresourcecleanup.apiextensions.k8s.io')) obj.metadata.finalizers = [...fin, 'customresourcecleanup.apiextensions.k8s.io'];
    recordStorageVersion(obj);
  },
  prepareForUpdate(obj, old) {
    // Main-resource writes keep the stored status; the new storage version is still recorded.
    obj.status = structuredClone(old.status);
    recordStorageVersion(obj);
  },
  validate: validateCRD,
  validateUpdate: validateCRDUpdate,
  columns: [CREATED_AT],
  row: (obj) => [obj.metadata.creationTimestamp ?? null],
};

export const apiextensionsResources: ResourceStrategy[] = [customResourceDefinitions];
