// The shape of every built-in Kubernetes type, from the generated registry table. One
// source of truth for protobuf decoding, OpenAPI, unknown-field detection and strategic
// merge patch metadata.
import type { SchemaNode } from '../../machinery/schema.js';
import { REGISTRY } from './registry.generated.js';
import type { FieldDef, MessageDef, RegistryTable } from './table.js';

export type { FieldDef, MessageDef, PackageDef, RegistryTable, ScalarType, SpecialForm } from './table.js';
export { REGISTRY };

export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';

const gvKey = (group: string, version: string): string => (group === '' ? version : `${group}/${version}`);

export function messageDef(name: string): MessageDef | undefined {
  return Object.hasOwn(REGISTRY.messages, name) ? REGISTRY.messages[name] : undefined;
}

/**
 * The message name of a kind, e.g. ("apps","v1","Deployment") -> "io.k8s.api.apps.v1.Deployment".
 * Kinds shared by every group/version (DeleteOptions, Status, ...) resolve to meta/v1.
 */
export function messageForKind(group: string, version: string, kind: string): string | undefined {
  const own = REGISTRY.kinds[gvKey(group, version)];
  if (own && Object.hasOwn(own, kind)) return own[kind];
  const meta = REGISTRY.kinds['meta.k8s.io/v1'];
  return Object.hasOwn(meta, kind) ? meta[kind] : undefined;
}

/** Group/versions that have kinds in the registry ("v1", "apps/v1", ...), meta.k8s.io excluded. */
export function servedGroupVersions(table: RegistryTable = REGISTRY): string[] {
  return Object.keys(table.kinds).filter((gv) => gv !== 'meta.k8s.io/v1');
}

export interface JsonField {
  /** The field as declared (possibly in an inline-embedded message). */
  field: FieldDef;
  /** The message declaring it. */
  owner: string;
}

const jsonFieldCache = new Map<string, Map<string, JsonField>>();

/** JSON property name -> field, with inline-embedded messages flattened, in declaration order. */
export function jsonFields(message: string): Map<string, JsonField> {
  let out = jsonFieldCache.get(message);
  if (out) return out;
  out = new Map();
  const def = messageDef(message);
  if (def) {
    for (const f of def.f) {
      if (f.in) for (const [k, v] of jsonFields(f.t)) out.set(k, v);
      else out.set(f.n, { field: f, owner: message });
    }
  }
  jsonFieldCache.set(message, out);
  return out;
}

type NodeType = SchemaNode['type'];

const SCALAR_NODE: Record<string, NodeType> = {
  string: 'string', bytes: 'string', bool: 'boolean', double: 'number', float: 'number',
  int32: 'integer', int64: 'integer', uint32: 'integer', uint64: 'integer',
};

interface Attrs {
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';
}

const TYPE_META: FieldDef[] = [{ n: 'apiVersion', i: 0, t: 'string', o: 1 }, { n: 'kind', i: 0, t: 'string', o: 1 }];

class Node implements SchemaNode {
  readonly patchStrategy?: string;
  readonly patchMergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: string[];
  readonly mapType?: 'atomic' | 'granular';
  readonly preserveUnknown?: boolean;

  constructor(
    readonly type: NodeType,
    /** Message name for 'object' nodes over a registry message. */
    private readonly message: string | undefined,
    private readonly element: (() => SchemaNode) | undefined,
    attrs: Attrs,
    preserveUnknown = false,
  ) {
    Object.assign(this, attrs);
    if (preserveUnknown) this.preserveUnknown = true;
  }

  property(name: string): SchemaNode | undefined {
    if (!this.message) return undefined;
    if (messageDef(this.message)?.k && (name === 'apiVersion' || name === 'kind')) return fieldNode(TYPE_META[name === 'kind' ? 1 : 0]);
    const f = jsonFields(this.message).get(name);
    return f ? fieldNode(f.field) : undefined;
  }

  propertyNames(): string[] {
    if (!this.message) return [];
    const names = [...jsonFields(this.message).keys()];
    return messageDef(this.message)?.k ? ['apiVersion', 'kind', ...names] : names;
  }

  elements(): SchemaNode | undefined {
    return this.element?.();
  }
}

const typeNodeCache = new Map<string, SchemaNode>();
const fieldNodeCache = new WeakMap<FieldDef, SchemaNode>();

/** The node of a value of type `t` (scalar or message name), with the list/map semantics of the field holding it. */
function typeNode(t: string, attrs: Attrs = {}): SchemaNode {
  const plain = Object.keys(attrs).length === 0;
  const cached = plain ? typeNodeCache.get(t) : undefined;
  if (cached) return cached;
  let node: Node;
  const def = messageDef(t);
  if (!def) {
    const scalar = SCALAR_NODE[t];
    if (!scalar) throw new Error(`schema registry: unknown type ${t}`);
    node = new Node(scalar, undefined, undefined, attrs);
  } else {
    switch (def.s) {
      case 'time': case 'microtime': case 'duration': node = new Node('string', undefined, undefined, attrs); break;
      case 'quantity': node = new Node('quantity', undefined, undefined, attrs); break;
      case 'intorstring': node = new Node('int-or-string', undefined, undefined, attrs); break;
      case 'raw': case 'fieldsv1': node = new Node('object', undefined, undefined, attrs, true); break;
      case 'json': case 'orarray': case 'orbool': case 'orstrings': node = new Node('any', undefined, undefined, attrs, true); break;
      case 'slice': { const item = def.f[0].t; node = new Node('array', undefined, () => typeNode(item), attrs); break; }
      default: node = new Node('object', t, undefined, attrs);
    }
  }
  if (plain) typeNodeCache.set(t, node);
  return node;
}

function fieldAttrs(f: FieldDef): Attrs {
  const a: Attrs = {};
  if (f.ps) a.patchStrategy = f.ps;
  if (f.pk) a.patchMergeKey = f.pk;
  if (f.lt) a.listType = f.lt as Attrs['listType'];
  if (f.lk) a.listMapKeys = f.lk;
  if (f.mt) a.mapType = f.mt as Attrs['mapType'];
  return a;
}

/** The node of the value held by a field. */
export function fieldNode(f: FieldDef): SchemaNode {
  let node = fieldNodeCache.get(f);
  if (node) return node;
  const attrs = fieldAttrs(f);
  if (f.r) node = new Node('array', undefined, () => typeNode(f.t), attrs);
  else if (f.mk) node = new Node('map', undefined, () => typeNode(f.t), attrs);
  else node = typeNode(f.t, attrs);
  fieldNodeCache.set(f, node);
  return node;
}

/** The schema of a registry message by name ("io.k8s.api.core.v1.PodSpec"). */
export function schemaNodeForMessage(name: string): SchemaNode | undefined {
  return messageDef(name) ? typeNode(name) : undefined;
}

/** The schema of a built-in kind, or undefined when the registry does not know it. */
export function schemaNodeFor(group: string, version: string, kind: string): SchemaNode | undefined {
  const name = messageForKind(group, version, kind);
  return name ? typeNode(name) : undefined;
}

/**
 * Paths of fields the schema does not declare, in the form upstream strict decoding
 * reports them: "spec.foo", "spec.template.spec.containers[0].imagee", map values as
 * "data.key.field". Values of the wrong type are not reported here.
 */
export function findUnknownFields(obj: unknown, node: SchemaNode): string[] {
  const out: string[] = [];
  walk(obj, node, '', out);
  return out;
}

function walk(value: unknown, node: SchemaNode, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const join = (k: string) => (path ? `${path}.${k}` : k);
  if (Array.isArray(value)) {
    const el = node.type === 'array' ? node.elements() : undefined;
    if (el) value.forEach((v, i) => walk(v, el, `${path}[${i}]`, out));
    return;
  }
  const rec = value as Record<string, unknown>;
  if (node.type === 'map') {
    const el = node.elements();
    if (el) for (const k of Object.keys(rec)) walk(rec[k], el, join(k), out);
    return;
  }
  if (node.type !== 'object' || node.preserveUnknown) return;
  for (const k of Object.keys(rec)) {
    const p = node.property(k);
    if (!p) out.push(join(k));
    else walk(rec[k], p, join(k), out);
  }
}

/** Upstream's strict decoding error text for unknown fields. */
export function unknownFieldsMessage(paths: string[]): string {
  return `strict decoding error: ${paths.map((p) => `unknown field "${p}"`).join(', ')}`;
}
