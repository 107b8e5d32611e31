// Structural schemas of custom resources (apiextensions.k8s.io/v1 openAPIV3Schema):
// a SchemaNode view, validation, defaulting, pruning, and the JSONPath subset printer
// columns use. CEL rules (x-kubernetes-validations) are not evaluated.
import { isPlainObject, type JSONSchemaProps } from './types.js';

export { applyDefaults } from './defaults.js';
export { compileJsonPath, formatJsonPathValue, jsonPathValues, type JsonPath } from './jsonpath.js';
export { resourceSchemaNode, schemaNode } from './node.js';
export { prune } from './prune.js';
export { childSchema, isPlainObject, OBJECT_META_FIELDS, type JSONSchemaProps } from './types.js';
export { validateValue, type ValidateOptions } from './validate.js';

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * The main reasons a schema is not structural (a light subset of upstream's checks): every
 * node has a type unless preserve-unknown-fields, int-or-string or embedded-resource says
 * otherwise; arrays have items; properties and additionalProperties do not mix.
 */
export function structuralViolations(s: unknown, path = 'openAPIV3Schema'): string[] {
  if (!isPlainObject(s)) return [`${path}: must be an object`];
  const p = s as JSONSchemaProps;
  const out: string[] = [];
  if (p.type === undefined) {
    if (!p['x-kubernetes-preserve-unknown-fields'] && !p['x-kubernetes-int-or-string'] && !p['x-kubernetes-embedded-resource']) out.push(`${path}.type: Required value: must not be empty for specified object fields`);
  } else if (!TYPES.has(p.type)) out.push(`${path}.type: Unsupported value: ${JSON.stringify(p.type)}`);
  if (p.type === 'array' && !isPlainObject(p.items)) out.push(`${path}.items: Required value: must be specified`);
  if (p.properties && isPlainObject(p.additionalProperties)) out.push(`${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
  for (const [k, v] of Object.entries(p.properties ?? {})) out.push(...structuralViolations(v, `${path}.properties[${k}]`));
  if (isPlainObject(p.additionalProperties)) out.push(...structuralViolations(p.additionalProperties, `${path}.additionalProperties`));
  if (p.items !== undefined) out.push(...structuralViolations(p.items, `${path}.items`));
  return out;
}
