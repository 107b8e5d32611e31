// Structural defaulting: `default` values are filled in where the parent object exists,
// recursively, the way upstream defaults custom resources on every decode. Nulls of
// non-nullable fields are first dropped (or replaced by the default, when there is one).
import { childSchema, isPlainObject, type JSONSchemaProps } from './types.js';

const nonNullableNull = (v: unknown, s: JSONSchemaProps | undefined): boolean => v === null && !!s && !s.nullable;

/** Removes nulls of non-nullable fields that have no default (they would fail validation otherwise). */
function pruneNulls(v: unknown, s: JSONSchemaProps | undefined): void {
  if (Array.isArray(v)) {
    for (const x of v) pruneNulls(x, s?.items);
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const sub = childSchema(s, k);
      if (nonNullableNull(x, sub) && sub!.default === undefined) delete v[k];
      else pruneNulls(x, sub);
    }
  }
}

function fill(v: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    const items = s.items;
    v.forEach((x, i) => {
      if (nonNullableNull(x, items) && items!.default !== undefined) v[i] = structuredClone(items!.default);
      fill(v[i], items);
    });
  } else if (isPlainObject(v)) {
    for (const [k, p] of Object.entries(s.properties ?? {})) {
      if (p.default === undefined) continue;
      if (v[k] === undefined || nonNullableNull(v[k], p)) v[k] = structuredClone(p.default);
    }
    for (const k of Object.keys(v)) {
      const sub = childSchema(s, k);
      if (!s.properties?.[k] && nonNullableNull(v[k], sub) && sub!.default !== undefined) v[k] = structuredClone(sub!.default);
      fill(v[k], sub);
    }
  }
}

/** Applies `default`s of `schema` to `obj` in place. */
export function applyDefaults(obj: unknown, schema: JSONSchemaProps): void {
  pruneNulls(obj, schema);
  fill(obj, schema);
}
