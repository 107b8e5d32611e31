// Pruning: drops every field a structural schema does not declare, unless an enclosing
// x-kubernetes-preserve-unknown-fields keeps it. The resource root and embedded resources
// keep apiVersion and kind, and their metadata is cut down to ObjectMeta's fields.
import { childSchema, isPlainObject, OBJECT_META_FIELDS, type JSONSchemaProps } from './types.js';

const META_FIELDS = new Set<string>(OBJECT_META_FIELDS);
const TYPE_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

const join = (path: string, k: string) => (path ? `${path}.${k}` : k);

function pruneMeta(v: unknown, path: string, out: string[]): void {
  if (!isPlainObject(v)) return;
  for (const k of Object.keys(v)) {
    if (!META_FIELDS.has(k)) {
      out.push(join(path, k));
      delete v[k];
    }
  }
}

function walk(v: unknown, s: JSONSchemaProps | undefined, path: string, out: string[], root = false): void {
  const embedded = root || !!s?.['x-kubernetes-embedded-resource'];
  const preserve = !!s?.['x-kubernetes-preserve-unknown-fields'];
  if (Array.isArray(v)) {
    if (preserve && !s?.items) return;
    v.forEach((x, i) => walk(x, s?.items, `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(v)) return;
  for (const k of Object.keys(v)) {
    if (embedded && TYPE_FIELDS.has(k)) {
      if (k === 'metadata') pruneMeta(v[k], join(path, k), out);
      continue;
    }
    const sub = childSchema(s, k);
    if (sub) walk(v[k], sub, join(path, k), out);
    else if (!preserve) {
      out.push(join(path, k));
      delete v[k];
    }
  }
}

/** Removes unknown fields of a custom resource in place; returns their paths, sorted. */
export function prune(obj: unknown, schema: JSONSchemaProps | undefined): string[] {
  const out: string[] = [];
  walk(obj, schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, '', out, true);
  return out.sort();
}
