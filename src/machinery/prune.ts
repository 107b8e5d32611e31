// Unknown-field handling driven by a SchemaNode: list the paths a schema does not know
// (for fieldValidation Strict/Warn) and drop them (what decoding into typed structs does
// upstream, so an Ignore'd or Warn'ed unknown field is never stored).
import type { SchemaNode } from './schema.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Walks `value` against `node`. Unknown properties are reported as paths like
 * `spec.template.spec.containers[0].imagee` and, when `remove` is set, deleted in place.
 */
export function walkUnknownFields(value: unknown, node: SchemaNode | undefined, remove: boolean, path = '', out: string[] = []): string[] {
  if (!node || node.type === 'any' || value === null || value === undefined) return out;
  if (node.type === 'object' && isPlainObject(value)) {
    if (node.preserveUnknown) {
      // Known properties are still checked; unknown ones are kept.
      for (const k of Object.keys(value)) {
        const child = node.property(k);
        if (child) walkUnknownFields(value[k], child, remove, join(path, k), out);
      }
      return out;
    }
    for (const k of Object.keys(value)) {
      const child = node.property(k);
      // Type metadata is not part of a kind's schema but always allowed at the top.
      if (!child && path === '' && (k === 'apiVersion' || k === 'kind')) continue;
      if (!child) {
        out.push(join(path, k));
        if (remove) delete value[k];
        continue;
      }
      walkUnknownFields(value[k], child, remove, join(path, k), out);
    }
  } else if (node.type === 'array' && Array.isArray(value)) {
    const el = node.elements();
    value.forEach((v, i) => walkUnknownFields(v, el, remove, `${path}[${i}]`, out));
  } else if (node.type === 'map' && isPlainObject(value)) {
    const el = node.elements();
    for (const k of Object.keys(value)) walkUnknownFields(value[k], el, remove, join(path, k), out);
  }
  return out;
}

function join(path: string, k: string): string {
  return path ? `${path}.${k}` : k;
}
