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

export function expiredEvent(message: string): string {
  return JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 } }) + '\n';
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

  const render = (events: CacheEvent[]): string => {
    let out = '';
    for (const e of events) {
      lastRev = e.rev;
      const now = w.match(e.object.obj);
      if (e.type === 'MODIFIED') {
        const before = e.prev ? w.match(e.prev.obj) : false;
        if (now && before) out += encode('MODIFIED', e.object);
        else if (now) out += encode('ADDED', e.object);
        else if (before && e.prev) {
          // Left the selector: its previous state, at this event's revision.
          const o = structuredClone(e.prev.obj);
          o.metadata.resourceVersion = String(e.rev);
          out += encode('DELETED', { obj: o });
        }
      } else if (now) out += encode(e.type, e.object);
    }
    return out;
  };

  const sub = {
    deliver: (events: CacheEvent[]) => {
      const relevant = events.filter((e) => e.object.key.startsWith(w.prefix));
      if (relevant.length) write(render(relevant));
    },
    close: (err?: Error) => {
      if (err instanceof TooOldError) write(expiredEvent(err.message));
      finish();
    },
  };

  const rv = w.resourceVersion;
  try {
    if (rv === '' || rv === '0') {
      const snap = w.cache.snapshotAndSubscribe(w.prefix, sub);
      cancel = snap.cancel;
      lastRev = snap.rev;
      let out = '';
      for (const o of snap.objects) if (w.match(o.obj)) out += encode('ADDED', o);
      write(out);
    } else {
      const n = Number(rv);
      const s = w.cache.subscribe(n, sub);
      cancel = s.cancel;
      lastRev = n;
      sub.deliver(s.replay);
    }
  } catch (err) {
    if (err instanceof TooOldError) write(expiredEvent(err.message));
    finish();
    return;
  }

  bookmarkTimer = setInterval(() => {
    if (!w.bookmarks) return;
    write(JSON.stringify({ type: 'BOOKMARK', object: { kind: w.res.kind, apiVersion: w.res.apiVersion, metadata: { resourceVersion: String(Math.max(lastRev, w.cache.rev)) } } }) + '\n');
  }, BOOKMARK_INTERVAL_MS);
  bookmarkTimer.unref();
  // Without a client timeout, upstream ends watches after a randomized 30-60 minutes.
  const timeoutMs = w.timeoutSeconds !== undefined ? w.timeoutSeconds * 1000 : (1800 + Math.random() * 1800) * 1000;
  timeoutTimer = setTimeout(finish, timeoutMs);
  timeoutTimer.unref();
  resp.on('close', finish);
  resp.on('error', finish);
}
