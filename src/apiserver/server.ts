// The API server: HTTPS listener, authentication, routing to discovery, OpenAPI, health,
// metrics and the generic resource handlers. One GenericStore and one watch cache per
// served resource; caches start with the server and follow storage until it stops.
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KObject } from '../api/types.js';
import { errors, StatusError } from '../machinery/errors.js';
import type { Storage } from '../storage/types.js';
import { logger } from '../util/log.js';
import { Authenticator } from './filters/authn.js';
import { Metrics } from './metrics.js';
import { AGGREGATED_CONTENT_TYPE, Discovery, wantsAggregated } from './endpoints/discovery.js';
import { parseRequestInfo, type RequestInfo } from './endpoints/request.js';
import {
  handleCreate, handleDelete, handleDeleteCollection, handleGet, handleList, handlePatch, handleUpdate, handleWatch, send,
  type Ctx, type ResourceHooks,
} from './endpoints/resource.js';
import { GenericStore, type Admit, type UserInfo, type WriteContext } from './registry/store.js';
import { WatchCache } from './registry/watchcache.js';
import type { ResourceTable, ServedResource } from './resources.js';

const log = logger('apiserver');

export const KUBE_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-kite', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-11-25T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64' };

export interface TlsMaterial { key: string; cert: string; ca: string }

/** A handler for one special subresource or virtual resource (reviews, binding, eviction...). */
export type SpecialHandler = (ctx: Ctx, served: ServedResource, server: ApiServer) => Promise<void>;

export interface ApiServerOptions {
  storage: Storage;
  resources: ResourceTable;
  authenticator: Authenticator;
  hooks: ResourceHooks;
  /** Plain HTTP when absent (tests only: real clients send no credentials over http). */
  tls?: TlsMaterial;
  bindAddress: string;
  port: number;
  now?: () => number;
  admit?: Admit;
  /** Keyed by "group/plural/subresource" (subresource may be empty for a virtual resource's create). */
  special?: Record<string, SpecialHandler>;
  /** Extra readiness checks for /readyz. */
  readyChecks?: Record<string, () => boolean>;
  /** Non-resource paths served by other components, e.g. /openapi/v3. */
  nonResource?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean> | boolean;
}

export class ApiServer {
  private stores = new Map<string, GenericStore>();
  /** storeFor lookups, valid for one generation of the resource table. */
  private byPlural = new Map<string, ServedResource | null>();
  private byPluralGen = -1;
  private cacheAborts = new Map<string, AbortController>();
  private server?: Server;
  private address?: AddressInfo;
  private readonly discovery: Discovery;
  readonly metrics = new Metrics();
  private readonly now: () => number;
  private caches = new Set<Promise<void>>();
  private signal?: AbortSignal;
  private readyResolve!: (a: AddressInfo) => void;
  readonly ready: Promise<AddressInfo> = new Promise((r) => (this.readyResolve = r));
  private started = false;

  constructor(private opts: ApiServerOptions) {
    this.now = opts.now ?? Date.now;
    this.discovery = new Discovery(opts.resources, () => `${opts.bindAddress}:${this.address?.port ?? opts.port}`);
  }

  get resources(): ResourceTable {
    return this.opts.resources;
  }

  /** The store behind a served resource (shared by every version of the resource). */
  store(served: ServedResource): GenericStore {
    let s = this.stores.get(served.keyPrefix + served.version);
    // A re-registered resource (CRD changed) gets a store with its new strategy.
    if (s && s.res === served) return s;
    let cache = [...this.stores.values()].find((x) => x.res.keyPrefix === served.keyPrefix)?.cache;
    if (!cache) {
      cache = new WatchCache(this.opts.storage, served.keyPrefix);
      const ac = new AbortController();
      this.cacheAborts.set(served.keyPrefix, ac);
      const p = cache.run(ac.signal);
      this.caches.add(p);
      void p.finally(() => this.caches.delete(p));
    }
    s = new GenericStore(served, { storage: this.opts.storage, cache, now: this.now, admit: this.opts.admit });
    this.stores.set(served.keyPrefix + served.version, s);
    return s;
  }

  /** Stops serving a resource's cache (CRD removed). */
  dropStore(served: ServedResource): void {
    this.cacheAborts.get(served.keyPrefix)?.abort();
    this.cacheAborts.delete(served.keyPrefix);
    for (const [k, s] of this.stores) if (s.res.keyPrefix === served.keyPrefix) this.stores.delete(k);
  }

  /** The store of group/plural (any version); admission asks for it on every write. */
  storeFor(group: string, plural: string): GenericStore | undefined {
    if (this.byPluralGen !== this.opts.resources.generation) {
      this.byPlural.clear();
      this.byPluralGen = this.opts.resources.generation;
    }
    const k = `${group}/${plural}`;
    let r = this.byPlural.get(k);
    if (r === undefined) {
      r = this.opts.resources.all().find((x) => x.group === group && x.plural === plural && !isVirtual(x)) ?? null;
      this.byPlural.set(k, r);
    }
    return r ? this.store(r) : undefined;
  }


  /** Serves until the signal aborts; resolves after the listener and caches stopped. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('already started');
    this.started = true;
    this.signal = signal;
    for (const r of this.opts.resources.all()) if (!isVirtual(r)) this.store(r);
    await Promise.all([...this.stores.values()].map((s) => s.cache.whenReady()));
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const server = this.opts.tls
      ? createHttpsServer({ key: this.opts.tls.key, cert: this.opts.tls.cert, ca: this.opts.tls.ca, requestCert: true, rejectUnauthorized: false }, handler)
      : createHttpServer(handler);
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 70_000;
    server.requestTimeout = 0;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.bindAddress, () => resolve());
    });
    this.address = server.address() as AddressInfo;
    log.info({ address: this.address }, 'serving');
    this.readyResolve(this.address);
    await new Promise<void>((resolve) => {
      const stop = () => {
        server.close(() => resolve());
        server.closeAllConnections();
      };
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    for (const ac of this.cacheAborts.values()) ac.abort();
    await Promise.allSettled([...this.caches]);
  }

  get port(): number {
    return this.address?.port ?? this.opts.port;
  }

  /**
   * Serves one request. `asUser` skips authentication: the in-process transport passes the
   * identity of the component calling it.
   */
  async handle(req: IncomingMessage, res: ServerResponse, asUser?: UserInfo): Promise<void> {
    const started = process.hrtime.bigint();
    let info: RequestInfo | undefined;
    try {
      const url = new URL(req.url ?? '/', 'https://kite');
      const path = url.pathname;
      if (await this.publicPath(req, res, path, url)) return;
      const user = asUser ?? (await this.opts.authenticator.authenticate(req));
      if (!user) throw errors.unauthorized();
      if (path === '/metrics') return send(res, 200, await this.metrics.render(this.storeSizes()), [], 'text/plain; version=0.0.4; charset=utf-8');
      if (this.opts.nonResource && (await this.opts.nonResource(req, res, url))) return;
      info = parseRequestInfo(req.method ?? 'GET', path, url.searchParams);
      await this.route(req, res, info, url, user);
    } catch (err) {
      this.writeError(res, err);
    } finally {
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      if (info?.verb !== 'watch') this.metrics.observe(info?.verb ?? (req.method ?? '').toLowerCase(), info?.resource ?? '', res.statusCode, secs);
    }
  }

  private storeSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.stores.values()) out[s.res.group ? `${s.res.plural}.${s.res.group}` : s.res.plural] = s.cache.size;
    return out;
  }

  /** Paths open to anonymous clients (upstream's system:public-info-viewer set). */
  private async publicPath(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    if (path === '/version' || path === '/version/') {
      send(res, 200, JSON.stringify(KUBE_VERSION, null, 2));
      return true;
    }
    const health = /^\/(healthz|livez|readyz)(?:\/(.*))?$/.exec(path);
    if (health) {
      const checks: Record<string, () => boolean> = { ping: () => true, log: () => true, etcd: () => this.started };
      if (health[1] === 'readyz') Object.assign(checks, { 'informer-sync': () => !!this.address }, this.opts.readyChecks ?? {});
      if (health[2]) {
        const c = checks[health[2]];
        if (!c) return false;
        send(res, c() ? 200 : 500, c() ? 'ok' : `[-]${health[2]} failed: reason withheld\n`, [], 'text/plain; charset=utf-8');
        return true;
      }
      const results = Object.entries(checks).map(([n, c]) => [n, c()] as const);
      const ok = results.every(([, v]) => v);
      const verbose = url.searchParams.has('verbose');
      let body = ok ? 'ok' : '';
      if (verbose || !ok) {
        body = results.map(([n, v]) => (v ? `[+]${n} ok` : `[-]${n} failed: reason withheld`)).join('\n') + '\n' + (ok ? `${health[1]} check passed\n` : `${health[1]} check failed\n`);
      }
      send(res, ok ? 200 : 500, body, [], 'text/plain; charset=utf-8');
      return true;
    }
    return false;
  }

  private async route(req: IncomingMessage, res: ServerResponse, info: RequestInfo, url: URL, user: UserInfo): Promise<void> {
    const accept = req.headers.accept;
    const method = req.method ?? 'GET';
    if (!info.isResource) {
      if (method !== 'GET') throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
      if (info.path === '/api' || info.path === '/api/') {
        if (wantsAggregated(accept)) return sendDiscovery(res, this.discovery.aggregated(true), true);
        return sendDiscovery(res, this.discovery.apiVersions(), false);
      }
      if (info.path === '/apis' || info.path === '/apis/') {
        if (wantsAggregated(accept)) return sendDiscovery(res, this.discovery.aggregated(false), true);
        return sendDiscovery(res, this.discovery.apiGroupList(), false);
      }
      if (info.apiPrefix && info.version) {
        const doc = this.discovery.resourceList(info.group, info.version);
        if (doc) return sendDiscovery(res, doc, false);
      } else if (info.apiPrefix === 'apis' && info.group) {
        const doc = this.discovery.apiGroup(info.group);
        if (doc) return sendDiscovery(res, doc, false);
      }
      throw errors.notFoundPath();
    }
    const served = this.opts.resources.get(info.group, info.version, info.resource);
    if (!served) throw errors.notFoundPath();
    const dryRun = url.searchParams.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All')) throw errors.badRequest(`dryRun: Unsupported value: "${dryRun.find((d) => d !== 'All')}": supported values: "All"`);
    const write: WriteContext = { user, dryRun: dryRun.length > 0, fieldManager: url.searchParams.get('fieldManager') ?? undefined, warnings: [] };
    const ctx: Ctx = { req, res, info, query: url.searchParams, write, now: this.now };
    if (served.namespaced === false && info.namespace) throw errors.notFoundPath();
    const special = this.opts.special?.[`${served.group}/${served.plural}/${info.subresource}`];
    if (special && (info.subresource || isVirtual(served))) return special(ctx, served, this);
    if (isVirtual(served)) throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    if (info.subresource && !isGenericSubresource(served, info.subresource)) throw errors.notFoundPath();
    if (!served.verbs.includes(info.verb === 'watch' ? 'watch' : info.verb)) {
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    // Upstream routes PUT/PATCH only on an object's path and POST only on the collection.
    if (((info.verb === 'update' || info.verb === 'patch') && !info.name) || (info.verb === 'create' && info.name)) {
      throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    const store = this.store(served);
    switch (info.verb) {
      case 'get': return handleGet(ctx, served, store);
      case 'list': return handleList(ctx, served, store);
      case 'watch': return handleWatch(ctx, served, store);
      case 'create': return handleCreate(ctx, served, store, this.opts.hooks);
      case 'update': return handleUpdate(ctx, served, store, this.opts.hooks);
      case 'patch': return handlePatch(ctx, served, store, this.opts.hooks);
      case 'delete': return handleDelete(ctx, served, store);
      case 'deletecollection': return handleDeleteCollection(ctx, served, store);
      default: throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }

  writeError(res: ServerResponse, err: unknown): void {
    let se: StatusError;
    if (err instanceof StatusError) se = err;
    else {
      log.error({ err: err instanceof Error ? err.stack : String(err) }, 'internal error');
      se = errors.internal(`Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    send(res, se.code, JSON.stringify(se.toStatus()));
  }
}

function isGenericSubresource(r: ServedResource, sub: string): boolean {
  return (sub === 'status' && !!r.strategy.subresources?.status) || (sub === 'scale' && !!r.strategy.subresources?.scale);
}

/** Virtual resources (reviews) exist only as create endpoints, never in storage. */
export function isVirtual(r: ServedResource): boolean {
  return (r.strategy as { virtual?: boolean }).virtual === true;
}

function sendDiscovery(res: ServerResponse, body: string, aggregated: boolean): void {
  res.writeHead(200, { 'Content-Type': aggregated ? AGGREGATED_CONTENT_TYPE : 'application/json', Vary: 'Accept', 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

export type { KObject };
