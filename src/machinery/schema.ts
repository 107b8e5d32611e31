// A view of an object schema, as needed by strategic merge patch, server-side apply and
// unknown-field detection. Implemented over the built-in type registry (src/api/schema)
// and over CRD openAPIV3Schema documents. A node describes the value found at one place
// in an object, including the list/patch semantics its field declares.

export interface SchemaNode {
  /** 'object' (fixed properties), 'map' (string keys, uniform values), 'array', 'string', 'integer', 'number', 'boolean', 'int-or-string', 'quantity', 'any'. */
  readonly type: 'object' | 'map' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any';
  /** For 'object': the node of a property, or undefined if the property is unknown. */
  property(name: string): SchemaNode | undefined;
  /** For 'object': known property names. */
  propertyNames(): string[];
  /** For 'array' and 'map': the element / value node. */
  elements(): SchemaNode | undefined;
  /** For 'object': true when unknown properties must be kept (x-kubernetes-preserve-unknown-fields, RawExtension, 'any'). */
  readonly preserveUnknown?: boolean;
  /** Strategic merge patch strategy declared on the field holding this value: e.g. 'merge', 'replace', 'retainKeys', 'merge,retainKeys'. */
  readonly patchStrategy?: string;
  /** Strategic merge patch key for lists of objects. */
  readonly patchMergeKey?: string;
  /** x-kubernetes-list-type: 'atomic' | 'set' | 'map'. */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys for listType 'map'. */
  readonly listMapKeys?: string[];
  /** x-kubernetes-map-type: 'atomic' | 'granular'. */
  readonly mapType?: 'atomic' | 'granular';
}
