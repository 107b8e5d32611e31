// SchemaNode over a CRD structural schema, for patching, server-side apply and
// unknown-field detection. The resource root and every x-kubernetes-embedded-resource
// object also know apiVersion, kind and an ObjectMeta-shaped metadata.
import type { SchemaNode } from '../schema.js';
import { additionalSchema, OBJECT_META_FIELDS, type JSONSchemaProps } from './types.js';

type NodeType = SchemaNode['type'];

class Leaf implements SchemaNode {
  constructor(readonly type: NodeType, private el?: SchemaNode, readonly listType?: SchemaNode['listType']) {}
  property(): SchemaNode | undefined { return undefined; }
  propertyNames(): string[] { return []; }
  elements(): SchemaNode | undefined { return this.el; }
}

class Obj implements SchemaNode {
  readonly type = 'object' as const;
  constructor(private props: Record<string, SchemaNode>, readonly preserveUnknown = false, readonly mapType?: SchemaNode['mapType']) {}
  property(name: string): SchemaNode | undefined { return Object.hasOwn(this.props, name) ? this.props[name] : undefined; }
  propertyNames(): string[] { return Object.keys(this.props); }
  elements(): SchemaNode | undefined { return undefined; }
}

const STRING = new Leaf('string');
const ANY = new Leaf('any');
const STRING_MAP = new Leaf('map', STRING);

/** ObjectMeta as far as unknown-field detection and list merging need it. */
const META: SchemaNode = new Obj({
  ...Object.fromEntries(OBJECT_META_FIELDS.map((f) => [f, ANY])),
  labels: STRING_MAP,
  annotations: STRING_MAP,
  finalizers: new Leaf('array', STRING, 'set'),
  ownerReferences: new Leaf('array', new Obj(Object.fromEntries(['apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion'].map((f) => [f, ANY]))), 'map'),
});

class Node implements SchemaNode {
  readonly type: NodeType;
  readonly preserveUnknown?: boolean;
  readonly listType?: SchemaNode['listType'];
  readonly listMapKeys?: string[];
  readonly mapType?: SchemaNode['mapType'];
  private props?: Map<string, SchemaNode>;
  private el?: SchemaNode | null;

  constructor(private s: JSONSchemaProps, private resource: boolean) {
    this.type = nodeType(s);
    this.preserveUnknown = s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true || undefined;
    this.listType = s['x-kubernetes-list-type'];
    this.listMapKeys = s['x-kubernetes-list-map-keys'];
    this.mapType = s['x-kubernetes-map-type'];
  }

  property(name: string): SchemaNode | undefined {
    return this.properties().get(name);
  }

  propertyNames(): string[] {
    return [...this.properties().keys()];
  }

  private properties(): Map<string, SchemaNode> {
    if (this.props) return this.props;
    const props = new Map<string, SchemaNode>();
    if (this.resource) {
      props.set('apiVersion', STRING);
      props.set('kind', STRING);
      props.set('metadata', META);
    }
    for (const [k, v] of Object.entries(this.s.properties ?? {})) {
      if (!(this.resource && k === 'metadata')) props.set(k, schemaNode(v));
    }
    return (this.props = props);
  }

  elements(): SchemaNode | undefined {
    if (this.el === undefined) {
      const sub = this.type === 'array' ? this.s.items : this.type === 'map' ? additionalSchema(this.s) : undefined;
      this.el = sub ? schemaNode(sub) : null;
    }
    return this.el ?? undefined;
  }
}

function nodeType(s: JSONSchemaProps): NodeType {
  if (s['x-kubernetes-int-or-string']) return 'int-or-string';
  switch (s.type) {
    case 'object':
      return additionalSchema(s) && !s.properties ? 'map' : 'object';
    case 'array': case 'string': case 'integer': case 'number': case 'boolean':
      return s.type;
    default:
      // Untyped: only legal with preserve-unknown-fields (anything goes) or as an embedded resource.
      return s['x-kubernetes-embedded-resource'] ? 'object' : 'any';
  }
}

/** The node for a value described by `s`. */
export function schemaNode(s: JSONSchemaProps): SchemaNode {
  return new Node(s, s['x-kubernetes-embedded-resource'] === true);
}

/** The node for a whole custom resource: the root is always a resource (apiVersion, kind, metadata). */
export function resourceSchemaNode(s: JSONSchemaProps | undefined): SchemaNode {
  return new Node({ type: 'object', ...(s ?? { 'x-kubernetes-preserve-unknown-fields': true }) }, true);
}
