// An in-memory API server for client and controller tests. It speaks the REST paths the
// resource clients use (through FunctionTransport, so requests are encoded and watch
// streams are real newline-delimited JSON, cut into awkward chunks) and keeps upstream's
// semantics where controllers depend on them: one global resourceVersion, conflicts on a
// stale resourceVersion, generateName, uid, generation bumped on spec changes, status
// subresources, finalizers delaying deletion, label and field selectors, paged lists,
// watches that replay history, bookmarks, and 410 Expired after compact().
//
// Not modelled: admission, validation, defaulting, garbage collection, server-side apply.
import { randomUUID } from 'node:crypto';
import { errors, StatusError } from '../../machinery/errors.js';
import { parseFieldSelector } from '../../machinery/fields.js';
import { parseSelector } from '../../machinery/labels.js';
import { deepClone, deepEqual, jsonPathGet, rfc3339Now } from '../../machinery/meta.js';
import { applyPatch } from '../../machinery/patch/index.js';
import { realClock, type Clock } from '../../util/clock.js';
import { Client, type GroupVersionResource, type KubeObject } from '../resource.js';
import { FunctionTransport, type TransportRequest, type TransportResponse, type WatchEvent } from '../transport.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface FakeRequest {
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace: string;
  name?: string;
  query: URLSearchParams;
  body?: unknown;
  contentType?: string;
}

/**
 * Runs before the fake's own handling. Return undefined to pass, a value to answer 200
 * with it, or throw: a StatusError becomes that HTTP error, anything else a transport failure.
 */
export type Reactor = (req: FakeRequest) => unknown;

/** Resources whose main PUT/PATCH leaves .status alone (they have a status subresource). */
const STATUS_SUBRESOURCE = new Set([
  'pods', 'nodes', 'services', 'namespaces', 'replicationcontrollers', 'persistentvolumes', 'persistentvolumeclaims',
  'resourcequotas', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs',
  'horizontalpodautoscalers', 'poddisruptionbudgets', 'certificatesigningrequests', 'ingresses',
]);

interface Stored { prefix: string; resource: string; key: string; obj: KubeObject }
interface HistoryEntry { rv: number; prefix: string; resource: string; type: 'ADDED' | 'MODIFIED' | 'DELETED'; obj: KubeObject }

/** Chunks pushed by the fake, pulled by the transport. */
class Pipe implements AsyncIterable<Uint8Array> {
  private buf: Uint8Array[] = [];
  private ended = false;
  private wake?: () => void;
  push(b: Uint8Array): void { this.buf.push(b); this.wake?.(); }
  end(): void { this.ended = true; this.wake?.(); }
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      while (this.buf.length) yield this.buf.shift()!;
      if (this.ended) return;
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = undefined;
    }
  }
}

interface Watcher {
  prefix: string;
  resource: string;
  matches(obj: KubeObject): boolean;
  bookmarks: boolean;
  pipe: Pipe;
  close(): void;
}

const json = (status: number, body: unknown): TransportResponse => ({
  status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)),
});

export interface FakeApiOptions {
  clock?: Clock;
}

export class FakeApi {
  readonly rest: FunctionTransport;
  readonly client: Client;
  /** Every request, in order (for assertions). */
  readonly requests: FakeRequest[] = [];
  /** How a watch from a compacted resourceVersion fails: an ERROR event (etcd-style) or an HTTP 410 (watch-cache style). */
  expiredWatchStyle: 'event' | 'status' = 'event';
  private readonly clock: Clock;
  private rv = 1;
  private compactedRv = 0;
  /** Bumped by compact(); continue tokens from an earlier epoch are expired. */
  private epoch = 0;
  private readonly objects = new Map<string, Stored>();
  private readonly kinds = new Map<string, string>();
  private history: HistoryEntry[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly reactors: Reactor[] = [];

  constructor(opts: FakeApiOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.rest = new FunctionTransport((req) => this.handle(req));
    this.client = new Client(this.rest);
  }

  prependReactor(r: Reactor): () => void {
    this.reactors.unshift(r);
    return () => { const i = this.reactors.indexOf(r); if (i >= 0) this.reactors.splice(i, 1); };
  }

  get resourceVersion(): string { return String(this.rv); }
  get openWatches(): number { return this.watchers.size; }

  /** Forgets history: watches from older resourceVersions (and old continue tokens) get 410. */
  compact(): void {
    this.compactedRv = this.rv;
    this.epoch++;
    this.history = [];
  }

  /** Ends every open watch stream, as a server does on timeout or restart. */
  closeWatches(): void {
    for (const w of [...this.watchers]) w.close();
  }

  /** Sends a BOOKMARK at the current resourceVersion to watches that asked for them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const kind = this.kinds.get(`${w.prefix}/${w.resource}`);
      this.send(w, { type: 'BOOKMARK', object: { kind, metadata: { resourceVersion: this.resourceVersion } } });
    }
  }

  /** The stored object (a copy), or undefined. */
  get<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace: string, name: string): T | undefined {
    const s = this.objects.get(this.storeKey(prefixOf(gvr), gvr.resource, namespace, name));
    return s && (deepClone(s.obj) as T);
  }

  /** Stored objects of a resource (copies), sorted by key. */
  list<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, namespace = ''): T[] {
    return this.select(prefixOf(gvr), gvr.resource, namespace).map((s) => deepClone(s.obj) as T);
  }

  // ---- request handling ------------------------------------------------------------

  private async handle(req: TransportRequest): Promise<TransportResponse> {
    const url = new URL(req.url, 'http://fake');
    let fr: FakeRequest;
    try {
      fr = parseRequest(req.method, url, req.body, req.headers['Content-Type']);
    } catch (e) {
      if (e instanceof StatusError) return json(e.code, e.toStatus());
      throw e;
    }
    this.requests.push(fr);
    try {
      for (const r of [...this.reactors]) {
        const out = await r(fr);
        if (out !== undefined) return json(200, out);
      }
      if (fr.verb === 'watch') return this.watch(fr, req.signal);
      const [status, body] = this.serve(fr);
      return json(status, body);
    } catch (e) {
      if (e instanceof StatusError) return json(e.code, e.toStatus());
      throw e;
    }
  }

  private storeKey(prefix: string, resource: string, namespace: string, name: string): string {
    return `${prefix}/${resource}/${namespace}/${name}`;
  }

  private select(prefix: string, resource: string, namespace: string): Stored[] {
    const out: Stored[] = [];
    for (const s of this.objects.values()) {
      if (s.prefix === prefix && s.resource === resource && (!namespace || s.obj.metadata?.namespace === namespace)) out.push(s);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private serve(r: FakeRequest): [number, unknown] {
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const key = this.storeKey(prefix, r.resource, r.namespace, r.name ?? '');
    const existing = this.objects.get(key);
    const dryRun = r.query.get('dryRun') === 'All' || (r.body as { dryRun?: string[] } | undefined)?.dryRun?.includes('All');
    const notFound = () => errors.notFound(r.resource, r.group, r.name ?? '');
    switch (r.verb) {
      case 'get':
        if (!existing) throw notFound();
        return [200, existing.obj];
      case 'list':
        return [200, this.listResponse(prefix, r)];
      case 'create': {
        if (r.name) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
        const obj = deepClone(r.body) as KubeObject;
        const meta = (obj.metadata ??= {});
        if (!meta.name && meta.generateName) meta.name = meta.generateName + randomUUID().replace(/-/g, '').slice(0, 5);
        if (!meta.name) throw errors.badRequest('name or generateName is required');
        const k = this.storeKey(prefix, r.resource, r.namespace, meta.name);
        if (this.objects.has(k)) throw errors.alreadyExists(r.resource, r.group, meta.name);
        if (r.namespace) meta.namespace = r.namespace;
        Object.assign(meta, { uid: randomUUID(), creationTimestamp: rfc3339Now(this.clock.now()), generation: 1 });
        delete meta.resourceVersion;
        if (dryRun) return [201, obj];
        if (obj.kind) this.kinds.set(`${prefix}/${r.resource}`, obj.kind);
        return [201, this.commit('ADDED', { prefix, resource: r.resource, key: k, obj })];
      }
      case 'update': case 'patch': {
        if (!existing) throw notFound();
        let next: KubeObject;
        if (r.verb === 'update') {
          next = deepClone(r.body) as KubeObject;
          const rv = next.metadata?.resourceVersion;
          if (rv && rv !== existing.obj.metadata?.resourceVersion) throw errors.conflict(r.resource, r.group, r.name!);
        } else {
          next = applyPatch(r.contentType ?? '', existing.obj, r.body) as KubeObject;
        }
        next = this.merged(r.resource, r.subresource, existing.obj, next);
        if (dryRun) return [200, next];
        return [200, this.write(existing, next)];
      }
      case 'delete': {
        if (!existing) throw notFound();
        const pre = (r.body as { preconditions?: { uid?: string; resourceVersion?: string } } | undefined)?.preconditions;
        if ((pre?.uid && pre.uid !== existing.obj.metadata?.uid) || (pre?.resourceVersion && pre.resourceVersion !== existing.obj.metadata?.resourceVersion)) {
          throw errors.conflict(r.resource, r.group, r.name!, 'Precondition failed');
        }
        return [200, dryRun ? existing.obj : this.remove(existing)];
      }
      case 'deletecollection': {
        const items = this.listResponse(prefix, r).items;
        if (!dryRun) for (const o of items) this.remove(this.objects.get(this.storeKey(prefix, r.resource, o.metadata?.namespace ?? '', o.metadata?.name ?? ''))!);
        return [200, { kind: `${this.kinds.get(`${prefix}/${r.resource}`) ?? ''}List`, apiVersion: apiVersion(r), metadata: { resourceVersion: this.resourceVersion }, items }];
      }
      default:
        throw errors.methodNotAllowed(`unsupported verb ${r.verb}`);
    }
  }

  /** Applies identity rules for writes: immutable metadata, status vs main resource, generation. */
  private merged(resource: string, subresource: string | undefined, old: KubeObject, next: KubeObject): KubeObject {
    const o = old as Record<string, unknown>;
    const n = deepClone(next) as Record<string, unknown> & KubeObject;
    const om = old.metadata ?? {};
    if (subresource === 'status') {
      const out = deepClone(o) as KubeObject & Record<string, unknown>;
      out.status = n.status;
      return out;
    }
    if (subresource) throw errors.notFoundPath();
    n.metadata = { ...n.metadata, name: om.name, namespace: om.namespace, uid: om.uid, creationTimestamp: om.creationTimestamp, deletionTimestamp: om.deletionTimestamp, generation: om.generation };
    if (STATUS_SUBRESOURCE.has(resource)) n.status = o.status;
    if (!n.status) delete n.status;
    const specOf = (x: Record<string, unknown>) => Object.fromEntries(Object.entries(x).filter(([k]) => !['metadata', 'status', 'apiVersion', 'kind'].includes(k)));
    if (!deepEqual(specOf(o), specOf(n))) n.metadata!.generation = (om.generation ?? 0) + 1;
    return n;
  }

  private commit(type: HistoryEntry['type'], s: Stored): KubeObject {
    const rv = ++this.rv;
    s.obj.metadata!.resourceVersion = String(rv);
    if (type === 'DELETED') this.objects.delete(s.key);
    else this.objects.set(s.key, s);
    const entry: HistoryEntry = { rv, prefix: s.prefix, resource: s.resource, type, obj: deepClone(s.obj) };
    this.history.push(entry);
    for (const w of this.watchers) {
      if (w.prefix === s.prefix && w.resource === s.resource && w.matches(entry.obj)) this.send(w, { type, object: entry.obj });
    }
    return s.obj;
  }

  private write(existing: Stored, next: KubeObject): KubeObject {
    const meta = next.metadata!;
    if (meta.deletionTimestamp && !(meta as { finalizers?: string[] }).finalizers?.length) {
      return this.commit('DELETED', { ...existing, obj: next });
    }
    return this.commit('MODIFIED', { ...existing, obj: next });
  }

  /** Objects with finalizers only get a deletionTimestamp; the last finalizer's removal deletes them. */
  private remove(s: Stored): KubeObject {
    const obj = deepClone(s.obj);
    const meta = obj.metadata as { finalizers?: string[]; deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    if (meta.finalizers?.length) {
      if (meta.deletionTimestamp) return s.obj;
      meta.deletionTimestamp = rfc3339Now(this.clock.now());
      meta.deletionGracePeriodSeconds = 0;
      return this.commit('MODIFIED', { ...s, obj });
    }
    return this.commit('DELETED', { ...s, obj });
  }

  private matcher(r: FakeRequest): (o: KubeObject) => boolean {
    const labels = parseSelector(r.query.get('labelSelector') ?? '');
    const fields = parseFieldSelector(r.query.get('fieldSelector') ?? '');
    return (o) => (!r.namespace || o.metadata?.namespace === r.namespace)
      && labels.matches(o.metadata?.labels)
      && fields.matches((f) => {
        const v = jsonPathGet(o, `.${f}`);
        return v === undefined || v === null ? undefined : String(v);
      });
  }

  private listResponse(prefix: string, r: FakeRequest): { kind: string; apiVersion: string; metadata: Record<string, unknown>; items: KubeObject[] } {
    const match = this.matcher(r);
    let all = this.select(prefix, r.resource, r.namespace).filter((s) => match(s.obj));
    const cont = r.query.get('continue');
    if (cont) {
      const { after, epoch } = JSON.parse(Buffer.from(cont, 'base64').toString()) as { after: string; epoch: number };
      if (epoch !== this.epoch) {
        throw new StatusError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
      }
      all = all.filter((s) => s.key > after);
    }
    const limit = Number(r.query.get('limit') ?? 0);
    const page = limit > 0 ? all.slice(0, limit) : all;
    const metadata: Record<string, unknown> = { resourceVersion: this.resourceVersion };
    if (page.length < all.length) {
      metadata.continue = Buffer.from(JSON.stringify({ after: page[page.length - 1].key, epoch: this.epoch })).toString('base64');
      metadata.remainingItemCount = all.length - page.length;
    }
    const kind = this.kinds.get(`${prefix}/${r.resource}`);
    // Items of a list carry no kind/apiVersion on the wire, as with a real server.
    const items = page.map((s) => { const { kind: _k, apiVersion: _a, ...rest } = s.obj; return rest as KubeObject; });
    return { kind: kind ? `${kind}List` : 'List', apiVersion: apiVersion(r), metadata, items };
  }

  private send(w: Watcher, ev: WatchEvent<unknown>): void {
    // Cut each line in three so consumers must reassemble across chunk boundaries.
    const line = Buffer.from(`${JSON.stringify(ev)}\n`);
    const a = Math.floor(line.length / 3), b = Math.floor((2 * line.length) / 3);
    for (const part of [line.subarray(0, a), line.subarray(a, b), line.subarray(b)]) if (part.length) w.pipe.push(part);
  }

  private watch(r: FakeRequest, signal?: AbortSignal): TransportResponse {
    const prefix = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const rvParam = r.query.get('resourceVersion') ?? '';
    const from = rvParam === '' || rvParam === '0' ? undefined : Number(rvParam);
    const expired = from !== undefined && from < this.compactedRv;
    const gone = errors.gone(`too old resource version: ${from} (${this.compactedRv})`).toStatus();
    if (expired && this.expiredWatchStyle === 'status') return json(410, gone);
    const pipe = new Pipe();
    const w: Watcher = {
      prefix, resource: r.resource, matches: this.matcher(r), pipe,
      bookmarks: r.query.get('allowWatchBookmarks') === 'true',
      close: () => { this.watchers.delete(w); pipe.end(); signal?.removeEventListener('abort', w.close); },
    };
    if (expired) {
      this.send(w, { type: 'ERROR', object: gone });
      pipe.end();
    } else {
      if (from === undefined) {
        for (const s of this.select(prefix, r.resource, r.namespace)) if (w.matches(s.obj)) this.send(w, { type: 'ADDED', object: s.obj });
      } else {
        for (const h of this.history) {
          if (h.rv > from && h.prefix === prefix && h.resource === r.resource && w.matches(h.obj)) this.send(w, { type: h.type, object: h.obj });
        }
      }
      this.watchers.add(w);
      if (signal?.aborted) w.close();
      else signal?.addEventListener('abort', w.close, { once: true });
    }
    return { status: 200, headers: { 'content-type': 'application/json' }, body: pipe };
  }
}

function prefixOf(gvr: Pick<GroupVersionResource, 'group' | 'version'>): string {
  return gvr.group ? `/apis/${gvr.group}/${gvr.version}` : `/api/${gvr.version}`;
}

function apiVersion(r: Pick<FakeRequest, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

function parseRequest(method: string, url: URL, body: Buffer | undefined, contentType: string | undefined): FakeRequest {
  const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '', version: string, rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) { version = segs[1]; rest = segs.slice(2); }
  else if (segs[0] === 'apis' && segs.length >= 4) { group = segs[1]; version = segs[2]; rest = segs.slice(3); }
  else throw errors.notFoundPath();
  let namespace = '';
  // /namespaces/{ns}/{resource}... but /namespaces/{name}/status|finalize is the namespace itself.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize'))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource || rest.length > 3) throw errors.notFoundPath();
  const query = url.searchParams;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const verbs: Record<string, Verb | undefined> = name
    ? { GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete', POST: 'create' }
    : { GET: watch ? 'watch' : 'list', POST: 'create', DELETE: 'deletecollection' };
  const verb = verbs[method];
  if (!verb) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
  let parsed: unknown;
  if (body?.length) {
    try { parsed = JSON.parse(body.toString()); } catch { throw errors.badRequest('request body is not JSON'); }
  }
  return { verb, group, version, resource, subresource, namespace, name, query, body: parsed, contentType };
}
