// RFC 7386 JSON Merge Patch.
import { errors } from '../errors.js';
import { clone, isObject } from './json.js';

/** Applies `patch` to `target` as RFC 7386 defines; neither input is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return withoutNulls(patch);
  const out = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * The API server's merge patch: the body must be a JSON object (upstream rejects anything
 * else with 400 "Invalid JSON Patch").
 */
export function applyMergePatch(original: unknown, patch: unknown): unknown {
  if (!isObject(patch)) throw errors.badRequest('Invalid JSON Patch');
  return mergePatch(original, patch);
}

/** A value from a patch with no counterpart in the target: nulls inside objects mean "absent". */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (isObject(v)) return mergePatch({}, v);
  return v;
}
