// Handlers for resource URLs: the verbs of the generic store plus the status and scale
// subresources, with content negotiation (JSON or Table) and field validation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../../api/types.js';
import { errors, StatusError } from '../../machinery/errors.js';
import { parseSelector } from '../../machinery/labels.js';
import { parseFieldSelector } from '../../machinery/fields.js';
import type { DeleteOptions, GenericStore, WriteContext } from '../registry/store.js';
import { committedJson, decodeKv, type CachedObject } from '../registry/watchcache.js';
import { CompactedError } from '../../storage/types.js';
import type { ServedResource } from '../resources.js';
import { decodeObjectBody, isObject, mediaType, readBody } from './body.js';
import type { RequestInfo } from './request.js';
import { isTrue } from './request.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  info: RequestInfo;
  query: URLSearchParams;
  write: WriteContext;
  now: () => number;
}

/** Hooks the server provides for things beyond one store (patching, field validation). */
export interface ResourceHooks {
  /** Applies a PATCH body of the given media type to `current` (server-side apply included). */
  patch(served: ServedResource, current: KObject | undefined, body: Buffer, contentType: string, ctx: Ctx): KObject;
  /** Records the fields this write changed in metadata.managedFields (non-apply writes). */
  manageFields(served: ServedResource, before: KObject | undefined, after: KObject, ctx: Ctx): void;
  /** Checks and prunes unknown fields per fieldValidation; adds warnings or throws 400. */
  fieldValidation(served: ServedResource, obj: KObject, ctx: Ctx): void;
}

/** An object's JSON: as committed when a write just returned it, else serialized now. */
function jsonOf(obj: KObject): string {
  return committedJson(obj) ?? JSON.stringify(obj);
}

export function send(res: ServerResponse, code: number, body: string, warnings: string[] = [], contentType = 'application/json'): void {
  // A known length lets the response go out as one write instead of chunked pieces.
  const buf = Buffer.from(body);
  const headers: Record<string, string | string[] | number> = { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Content-Length': buf.length };
  if (warnings.length) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(buf);
}

function sendObj(ctx: Ctx, served: ServedResource, code: number, obj: KObject): void {
  if (ctx.req.method === 'GET' && wantsTable(ctx.req.headers.accept)) {
    const t = toTable(served, [obj], { resourceVersion: obj.metadata.resourceVersion }, parseIncludeObject(ctx.query.get('includeObject')), ctx.now());
    return send(ctx.res, code, JSON.stringify(t), ctx.write.warnings);
  }
  send(ctx.res, code, JSON.stringify(obj), ctx.write.warnings);
}

/** Builds the matcher for label and field selectors, rejecting unsupported field labels. */
export function selectorMatcher(served: ServedResource, query: URLSearchParams, extraName?: string): (o: KObject) => boolean {
  const ls = query.get('labelSelector');
  const fs = query.get('fieldSelector');
  const labels = ls ? parseSelector(ls) : undefined;
  const fieldFns = served.strategy.fieldSelectors ?? {};
  const fields = fs ? parseFieldSelector(fs) : undefined;
  if (fields) {
    for (const r of fields.requirements) {
      if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !fieldFns[r.field]) {
        throw errors.badRequest(`field label not supported: ${r.field}`);
      }
    }
  }
  if (!labels && !fields && !extraName) return () => true;
  return (o) => {
    if (extraName && o.metadata.name !== extraName) return false;
    if (labels && !labels.matches(o.metadata.labels ?? {})) return false;
    if (fields) {
      return fields.matches((f: string) =>
        f === 'metadata.name' ? o.metadata.name ?? '' : f === 'metadata.namespace' ? o.metadata.namespace ?? '' : fieldFns[f]?.(o) ?? '');
    }
    return true;
  };
}

interface ContinueToken { v: 'meta.k8s.io/v1'; rv: number; start: string }

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start } satisfies ContinueToken)).toString('base64url');
}

function decodeContinue(tok: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(tok, 'base64url').toString()) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error();
    return t;
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

export async function handleList(ctx: Ctx, served: ServedResource, store: GenericStore): Promise<void> {
  const { query } = ctx;
  const match = selectorMatcher(served, query);
  const prefix = store.scopePrefix(ctx.info.namespace);
  const limit = Math.max(0, Number(query.get('limit') ?? 0) || 0);
  const cont = query.get('continue');
  const rvParam = query.get('resourceVersion') ?? '';
  if (rvParam !== '' && !/^\d+$/.test(rvParam)) throw errors.badRequest(`invalid resource version: ${rvParam}`);
  let items: CachedObject[] = [];
  let rev: number;
  let next: string | undefined;
  let remaining: number | undefined;
  const cache = store.cache;
  if (cont) {
    // Later pages come from storage at the first page's revision: one consistent snapshot.
    const tok = decodeContinue(cont);
    rev = tok.rv;
    const r = await collectFromStorage(store, prefix, tok.rv, tok.start, limit, match);
    items = r.items;
    next = r.last ? encodeContinue(rev, r.last) : undefined;
  } else {
    // resourceVersion "0" may be served as is; anything else is a fresh read.
    if (rvParam !== '0') await cache.fresh(rvParam ? Number(rvParam) : 0);
    rev = cache.rev;
    let count = 0;
    let last = '';
    const all = !query.get('labelSelector') && !query.get('fieldSelector');
    for (const o of cache.range(prefix)) {
      if (limit && count >= limit) { next = encodeContinue(rev, last); break; }
      last = o.key;
      if (!match(o.obj)) continue;
      items.push(o);
      count++;
    }
    if (next && all) remaining = countAfter(cache, prefix, last);
  }
  const listMeta: Record<string, unknown> = { resourceVersion: String(rev) };
  if (next) listMeta.continue = next;
  if (remaining !== undefined) listMeta.remainingItemCount = remaining;
  if (wantsTable(ctx.req.headers.accept)) {
    const t = toTable(served, items.map((i) => i.obj), listMeta, parseIncludeObject(query.get('includeObject')), ctx.now());
    return send(ctx.res, 200, JSON.stringify(t), ctx.write.warnings);
  }
  const head = `{"kind":${JSON.stringify(served.listKind)},"apiVersion":${JSON.stringify(served.apiVersion)},"metadata":${JSON.stringify(listMeta)},"items":[`;
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  // Large lists are streamed in slices so one request never holds a giant string.
  const SLICE = 500;
  ctx.res.write(head);
  for (let i = 0; i < items.length; i += SLICE) {
    const part = items.slice(i, i + SLICE).map((o) => o.json).join(',');
    ctx.res.write(i === 0 ? part : ',' + part);
  }
  ctx.res.end(']}');
}

function countAfter(cache: GenericStore['cache'], prefix: string, last: string): number {
  let n = 0;
  for (const _ of cache.range(prefix, last)) n++;
  return n;
}

async function collectFromStorage(store: GenericStore, prefix: string, rev: number, start: string, limit: number, match: (o: KObject) => boolean) {
  const items: CachedObject[] = [];
  let startAfter = start;
  for (;;) {
    let page;
    try {
      page = await store.storageList(prefix, { revision: rev, startAfter, limit: limit ? Math.max(limit, 100) : 0 });
    } catch (err) {
      if (err instanceof CompactedError) {
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
      }
      throw err;
    }
    for (const kv of page.kvs) {
      if (limit && items.length >= limit) return { items, last: startAfter };
      startAfter = kv.key;
      const o = decodeKv(kv);
      if (match(o.obj)) items.push(o);
    }
    if (!page.more) return { items, last: undefined };
  }
}

export async function handleWatch(ctx: Ctx, served: ServedResource, store: GenericStore): Promise<void> {
  const { query } = ctx;
  const match = selectorMatcher(served, query, ctx.info.name || undefined);
  const rv = query.get('resourceVersion') ?? '';
  if (rv !== '' && !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resource version: ${rv}`);
  await store.cache.whenReady();
  const ts = query.get('timeoutSeconds');
  serveWatch(ctx.res, {
    res: served,
    cache: store.cache,
    prefix: store.scopePrefix(ctx.info.namespace),
    match,
    resourceVersion: rv,
    timeoutSeconds: ts !== null && /^\d+$/.test(ts) ? Number(ts) : undefined,
    bookmarks: isTrue(query.get('allowWatchBookmarks')),
    table: wantsTable(ctx.req.headers.accept) ? { include: parseIncludeObject(query.get('includeObject')) } : undefined,
    now: ctx.now,
  });
}

async function readObject(ctx: Ctx, served: ServedResource, hooks: ResourceHooks, expectKind = served.kind, expectApiVersion = served.apiVersion): Promise<KObject> {
  const body = await readBody(ctx.req);
  const obj = decodeObjectBody(body, ctx.req.headers['content-type']);
  if (!isObject(obj)) throw errors.badRequest('the request body must be a JSON object');
  if (obj.kind !== undefined && obj.kind !== expectKind) {
    throw errors.badRequest(`the kind of the object (${String(obj.kind)}) does not match the expected kind (${expectKind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== expectApiVersion) {
    throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expectApiVersion})`);
  }
  if (obj.metadata !== undefined && !isObject(obj.metadata)) throw errors.badRequest('metadata must be an object');
  const k = obj as KObject;
  if (!k.metadata) k.metadata = {};
  if (expectKind === served.kind) hooks.fieldValidation(served, k, ctx);
  return k;
}

export async function handleCreate(ctx: Ctx, served: ServedResource, store: GenericStore, hooks: ResourceHooks): Promise<void> {
  if (served.namespaced && !ctx.info.namespace) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  const obj = await readObject(ctx, served, hooks);
  hooks.manageFields(served, undefined, obj, ctx);
  const out = await store.create(ctx.info.namespace || undefined, obj, ctx.write);
  send(ctx.res, 201, jsonOf(out), ctx.write.warnings);
}

export async function handleUpdate(ctx: Ctx, served: ServedResource, store: GenericStore, hooks: ResourceHooks): Promise<void> {
  const sub = ctx.info.subresource;
  if (sub === 'scale') {
    const scale = await readObject(ctx, served, hooks, 'Scale', 'autoscaling/v1');
    const out = await store.updateScale(ctx.info.namespace || undefined, ctx.info.name, scale, ctx.write);
    return send(ctx.res, 200, JSON.stringify(out), ctx.write.warnings);
  }
  const obj = await readObject(ctx, served, hooks);
  if (obj.metadata.name && obj.metadata.name !== ctx.info.name) {
    throw errors.badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${ctx.info.name})`);
  }
  const { obj: out, created } = await store.guaranteedUpdate(ctx.info.namespace || undefined, ctx.info.name, ctx.write, (current) => {
    if (!sub) hooks.manageFields(served, current, obj, ctx);
    return obj;
  }, { subresource: sub || undefined });
  send(ctx.res, created ? 201 : 200, jsonOf(out), ctx.write.warnings);
}

export async function handlePatch(ctx: Ctx, served: ServedResource, store: GenericStore, hooks: ResourceHooks): Promise<void> {
  const ct = ctx.req.headers['content-type'] ?? '';
  const mt = mediaType(ct);
  const body = await readBody(ctx.req);
  const ns = ctx.info.namespace || undefined;
  const name = ctx.info.name;
  const sub = ctx.info.subresource || undefined;
  if (sub === 'scale') {
    const cur = await store.get(ns, name);
    const scale = store.toScale(cur.obj);
    const patched = hooks.patch({ ...served, kind: 'Scale', apiVersion: 'autoscaling/v1', group: 'autoscaling', version: 'v1' }, scale, body, ct, ctx);
    const out = await store.updateScale(ns, name, patched, ctx.write);
    return send(ctx.res, 200, JSON.stringify(out), ctx.write.warnings);
  }
  const isApply = mt === 'application/apply-patch+yaml';
  if (isApply && !ctx.query.get('fieldManager')) throw errors.badRequest('PATCH request must have fieldManager set for apply');
  const result = await store.guaranteedUpdate(ns, name, ctx.write, (current) => {
    const patched = hooks.patch(served, current, body, ct, ctx);
    hooks.fieldValidation(served, patched, ctx);
    if (!sub) hooks.manageFields(served, current, patched, ctx);
    // A resourceVersion in the patch is a precondition; otherwise patches apply to the latest.
    if (patched.metadata?.resourceVersion === current.metadata.resourceVersion) delete patched.metadata.resourceVersion;
    return patched;
  }, {
    subresource: sub,
    createIfMissing: isApply && !sub ? async () => {
      const obj = hooks.patch(served, undefined, body, ct, ctx);
      hooks.fieldValidation(served, obj, ctx);
      return store.create(ns, obj, ctx.write);
    } : undefined,
  });
  send(ctx.res, result.created ? 201 : 200, jsonOf(result.obj), ctx.write.warnings);
}

export async function readDeleteOptions(ctx: Ctx): Promise<DeleteOptions> {
  const body = await readBody(ctx.req);
  const fromBody = body.length ? decodeObjectBody(body, ctx.req.headers['content-type'] || 'application/json') : undefined;
  const opts = readDeleteOptionsFrom(fromBody);
  const q = ctx.query;
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null && opts.gracePeriodSeconds === undefined) opts.gracePeriodSeconds = Number(grace);
  const pp = q.get('propagationPolicy');
  if (pp && !opts.propagationPolicy) opts.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  return checkDeleteOptions(opts);
}

/** DeleteOptions from a decoded body (kubectl sends them without kind/apiVersion). */
export function readDeleteOptionsFrom(v: unknown): DeleteOptions {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw errors.badRequest('DeleteOptions must be an object');
  return checkDeleteOptions({ ...(v as DeleteOptions) });
}

function checkDeleteOptions(opts: DeleteOptions): DeleteOptions {
  if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (opts.gracePeriodSeconds !== undefined && !Number.isFinite(opts.gracePeriodSeconds)) throw errors.badRequest('gracePeriodSeconds must be a number');
  return opts;
}

export async function handleDelete(ctx: Ctx, served: ServedResource, store: GenericStore): Promise<void> {
  const opts = await readDeleteOptions(ctx);
  const { obj, deleted } = await store.delete(ctx.info.namespace || undefined, ctx.info.name, opts, ctx.write);
  if (deleted && !served.strategy.returnDeletedObject) {
    // Upstream's default answer to a finished delete is a Success Status naming the object.
    return send(ctx.res, 200, JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: obj.metadata.name, group: served.group || undefined, kind: served.plural, uid: obj.metadata.uid } }), ctx.write.warnings);
  }
  // Upstream answers 202 only for a pending delete that asked orphanDependents=false;
  // a pending Foreground/Orphan delete or graceful pod deletion is a 200.
  send(ctx.res, !deleted && opts.orphanDependents === false ? 202 : 200, JSON.stringify(obj), ctx.write.warnings);
}

export async function handleDeleteCollection(ctx: Ctx, served: ServedResource, store: GenericStore): Promise<void> {
  const opts = await readDeleteOptions(ctx);
  const match = selectorMatcher(served, ctx.query);
  await store.cache.fresh();
  const victims = [...store.cache.range(store.scopePrefix(ctx.info.namespace))].filter((o) => match(o.obj));
  const items: KObject[] = [];
  for (const v of victims) {
    try {
      items.push((await store.delete(v.obj.metadata.namespace, v.obj.metadata.name!, opts, ctx.write)).obj);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
  send(ctx.res, 200, JSON.stringify({ kind: served.listKind, apiVersion: served.apiVersion, metadata: { resourceVersion: String(store.cache.rev) }, items }), ctx.write.warnings);
}

export async function handleGet(ctx: Ctx, served: ServedResource, store: GenericStore): Promise<void> {
  const o = await store.get(ctx.info.namespace || undefined, ctx.info.name);
  const sub = ctx.info.subresource;
  if (sub === 'scale') return send(ctx.res, 200, JSON.stringify(store.toScale(o.obj)));
  if (!sub && !wantsTable(ctx.req.headers.accept)) return send(ctx.res, 200, o.json);
  sendObj(ctx, served, 200, o.obj);
}
