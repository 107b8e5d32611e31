// Patch application for the API server's PATCH verb, dispatched by request media type.
// Server-side apply (application/apply-patch+yaml) is field management, not a document
// patch; see apply.ts.
import { errors, type StatusError } from '../errors.js';
import type { SchemaNode } from '../schema.js';
import { applyJsonPatch } from './jsonpatch.js';
import { applyMergePatch } from './mergepatch.js';
import { applyStrategicMergePatch } from './strategic.js';

export { applyJsonPatch, validateJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './jsonpatch.js';
export { applyMergePatch, mergePatch } from './mergepatch.js';
export { applyStrategicMergePatch } from './strategic.js';

export const JSON_PATCH = 'application/json-patch+json';
export const MERGE_PATCH = 'application/merge-patch+json';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';
export const APPLY_PATCH = 'application/apply-patch+yaml';

/** Patch media types a resource accepts, in upstream's order; custom resources have no strategic merge patch. */
export function supportedPatchTypes(strategic = true): string[] {
  return strategic ? [JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH] : [JSON_PATCH, MERGE_PATCH, APPLY_PATCH];
}

/** The media type of a Content-Type header value, without parameters such as charset. */
export function patchMediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** Upstream's 415 for a PATCH whose Content-Type is not among `accepted`. */
export function unsupportedPatchType(accepted: string[] = supportedPatchTypes()): StatusError {
  return errors.unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
}

/**
 * Applies a JSON, merge or strategic merge patch (by `contentType`) to a copy of `original`.
 * `patchBody` is the parsed request body. Throws StatusError: 415 for other media types,
 * 400 for malformed patches, 422 for JSON patch operations that do not apply.
 */
export function applyPatch(contentType: string, original: unknown, patchBody: unknown, schema?: SchemaNode): unknown {
  switch (patchMediaType(contentType)) {
    case JSON_PATCH: return applyJsonPatch(original, patchBody);
    case MERGE_PATCH: return applyMergePatch(original, patchBody);
    case STRATEGIC_MERGE_PATCH: return applyStrategicMergePatch(original, patchBody, schema);
    case APPLY_PATCH: throw errors.internal('server-side apply patches are applied with applyConfiguration, not applyPatch');
    default: throw unsupportedPatchType();
  }
}
export { applyConfiguration, applyConflictError, computeFieldSet, pathString, updateManagedFields } from './apply.js';
export type { ApplyResult, FieldConflict, ManagedFieldsEntry, ManagedFieldsOptions } from './apply.js';
