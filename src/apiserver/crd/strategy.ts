// The ResourceStrategy of one served version of a CustomResourceDefinition: structural
// validation, defaulting and pruning, status/scale subresources, printer columns and
// selectable fields, all derived from the CRD's spec.
import type { KObject, ResourceStrategy, ScaleSubresource, TableColumn } from '../../api/types.js';
import { ageSince } from '../../machinery/duration.js';
import { errors, field, type FieldError } from '../../machinery/errors.js';
import { jsonPathGet } from '../../machinery/meta.js';
import {
  applyDefaults, compileJsonPath, formatJsonPathValue, isPlainObject, prune, validateValue, type JSONSchemaProps, type JsonPath,
} from '../../machinery/structural/index.js';

/** apiextensions.k8s.io/v1 CustomResourceDefinitionNames. */
export interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** apiextensions.k8s.io/v1 CustomResourceDefinitionVersion (the parts served). */
export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

export interface VersionContext {
  spec: CrdSpec;
  version: CrdVersion;
  storageVersion: string;
  /** True while the CRD is being deleted: new objects are refused. */
  terminating(): boolean;
}

const MAX_INT32 = 2147483647;
const COLUMN_TYPES = new Set(['integer', 'number', 'boolean', 'string', 'date']);

/** Upstream's default when a version lists no printer columns. */
const DEFAULT_COLUMNS: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }];

/** A printer-column cell, typed as upstream's table convertor types it. */
function cell(type: string, v: unknown, now: number): unknown {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'string': return formatJsonPathValue(v);
    case 'integer': return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number': return typeof v === 'number' ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    case 'date': return typeof v === 'string' ? (Number.isNaN(Date.parse(v)) ? '<invalid>' : ageSince(v, now)) : null;
    default: return null;
  }
}

function goTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Replica counts at the scale paths must be non-negative int32s (upstream's scale checks). */
function replicasErrors(obj: KObject, path: string): FieldError[] {
  const v = jsonPathGet(obj, path);
  if (v === undefined) return [];
  const trimmed = path.replace(/^\./, '');
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    return [field.invalid(path, 0, `${trimmed} accessor error: ${formatJsonPathValue(v)} is of the type ${goTypeName(v)}, expected int64`)];
  }
  if (v < 0) return [field.invalid(path, v, 'should be a non-negative integer')];
  if (v > MAX_INT32) return [field.invalid(path, v, `should be less than or equal to ${MAX_INT32}`)];
  return [];
}

function labelSelectorErrors(obj: KObject, path: string | undefined): FieldError[] {
  if (!path) return [];
  const v = jsonPathGet(obj, path);
  if (v === undefined || typeof v === 'string') return [];
  return [field.invalid(path, '', `${path.replace(/^\./, '')} accessor error: ${formatJsonPathValue(v)} is of the type ${goTypeName(v)}, expected string`)];
}

/** Builds the strategy serving `ctx.version` of a CRD. Throws when a printer column's JSONPath does not parse. */
export function customResourceStrategy(ctx: VersionContext): ResourceStrategy {
  const { spec, version } = ctx;
  const names = spec.names;
  const schema = version.schema?.openAPIV3Schema;
  const statusSchema = schema?.properties?.status;
  const scale = version.subresources?.scale;
  const hasStatus = isPlainObject(version.subresources?.status);
  const storageApiVersion = `${spec.group}/${ctx.storageVersion}`;

  const columnDefs = version.additionalPrinterColumns?.length ? version.additionalPrinterColumns : DEFAULT_COLUMNS;
  const columns: { def: TableColumn; path: JsonPath }[] = columnDefs.map((c) => ({
    def: {
      name: c.name,
      type: (COLUMN_TYPES.has(c.type) ? c.type : 'string') as TableColumn['type'],
      format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`,
      priority: c.priority ?? 0,
    },
    path: compileJsonPath(c.jsonPath),
  }));

  const fieldSelectors: ResourceStrategy['fieldSelectors'] = {};
  for (const f of version.selectableFields ?? []) {
    const path = compileJsonPath(f.jsonPath);
    fieldSelectors[f.jsonPath.replace(/^\./, '')] = (obj) => {
      const v = path(obj)[0];
      return v === undefined || v === null ? undefined : formatJsonPathValue(v);
    };
  }

  const validateMain = (obj: KObject): FieldError[] => [
    ...(schema ? validateValue(obj, schema, { resource: true }) : []),
    ...(scale ? [...replicasErrors(obj, scale.specReplicasPath), ...replicasErrors(obj, scale.statusReplicasPath), ...labelSelectorErrors(obj, scale.labelSelectorPath)] : []),
  ];

  return {
    group: spec.group,
    version: version.name,
    kind: names.kind,
    plural: names.plural,
    singular: names.singular || names.kind.toLowerCase(),
    listKind: names.listKind || `${names.kind}List`,
    namespaced: spec.scope === 'Namespaced',
    shortNames: names.shortNames,
    categories: names.categories,
    subresources: { status: hasStatus, scale },
    generation: true,
    defaults(obj) {
      if (!schema) return;
      applyDefaults(obj, schema);
      // Defaults may only add known fields; anything else is dropped as on decode.
      prune(obj, schema);
    },
    prepareForCreate(obj) {
      if (ctx.terminating()) throw errors.methodNotAllowed('create not allowed while custom resource definition is terminating');
      if (hasStatus) delete obj.status;
      obj.apiVersion = storageApiVersion;
    },
    prepareForUpdate(obj) {
      obj.apiVersion = storageApiVersion;
    },
    validate: validateMain,
    validateUpdate: validateMain,
    validateStatusUpdate(obj) {
      const errs: FieldError[] = [];
      if (statusSchema && obj.status !== undefined) errs.push(...validateValue(obj.status, statusSchema, { fieldPrefix: 'status' }));
      if (scale) errs.push(...replicasErrors(obj, scale.statusReplicasPath), ...labelSelectorErrors(obj, scale.labelSelectorPath));
      return errs;
    },
    columns: columns.map((c) => c.def),
    row: (obj, { now }) => columns.map((c) => cell(c.def.type, c.path(obj)[0], now)),
    fieldSelectors,
  };
}
