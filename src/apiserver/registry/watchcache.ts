// Per-resource watch cache: one storage watch feeds an in-memory copy of every object
// (with its encoded JSON, so reads and watch fan-out never re-serialize) and a bounded
// window of recent events from which watches resume. Reads wait until the cache has seen
// every write this server acknowledged for the resource, so they are never stale.
import type { KObject } from '../../api/types.js';
import { CompactedError, type KeyValue, type Storage, type WatchEvent } from '../../storage/types.js';
import { deepFreeze } from '../../client/store.js';
import { logger } from '../../util/log.js';

const log = logger('watchcache');

export interface CachedObject {
  key: string;
  /** Deep-frozen: shared by every reader, in-process watchers included. */
  obj: KObject;
  /** JSON of obj, resourceVersion included. */
  json: string;
  rev: number;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface CacheEvent {
  type: EventType;
  object: CachedObject;
  /** The previous state, for MODIFIED (selector transitions need it). */
  prev?: CachedObject;
  rev: number;
  /** When the cache saw it (ms), for the history's time bound. */
  at: number;
}

export interface Subscriber {
  deliver(events: CacheEvent[]): void;
  /** The cache stopped (server shutting down or resource removed). */
  close(err?: Error): void;
}

export class TooOldError extends Error {
  constructor(public requested: number, public oldest: number) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}

/**
 * The event window watches resume from, as upstream's adaptive watch cache: every event of
 * the last FRESH_MS, at least HISTORY_MIN events, at most HISTORY. A client further behind
 * gets 410 Expired and relists. Bounding by time matters for big objects: 10,000 versions
 * of Node objects alone held ~250 MB.
 */
const HISTORY = Number(process.env.KITE_WATCH_HISTORY ?? 10_000);
const HISTORY_MIN = Math.min(100, HISTORY);
const FRESH_MS = 75_000;
const HISTORY_SLACK = Math.ceil(HISTORY / 10);
const textDecoder = new TextDecoder();

/**
 * Stored values are JSON without resourceVersion (the revision is the version), laid out
 * by encodeObject as {"apiVersion":..,"kind":..,"metadata":{..},..}.
 */
export function encodeObject(obj: KObject): string {
  const { apiVersion, kind, metadata, ...rest } = obj;
  const { resourceVersion: _rv, ...meta } = metadata;
  return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
}

/** The object a stored value holds, with its resourceVersion. */
export function parseKv(kv: KeyValue, rev = kv.modRevision): KObject {
  const obj = JSON.parse(textDecoder.decode(kv.value)) as KObject;
  obj.metadata.resourceVersion = String(rev);
  return obj;
}

/**
 * Object and JSON for the cache. The resourceVersion is spliced into the stored text
 * rather than serializing the object again: this runs for every event of every resource.
 */
export function decodeKv(kv: KeyValue, rev = kv.modRevision): CachedObject {
  const text = textDecoder.decode(kv.value);
  const obj = JSON.parse(text) as KObject;
  const rv = String(rev);
  obj.metadata.resourceVersion = rv;
  return { key: kv.key, obj: deepFreeze(obj), json: withResourceVersion(text, obj, rv), rev };
}

/** The stored text (encodeObject's layout) with metadata.resourceVersion added. */
function withResourceVersion(text: string, obj: KObject, rv: string): string {
  const at = metadataBodyStart(text, obj);
  return at < 0
    ? JSON.stringify(obj)
    : `${text.slice(0, at)}"resourceVersion":"${rv}"${text[at] === '}' ? '' : ','}${text.slice(at)}`;
}

/** JSON of objects this server committed, by the (frozen) object its write path returned. */
const committed = new WeakMap<object, string>();

/** The JSON of an object a write returned (see WatchCache.noteWrite), so responses need not serialize it again. */
export function committedJson(obj: KObject): string | undefined {
  return committed.get(obj);
}

/** A write this server made: the stored text and the object with its new resourceVersion. */
export interface Written { key: string; text: string; obj: KObject }

/** Index just inside the top-level metadata object of encodeObject's layout, or -1. */
function metadataBodyStart(text: string, obj: KObject): number {
  const head = `{"apiVersion":${JSON.stringify(obj.apiVersion)},"kind":${JSON.stringify(obj.kind)},"metadata":{`;
  return text.startsWith(head) ? head.length : -1;
}

export class WatchCache {
  private items = new Map<string, CachedObject>();
  private sorted: string[] | null = null;
  private history: CacheEvent[] = [];
  private lastTrim = 0;
  /** Objects this server wrote, by revision, until their storage event arrives (no second parse). */
  private hints = new Map<number, CachedObject>();
  private historyStart = 0;
  private subscribers = new Set<Subscriber>();
  private waiters: { rev: number; resolve: () => void }[] = [];
  private ready: Promise<void>;
  private markReady!: () => void;
  private failed?: Error;
  /** Revision up to which this cache reflects storage for its prefix. */
  rev = 0;
  /** Highest revision this server acknowledged for a write under the prefix. */
  private written = 0;

  constructor(private storage: Storage, readonly prefix: string, private readonly now: () => number = Date.now) {
    this.ready = new Promise((r) => (this.markReady = r));
  }

  /** Loads the prefix and follows it until the signal aborts. Re-lists if the watch breaks. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const list = await this.storage.list(this.prefix);
        this.reset(list.kvs, list.revision);
        const w = this.storage.watch(this.prefix, { afterRevision: list.revision, signal });
        for await (const batch of w.events) this.apply(batch);
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ err: String(err), prefix: this.prefix }, 'watch cache restarting');
        if (!(err instanceof CompactedError)) await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const s of this.subscribers) s.close();
    this.subscribers.clear();
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  private reset(kvs: KeyValue[], revision: number): void {
    const fresh = new Map<string, CachedObject>();
    for (const kv of kvs) fresh.set(kv.key, decodeKv(kv));
    const hadData = this.rev > 0;
    this.items = fresh;
    this.sorted = null;
    this.history = [];
    this.historyStart = revision;
    for (const r of this.hints.keys()) if (r <= revision) this.hints.delete(r);
    this.rev = Math.max(this.rev, revision);
    // Watchers cannot be resumed across a relist without risking gaps: end them.
    if (hadData) {
      for (const s of this.subscribers) s.close(new TooOldError(revision, revision));
      this.subscribers.clear();
    }
    this.markReady();
    this.wake();
  }

  private apply(batch: WatchEvent[]): void {
    const out: CacheEvent[] = [];
    const at = this.now();
    for (const ev of batch) {
      if (ev.revision <= this.rev) continue;
      let ce: CacheEvent;
      if (ev.type === 'delete') {
        const obj = decodeKv(ev.kv, ev.revision);
        ce = { type: 'DELETED', object: obj, rev: ev.revision, at };
        if (this.items.delete(ev.kv.key)) this.sorted = null;
      } else {
        const hint = this.hints.get(ev.revision);
        if (hint) this.hints.delete(ev.revision);
        const obj = hint?.key === ev.kv.key ? hint : decodeKv(ev.kv);
        const prev = this.items.get(ev.kv.key);
        if (!prev) this.sorted = null;
        this.items.set(ev.kv.key, obj);
        ce = prev ? { type: 'MODIFIED', object: obj, prev, rev: ev.revision, at } : { type: 'ADDED', object: obj, rev: ev.revision, at };
      }
      out.push(ce);
      this.history.push(ce);
      this.rev = ev.revision;
    }
    this.trimHistory();
    if (this.hints.size) for (const r of this.hints.keys()) if (r <= this.rev) this.hints.delete(r);
    if (out.length) for (const s of this.subscribers) s.deliver(out);
    this.wake();
  }

  /** Trimmed in steps: shifting a 10k-entry array on every batch costs more than the events. */
  private trimHistory(): void {
    const h = this.history;
    let drop = h.length > HISTORY + HISTORY_SLACK ? h.length - HISTORY : 0;
    const now = this.now();
    if (now - this.lastTrim >= 1000 && h.length > HISTORY_MIN) {
      this.lastTrim = now;
      const stale = now - FRESH_MS;
      let i = drop;
      while (i < h.length - HISTORY_MIN && h[i].at < stale) i++;
      drop = i;
    }
    if (drop === 0) return;
    this.historyStart = h[drop - 1].rev;
    h.splice(0, drop);
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) (w.rev <= this.rev ? w.resolve() : still.push(w));
    this.waiters = still;
  }

  /**
   * Records that a write at `rev` was acknowledged, so later reads wait for it. With the
   * written object (its resourceVersion set), the cache takes that object when the storage
   * event arrives instead of parsing the stored bytes again; the object is frozen from now on.
   */
  noteWrite(rev: number, written?: Written): void {
    if (rev > this.written) this.written = rev;
    if (!written) return;
    const json = withResourceVersion(written.text, written.obj, String(rev));
    committed.set(deepFreeze(written.obj), json);
    if (rev > this.rev) this.hints.set(rev, { key: written.key, obj: written.obj, json, rev });
  }

  /** Resolves once the cache reflects every acknowledged write (or `rev`, if higher). */
  async fresh(rev = 0): Promise<void> {
    await this.ready;
    const want = Math.max(rev, this.written);
    if (want <= this.rev) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`watch cache for ${this.prefix} did not reach revision ${want}`)), 10_000);
      this.waiters.push({ rev: want, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  get(key: string): CachedObject | undefined {
    return this.items.get(key);
  }

  get size(): number {
    return this.items.size;
  }

  /** Objects whose key starts with `prefix` (a namespace's prefix, or the resource's), in key order, after `startAfter`. */
  *range(prefix: string, startAfter?: string): Generator<CachedObject> {
    if (!this.sorted) this.sorted = [...this.items.keys()].sort();
    const keys = this.sorted;
    const from = startAfter && startAfter >= prefix ? startAfter : prefix;
    let i = lowerBound(keys, from);
    if (startAfter && keys[i] === startAfter) i++;
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (!k.startsWith(prefix)) break;
      const o = this.items.get(k);
      if (o) yield o;
    }
  }

  /**
   * Subscribes to events after `afterRev`, first replaying the window. Throws TooOldError
   * when the window no longer reaches back that far.
   */
  subscribe(afterRev: number, sub: Subscriber): { replay: CacheEvent[]; cancel: () => void } {
    if (this.failed) throw this.failed;
    if (afterRev < this.historyStart) throw new TooOldError(afterRev, this.historyStart);
    const replay = afterRev >= this.rev ? [] : this.history.filter((e) => e.rev > afterRev);
    this.subscribers.add(sub);
    return { replay, cancel: () => this.subscribers.delete(sub) };
  }

  /** Current objects under prefix plus a subscription from this exact point (no gap). */
  snapshotAndSubscribe(prefix: string, sub: Subscriber): { objects: CachedObject[]; rev: number; cancel: () => void } {
    const objects = [...this.range(prefix)];
    this.subscribers.add(sub);
    return { objects, rev: this.rev, cancel: () => this.subscribers.delete(sub) };
  }

  get watcherCount(): number {
    return this.subscribers.size;
  }
}

function lowerBound(arr: string[], x: string): number {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
