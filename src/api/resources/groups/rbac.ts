// rbac.authorization.k8s.io/v1: ClusterRoleBinding, ClusterRole, RoleBinding, Role.
import type { KObject, ResourceStrategy } from '../../types.js';
import { field, type FieldError } from '../../../machinery/errors.js';
import { deepEqual } from '../../../machinery/meta.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../../../machinery/validation.js';
import { AGE, CREATED_AT, age, asObj, asObjs, asStr, col, isObj, setDefault, type Obj } from './util.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const len = (v: unknown): number => (Array.isArray(v) ? v.length : 0);

function validateRules(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  asObjs(obj.rules).forEach((rule, i) => {
    const p = `rules[${i}]`;
    if (len(rule.verbs) === 0) errs.push(field.required(`${p}.verbs`, 'verbs must contain at least one value'));
    if (len(rule.nonResourceURLs) > 0) {
      if (namespaced) errs.push(field.invalid(`${p}.nonResourceURLs`, rule.nonResourceURLs, 'namespaced rules cannot apply to non-resource URLs'));
      if (len(rule.apiGroups) > 0 || len(rule.resources) > 0 || len(rule.resourceNames) > 0) {
        errs.push(field.invalid(`${p}.nonResourceURLs`, rule.nonResourceURLs, 'rules cannot apply to both regular resources and non-resource URLs'));
      }
      return;
    }
    if (len(rule.apiGroups) === 0) errs.push(field.required(`${p}.apiGroups`, 'resource rules must supply at least one api group'));
    if (len(rule.resources) === 0) errs.push(field.required(`${p}.resources`, 'resource rules must supply at least one resource'));
  });
  return errs;
}

function validateClusterRole(obj: KObject): FieldError[] {
  const errs = validateRules(obj, false);
  if (isObj(obj.aggregationRule) && len(obj.aggregationRule.clusterRoleSelectors) === 0) {
    errs.push(field.required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
  }
  return errs;
}

function validateSubject(s: Obj, path: string, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = asStr(s.name);
  if (!name) errs.push(field.required(`${path}.name`, ''));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) errs.push(...isDNS1123Subdomain(name).map((m) => field.invalid(`${path}.name`, name, m)));
      if (asStr(s.apiGroup) !== '') errs.push(field.notSupported(`${path}.apiGroup`, s.apiGroup, ['']));
      if (!namespaced && !asStr(s.namespace)) errs.push(field.required(`${path}.namespace`, ''));
      break;
    case 'User': case 'Group':
      if (s.apiGroup !== RBAC_GROUP) errs.push(field.notSupported(`${path}.apiGroup`, s.apiGroup ?? '', [RBAC_GROUP]));
      break;
    default:
      errs.push(field.notSupported(`${path}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(obj: KObject, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = asObj(obj.roleRef);
  if (ref.apiGroup !== RBAC_GROUP) errs.push(field.notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(asStr(ref.kind))) errs.push(field.notSupported('roleRef.kind', ref.kind ?? '', kinds));
  const name = asStr(ref.name);
  if (!name) errs.push(field.required('roleRef.name', ''));
  else errs.push(...isValidPathSegmentName(name).map((m) => field.invalid('roleRef.name', name, m)));
  asObjs(obj.subjects).forEach((s, i) => errs.push(...validateSubject(s, `subjects[${i}]`, namespaced)));
  return errs;
}

/** A binding's roleRef names what it grants, so it is fixed for the binding's lifetime. */
const roleRefUnchanged = (obj: KObject, old: KObject): FieldError[] =>
  deepEqual(obj.roleRef, old.roleRef) ? [] : [field.invalid('roleRef', obj.roleRef, 'cannot change roleRef')];

function defaultBinding(obj: KObject): void {
  if (isObj(obj.roleRef)) setDefault(obj.roleRef, 'apiGroup', RBAC_GROUP);
  for (const s of asObjs(obj.subjects)) {
    if (s.kind === 'User' || s.kind === 'Group') setDefault(s, 'apiGroup', RBAC_GROUP);
  }
}

const bindingColumns = (what: string) => [
  col('Role', 'string', 'The role this binding grants.'),
  AGE,
  col('Users', 'string', `Users in the ${what}`, 1),
  col('Groups', 'string', `Groups in the ${what}`, 1),
  col('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`, 1),
];

function bindingRow(obj: KObject, now: number): unknown[] {
  const ref = asObj(obj.roleRef);
  const subjects = asObjs(obj.subjects);
  const names = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => asStr(s.name)).join(', ');
  const sas = subjects.filter((s) => s.kind === 'ServiceAccount').map((s) => (asStr(s.namespace) ? `${asStr(s.namespace)}/${asStr(s.name)}` : asStr(s.name)));
  return [`${asStr(ref.kind)}/${asStr(ref.name)}`, age(obj, { now }), names('User'), names('Group'), sas.join(', ')];
}

const createdAtRow = (obj: KObject) => [obj.metadata.creationTimestamp ?? null];
const base = { group: RBAC_GROUP, version: 'v1' };

const clusterRoleBindings: ResourceStrategy = {
  ...base, kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', singular: 'clusterrolebinding', namespaced: false,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: (obj, old) => [...validateBinding(obj, false), ...roleRefUnchanged(obj, old)],
  columns: bindingColumns('clusterRoleBinding'),
  row: (obj, ctx) => bindingRow(obj, ctx.now),
};

const clusterRoles: ResourceStrategy = {
  ...base, kind: 'ClusterRole', plural: 'clusterroles', singular: 'clusterrole', namespaced: false,
  validate: validateClusterRole,
  validateUpdate: validateClusterRole,
  columns: [CREATED_AT],
  row: createdAtRow,
};

const roleBindings: ResourceStrategy = {
  ...base, kind: 'RoleBinding', plural: 'rolebindings', singular: 'rolebinding', namespaced: true,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: (obj, old) => [...validateBinding(obj, true), ...roleRefUnchanged(obj, old)],
  columns: bindingColumns('roleBinding'),
  row: (obj, ctx) => bindingRow(obj, ctx.now),
};

const roles: ResourceStrategy = {
  ...base, kind: 'Role', plural: 'roles', singular: 'role', namespaced: true,
  validate: (obj) => validateRules(obj, true),
  validateUpdate: (obj) => validateRules(obj, true),
  columns: [CREATED_AT],
  row: createdAtRow,
};

export const rbacResources: ResourceStrategy[] = [clusterRoleBindings, clusterRoles, roleBindings, roles];
