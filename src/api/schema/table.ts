// The format of the built-in type registry written by tools/gen-schema.ts.

/** Protobuf scalar types used by the Kubernetes API. Anything else in `FieldDef.t` is a message name. */
export type ScalarType = 'string' | 'int32' | 'int64' | 'bool' | 'bytes' | 'double' | 'float' | 'uint32' | 'uint64';

/**
 * JSON forms that differ from "an object of the message's fields":
 * time / microtime: RFC3339 string (seconds / microseconds); duration: Go duration string;
 * fieldsv1, raw, json: embedded JSON; quantity: string; intorstring: number or string;
 * slice: a named Go slice, JSON array of field 1; orarray / orbool / orstrings: the
 * apiextensions JSONSchemaPropsOr* unions.
 */
export type SpecialForm =
  | 'time' | 'microtime' | 'duration' | 'fieldsv1' | 'raw' | 'json' | 'quantity' | 'intorstring'
  | 'slice' | 'orarray' | 'orbool' | 'orstrings';

export interface FieldDef {
  /** JSON name; '' for a Go struct embedded inline (its fields appear in the parent). */
  n: string;
  /** Protobuf field number. */
  i: number;
  /** Scalar type, or message name like "io.k8s.api.core.v1.PodSpec"; for maps, the value type. */
  t: string;
  /** Repeated (a JSON array). */
  r?: 1;
  /** Map key type (a JSON object with uniform values). */
  mk?: string;
  /** JSON omitempty. */
  o?: 1;
  /** Go pointer: a zero value that is present is meaningful. */
  p?: 1;
  /** Inline embedded struct. */
  in?: 1;
  /** Marked +optional. */
  opt?: 1;
  /** Strategic merge patch strategy, e.g. "merge", "retainKeys", "merge,retainKeys". */
  ps?: string;
  /** Strategic merge patch key. */
  pk?: string;
  /** +listType: atomic | set | map. */
  lt?: string;
  /** +listMapKey entries. */
  lk?: string[];
  /** +mapType: atomic | granular. */
  mt?: string;
}

export interface MessageDef {
  f: FieldDef[];
  s?: SpecialForm;
  /** Embeds TypeMeta: the JSON object carries apiVersion and kind. */
  k?: 1;
}

export interface PackageDef {
  /** Protobuf package, e.g. "k8s.io.api.apps.v1". */
  proto: string;
  /** Message name prefix, e.g. "io.k8s.api.apps.v1". */
  prefix: string;
  /** API group ("" for core, "meta.k8s.io" for meta/v1, "" and version "" for non-API packages). */
  group: string;
  version: string;
}

export interface RegistryTable {
  /** Upstream tag the table was generated from. */
  source: string;
  packages: PackageDef[];
  /** "group/version" (or "v1" for core) -> kind -> message name, for messages embedding TypeMeta. */
  kinds: Record<string, Record<string, string>>;
  messages: Record<string, MessageDef>;
}
