// Watch streams: chunked newline-delimited JSON events, headers flushed at once,
// synthetic ADDED events for resourceVersion "" / "0", selector transitions (an object
// leaving the selector is DELETED), bookmarks, timeouts and 410 Expired.
import type { ServerResponse } from 'node:http';
import type { KObject } from '../../api/types.js';
import type { CacheEvent, CachedObject, WatchCache } from '../registry/watchcache.js';
import { TooOldError } from '../registry/watchcache.js';
import type { ServedResource } from '../resources.js';
import { tableColumns, tableRow, type IncludeObject } from './table.js';

export interface WatchRequest {
  res: ServedResource;
  cache: WatchCache;
  /** Key prefix (resource or namespace scope). */
  prefix: string;
  match: (obj: KObject) => boolean;
  resourceVersion: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  table?: { include: IncludeObject };
  now: () => number;
  onClose?: () => void;
}

const BOOKMARK_INTERVAL_MS = 30_000;
/** A watcher further behind than this many bytes is cut off (it re-watches from its last RV). */
const MAX_BUFFERED = 32 * 1024 * 1024;

function expiredStatus(message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 };
}

/** One watch event as an object (the in-process lane). */
export interface WatchEventObject { type: string; object: unknown }

/**
 * A response that also takes watch events as objects: the in-process transport, whose
 * clients then skip encoding and parsing. Objects handed over are deep-frozen cache objects.
 */
export interface WatchEventSink { writeWatchEvents(events: WatchEventObject[]): void }

function eventSink(resp: ServerResponse): WatchEventSink | undefined {
  const r = resp as unknown as Partial<WatchEventSink>;
  return typeof r.writeWatchEvents === 'function' ? (r as WatchEventSink) : undefined;
}

export function serveWatch(resp: ServerResponse, w: WatchRequest): void {
  resp.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  resp.flushHeaders();
  let closed = false;
  let headersSent = false;
  let lastRev = 0;
  let cancel = () => {};
  let bookmarkTimer: NodeJS.Timeout | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;

  const sink = w.table ? undefined : eventSink(resp);
  const encode = (type: string, o: CachedObject | { obj: KObject }): string => {
    if (w.table) {
      const row = tableRow(w.res, o.obj, w.table.include, w.now());
      const table = { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: o.obj.metadata.resourceVersion }, columnDefinitions: headersSent ? [] : tableColumns(w.res), rows: [row] };
      headersSent = true;
      return JSON.stringify({ type, object: table }) + '\n';
    }
    return 'json' in o ? `{"type":"${type}","object":${o.json}}\n` : JSON.stringify({ type, object: o.obj }) + '\n';
  };

  const finish = () => {
    if (closed) return;
    closed = true;
    cancel();
    clearInterval(bookmarkTimer);
    clearTimeout(timeoutTimer);
    w.onClose?.();
    resp.end();
  };

  const write = (s: string) => {
    if (closed || !s) return;
    resp.write(s);
    if (resp.writableLength > MAX_BUFFERED) finish();
  };

  // Events of one delivery go out as one write: text, or objects on the in-process lane.
  let text = '';
  const objects: WatchEventObject[] = [];
  const emit = (type: string, o: CachedObject | { obj: KObject }) => {
    if (sink) objects.push({ type, object: o.obj });
    else text += encode(type, o);
  };
  const flush = () => {
    if (sink) {
      if (!closed && objects.length) sink.writeWatchEvents(objects.splice(0));
    } else {
      write(text);
      text = '';
    }
  };
  const emitRaw = (type: string, object: unknown) => {
    if (sink) objects.push({ type, object });
    else text += JSON.stringify({ type, object }) + '\n';
    flush();
  };
  const expired = (message: string) => emitRaw('ERROR', expiredStatus(message));

  const render = (events: CacheEvent[]): void => {
    for (const e of events) {
      lastRev = e.rev;
      const now = w.match(e.object.obj);
      if (e.type === 'MODIFIED') {
        const before = e.prev ? w.match(e.prev.obj) : false;
        if (now && before) emit('MODIFIED', e.object);
        else if (now) emit('ADDED', e.object);
        else if (before && e.prev) {
          // Left the selector: its previous state, at this event's revision.
          const o = structuredClone(e.prev.obj);
          o.metadata.resourceVersion = String(e.rev);
          emit('DELETED', { obj: o });
        }
      } else if (now) emit(e.type, e.object);
    }
    flush();
  };

  const sub = {
    deliver: (events: CacheEvent[]) => {
      const relevant = events.filter((e) => e.object.key.startsWith(w.prefix));
      if (relevant.length) render(relevant);
    },
    close: (err?: Error) => {
      if (err instanceof TooOldError) expired(err.message);
      finish();
    },
  };

  const rv = w.resourceVersion;
  try {
    if (rv === '' || rv === '0') {
      const snap = w.cache.snapshotAndSubscribe(w.prefix, sub);
      cancel = snap.cancel;
      lastRev = snap.rev;
      for (const o of snap.objects) if (w.match(o.obj)) emit('ADDED', o);
      flush();
    } else {
      const n = Number(rv);
      const s = w.cache.subscribe(n, sub);
      cancel = s.cancel;
      lastRev = n;
      sub.deliver(s.replay);
    }
  } catch (err) {
    if (err instanceof TooOldError) expired(err.message);
    finish();
    return;
  }

  bookmarkTimer = setInterval(() => {
    if (!w.bookmarks) return;
    emitRaw('BOOKMARK', { kind: w.res.kind, apiVersion: w.res.apiVersion, metadata: { resourceVersion: String(Math.max(lastRev, w.cache.rev)) } });
  }, BOOKMARK_INTERVAL_MS);
  bookmarkTimer.unref();
  // Without a client timeout, upstream ends watches after a randomized 30-60 minutes.
  const timeoutMs = w.timeoutSeconds !== undefined ? w.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timeoutTimer = setTimeout(finish, timeoutMs);
  timeoutTimer.unref();
  resp.on('close', finish);
  resp.on('error', finish);
}
