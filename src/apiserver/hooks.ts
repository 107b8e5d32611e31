// Patch application and field validation for the resource handlers, driven by the schema
// registry (built-in kinds) or a schema provider (custom resources).
import { parse as parseYaml } from 'yaml';
import type { KObject } from '../api/types.js';
import { schemaNodeFor } from '../api/schema/index.js';
import { errors } from '../machinery/errors.js';
import { applyConfiguration, applyConflictError, applyPatch, supportedPatchTypes, unsupportedPatchType, updateManagedFields } from '../machinery/patch/index.js';
import { rfc3339Now } from '../machinery/meta.js';
import { walkUnknownFields } from '../machinery/prune.js';
import type { SchemaNode } from '../machinery/schema.js';
import { isObject, mediaType } from './endpoints/body.js';
import type { Ctx, ResourceHooks } from './endpoints/resource.js';
import type { ServedResource } from './resources.js';

/** Schemas for kinds the registry does not know (custom resources). */
export type SchemaProvider = (r: ServedResource) => SchemaNode | undefined;

export function schemaOf(r: ServedResource, extra?: SchemaProvider): SchemaNode | undefined {
  return extra?.(r) ?? schemaNodeFor(r.group, r.version, r.kind);
}

function parseJsonPatchBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

export function createHooks(extra?: SchemaProvider): ResourceHooks {
  return {
    patch(served, current, body, contentType, ctx) {
      const mt = mediaType(contentType);
      const schema = schemaOf(served, extra);
      if (mt === 'application/apply-patch+yaml') {
        let applied: unknown;
        try {
          applied = parseYaml(body.toString('utf8'));
        } catch (e) {
          throw errors.badRequest(`error decoding YAML: ${(e as Error).message.split('\n')[0]}`);
        }
        if (!isObject(applied)) throw errors.badRequest('apply patch must be an object');
        if (applied.kind !== undefined && applied.kind !== served.kind) {
          throw errors.badRequest(`the kind of the object (${String(applied.kind)}) does not match the expected kind (${served.kind})`);
        }
        if (applied.apiVersion !== undefined && applied.apiVersion !== served.apiVersion) {
          throw errors.badRequest(`the API version in the data (${String(applied.apiVersion)}) does not match the expected API version (${served.apiVersion})`);
        }
        const obj = applied as KObject;
        if (!isObject(obj.metadata)) obj.metadata = {};
        const force = ctx.query.get('force') === 'true';
        const manager = ctx.write.fieldManager ?? 'unknown';
        const result = applyConfiguration(current, obj, current?.metadata.managedFields ?? [], manager, force, schema, { time: rfc3339Now(ctx.now()), apiVersion: served.apiVersion });
        if (result.conflicts) throw applyConflictError(result.conflicts);
        const out = result.object as KObject;
        out.metadata.managedFields = result.managedFields as KObject['metadata']['managedFields'];
        // Apply never carries a precondition unless the configuration names one.
        if (current && obj.metadata.resourceVersion === undefined) out.metadata.resourceVersion = current.metadata.resourceVersion;
        return out;
      }
      if (mt === 'application/strategic-merge-patch+json' && served.crd) throw unsupportedPatchType(supportedPatchTypes(false));
      if (!current) throw errors.notFound(served.plural, served.group, ctx.info.name);
      const patch = parseJsonPatchBody(body);
      const out = applyPatch(contentType, current, patch, schema);
      if (!isObject(out)) throw errors.badRequest('patch result must be an object');
      const k = out as KObject;
      if (!isObject(k.metadata)) k.metadata = {};
      if (current.metadata.resourceVersion && k.metadata.resourceVersion === undefined) k.metadata.resourceVersion = current.metadata.resourceVersion;
      return k;
    },

    manageFields(served, before, after, ctx) {
      // Apply requests already recorded their fields; status writes keep the stored entries.
      if (mediaType(ctx.req.headers['content-type']) === 'application/apply-patch+yaml') return;
      const manager = ctx.write.fieldManager ?? managerFromUserAgent(ctx.req.headers['user-agent']);
      const entries = updateManagedFields(before, after, before?.metadata.managedFields ?? after.metadata.managedFields ?? [], manager, schemaOf(served, extra), { time: rfc3339Now(ctx.now()), apiVersion: served.apiVersion });
      if (entries.length) after.metadata.managedFields = entries as KObject['metadata']['managedFields'];
      else delete after.metadata.managedFields;
    },

    fieldValidation(served, obj, ctx: Ctx) {
      const mode = ctx.query.get('fieldValidation') ?? 'Warn';
      if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
        throw errors.badRequest(`fieldValidation: Unsupported value: "${mode}": supported values: "Ignore", "Strict", "Warn"`);
      }
      const schema = schemaOf(served, extra);
      if (!schema) return;
      const unknown = walkUnknownFields(obj, schema, true);
      if (!unknown.length) return;
      if (mode === 'Strict') throw errors.badRequest(`strict decoding error: ${unknown.map((p) => `unknown field "${p}"`).join(', ')}`);
      if (mode === 'Warn') for (const p of unknown) ctx.write.warnings.push(`unknown field "${p}"`);
    },
  };
}

/** Upstream's default field manager: the user agent up to the first "/". */
function managerFromUserAgent(ua: string | undefined): string {
  const m = (ua ?? '').split('/')[0];
  return m.length > 0 ? m.slice(0, 128) : 'unknown';
}
