// Shared informers: one list+watch per resource keeps an indexed cache current and fans
// changes out to event handlers. Handlers run synchronously, in registration order, on
// the informer's own flow; they should only enqueue keys (reads go to the lister).
import { realClock, type Clock } from '../util/clock.js';
import { Backoff } from '../util/backoff.js';
import { logger } from '../util/log.js';
import type { Status } from '../machinery/errors.js';
import { ApiError, isGone, isNotFound } from './errors.js';
import type { Client, GroupVersionResource, KubeObject, ResourceClient } from './resource.js';
import { byNamespace, deepFreeze, Indexer, Lister, NAMESPACE_INDEX, objectKey, type Indexers } from './store.js';
import type { WatchEvent } from './transport.js';

export interface EventHandler<T> {
  /** isInInitialList: the object came with the first list (or was in the cache when the handler was added). */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** Also called on relists and resyncs, where old and new may be the same version. */
  onUpdate?(oldObj: T, newObj: T): void;
  /**
   * obj is the last state known. finalStateUnknown means the deletion was inferred from a
   * relist (upstream's DeletedFinalStateUnknown tombstone): obj may be older than the deletion.
   */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions<T> {
  /** Watch one namespace; all namespaces by default. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Re-deliver every cached object to onUpdate this often; 0 (default) disables. */
  resyncPeriodMs?: number;
  indexers?: Indexers<T>;
  clock?: Clock;
  /** List page size; default 500. */
  pageSize?: number;
}

/** An ERROR watch event that is not a 410: its stream cannot be trusted, so the informer relists. */
class WatchErrorEvent extends ApiError {}

export class Informer<T extends KubeObject = KubeObject> {
  readonly indexer: Indexer<T>;
  readonly lister: Lister<T>;
  private readonly handlers: EventHandler<T>[] = [];
  private readonly clock: Clock;
  private readonly log;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private started = false;
  /** The resourceVersion the cache reflects; what a watch resumes from. */
  lastSyncResourceVersion = '';

  constructor(readonly client: ResourceClient<T>, private readonly opts: InformerOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.indexer = new Indexer<T>({ [NAMESPACE_INDEX]: byNamespace, ...opts.indexers });
    this.lister = new Lister(this.indexer);
    this.log = logger(`informer:${client.gvr.resource}${client.gvr.group ? `.${client.gvr.group}` : ''}`);
  }

  /** Returns a function that removes the handler. Added after sync, it first gets onAdd for every cached object. */
  addEventHandler(h: EventHandler<T>): () => void {
    this.handlers.push(h);
    if (this.synced) for (const o of this.indexer.list()) this.call(h, 'onAdd', o, true);
    return () => {
      const i = this.handlers.indexOf(h);
      if (i >= 0) this.handlers.splice(i, 1);
    };
  }

  addIndexers(indexers: Indexers<T>): void { this.indexer.addIndexers(indexers); }

  hasSynced(): boolean { return this.synced; }

  /** Resolves true once the first list is in the cache, false if signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve(true); });
    });
  }

  /** Lists and watches until signal aborts; settles then. Never rejects. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('informer already started');
    this.started = true;
    const resync = this.opts.resyncPeriodMs ? this.scheduleResync(this.opts.resyncPeriodMs, signal) : undefined;
    try {
      await this.run(signal);
    } finally {
      resync?.cancel();
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    // Reflector backoff as upstream: 800ms doubling to 30s, jittered, reset after 2 quiet minutes.
    const backoff = new Backoff({ initialMs: 800, maxMs: 30_000, factor: 2, jitter: 1, resetAfterMs: 120_000 }, () => this.clock.now());
    let needList = true;
    const { namespace = '', labelSelector, fieldSelector } = this.opts;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
        }
        const began = this.clock.now();
        let events = 0;
        const stream = this.client.watch(namespace, {
          resourceVersion: this.lastSyncResourceVersion, allowWatchBookmarks: true, labelSelector, fieldSelector, signal,
          // Spread reconnects: upstream picks 5-10 minutes at random.
          timeoutSeconds: Math.floor(300 * (1 + Math.random())),
        });
        for await (const ev of stream) {
          this.apply(ev);
          events++;
        }
        // A watch the server ends at once, with nothing in it, is a failure in disguise.
        if (!signal.aborted && events === 0 && this.clock.now() - began < 1000) await this.clock.sleep(backoff.next(), signal);
      } catch (e) {
        if (signal.aborted) break;
        const listing = needList;
        if (isGone(e) || e instanceof WatchErrorEvent) needList = true;
        if (isGone(e) && !listing) {
          this.log.info({ rv: this.lastSyncResourceVersion }, 'resourceVersion expired; relisting');
          continue;
        }
        // A resource type the server does not serve (yet) has an empty cache: count it as
        // synced so nobody waiting on this informer stalls, and keep retrying.
        if (listing && isNotFound(e) && !this.synced) this.markSynced();
        this.log.warn({ err: String(e) }, listing ? 'list failed' : needList ? 'watch error event; relisting' : 'watch failed; resuming');
        await this.clock.sleep(backoff.next(), signal);
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const { namespace = '', labelSelector, fieldSelector, pageSize = 500 } = this.opts;
    let list;
    try {
      list = await this.client.listAll(namespace, { labelSelector, fieldSelector, limit: pageSize, signal });
    } catch (e) {
      // A continue token expired mid-way: fall back to one unpaged list.
      if (!isGone(e)) throw e;
      list = await this.client.list(namespace, { labelSelector, fieldSelector, signal });
    }
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(objectKey(item));
      const old = this.indexer.set(item);
      if (old) this.dispatch('onUpdate', old, item);
      else this.dispatch('onAdd', item, initial);
    }
    for (const key of this.indexer.keys()) {
      if (!seen.has(key)) this.dispatch('onDelete', this.indexer.delete(key)!, true);
    }
    this.lastSyncResourceVersion = list.metadata.resourceVersion ?? '';
    if (initial) this.markSynced();
  }

  private markSynced(): void {
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private apply(ev: WatchEvent<T>): void {
    const obj = ev.object;
    switch (ev.type) {
      case 'ERROR': {
        const err = new ApiError(obj as unknown as Status);
        throw isGone(err) ? err : new WatchErrorEvent(err.status);
      }
      case 'BOOKMARK': break;
      case 'ADDED': case 'MODIFIED': {
        const old = this.indexer.set(obj);
        if (old) this.dispatch('onUpdate', old, obj);
        else this.dispatch('onAdd', obj, false);
        break;
      }
      case 'DELETED':
        this.indexer.delete(objectKey(obj));
        this.dispatch('onDelete', deepFreeze(obj), false);
        break;
      default:
        this.log.warn({ type: ev.type }, 'unknown watch event type');
        return;
    }
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.lastSyncResourceVersion = rv;
  }

  private scheduleResync(period: number, signal: AbortSignal): { cancel(): void } {
    let timer = this.clock.setTimer(period, tick);
    const self = this;
    function tick(): void {
      if (signal.aborted) return;
      if (self.synced) for (const o of self.indexer.list()) self.dispatch('onUpdate', o, o);
      timer = self.clock.setTimer(period, tick);
    }
    return { cancel: () => timer.cancel() };
  }

  private dispatch<K extends keyof EventHandler<T>>(kind: K, ...args: Parameters<NonNullable<EventHandler<T>[K]>>): void {
    for (const h of [...this.handlers]) this.call(h, kind, ...args);
  }

  private call<K extends keyof EventHandler<T>>(h: EventHandler<T>, kind: K, ...args: Parameters<NonNullable<EventHandler<T>[K]>>): void {
    try {
      (h[kind] as ((...a: unknown[]) => void) | undefined)?.(...args);
    } catch (e) {
      this.log.error({ err: String(e), handler: kind }, 'event handler threw');
    }
  }
}

/** Resolves true when every informer has synced, false if signal aborts first. */
export async function waitForCacheSync(signal: AbortSignal | undefined, ...informers: { waitForSync(s?: AbortSignal): Promise<boolean> }[]): Promise<boolean> {
  const r = await Promise.all(informers.map((i) => i.waitForSync(signal)));
  return r.every(Boolean);
}

export interface SharedInformerFactoryOptions {
  /** Default resync for informers the factory creates; 0 disables. */
  resyncPeriodMs?: number;
  /** Restrict every informer to one namespace. */
  namespace?: string;
  clock?: Clock;
}

/** Hands out one informer per resource so controllers in a process share caches and watches. */
export class SharedInformerFactory {
  private readonly informers = new Map<string, Informer>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(readonly client: Client, private readonly opts: SharedInformerFactoryOptions = {}) {}

  /** The informer for gvr; indexers are added to it (also when it already exists). */
  informerFor<T extends KubeObject = KubeObject>(gvr: GroupVersionResource, extra: { indexers?: Indexers<T>; resyncPeriodMs?: number } = {}): Informer<T> {
    const key = `${gvr.group}/${gvr.version}/${gvr.resource}`;
    let inf = this.informers.get(key) as Informer<T> | undefined;
    if (!inf) {
      inf = new Informer<T>(this.client.resource<T>(gvr), {
        namespace: this.opts.namespace, clock: this.opts.clock,
        resyncPeriodMs: extra.resyncPeriodMs ?? this.opts.resyncPeriodMs,
      });
      // Informers are stored type-erased; the key fixes the resource and so the type.
      this.informers.set(key, inf as unknown as Informer);
    }
    if (extra.indexers) inf.addIndexers(extra.indexers);
    return inf;
  }

  lister<T extends KubeObject = KubeObject>(gvr: GroupVersionResource): Lister<T> {
    return this.informerFor<T>(gvr).lister;
  }

  /** Starts informers not yet running (call again after asking for more); settles when all stop. */
  start(signal: AbortSignal): Promise<void> {
    for (const [key, inf] of this.informers) {
      if (!this.running.has(key)) this.running.set(key, inf.start(signal));
    }
    return Promise.all(this.running.values()).then(() => undefined);
  }

  waitForSync(signal?: AbortSignal): Promise<boolean> {
    return waitForCacheSync(signal, ...this.informers.values());
  }
}
