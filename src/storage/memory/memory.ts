// In-memory Storage for tests and simulations. Keeps every version of every key until
// compaction, so lists at old revisions and watch replay behave as in the durable
// backends. Writes apply synchronously in call order; values are copied on write.
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError,
  type KeyValue, type ListOptions, type ListResult, type Storage, type WatchEvent, type WatchOptions, type Watcher,
} from '../types.js';
import { FutureRevisionError, StorageClosedError } from '../errors.js';
import { WatchHub, type WatchHubOptions } from '../watch.js';

/** One write to a key: the kv it left behind, or undefined for a deletion. */
interface Version { revision: number; kv: KeyValue | undefined }

export class MemoryStorage implements Storage {
  private rev = 0;
  private compacted = 0;
  private closed = false;
  /** Versions per key, ascending by revision; a key leaves the map when compaction empties it. */
  private readonly versions = new Map<string, Version[]>();
  /** Keys of `versions`, sorted, for prefix ranges (see sortedKeys). */
  private keys: string[] = [];
  /** Keys added since `keys` was last sorted: inserting each into a large sorted array is O(n). */
  private added: string[] = [];
  /** Every event after the compaction point, ascending. */
  private log: WatchEvent[] = [];
  private readonly hub: WatchHub;

  constructor(opts: WatchHubOptions = {}) {
    this.hub = new WatchHub({
      currentRevision: () => this.rev,
      compactedRevision: () => this.compacted,
      history: (prefix, after, upTo, limit) => this.history(prefix, after, upTo, limit),
    }, opts);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.checkOpen();
    if (this.latest(key)) throw new KeyExistsError(key);
    const revision = this.rev + 1;
    const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: revision, modRevision: revision };
    this.commit(key, { revision, kv }, { type: 'create', kv, revision });
    return kv;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.latest(key);
  }

  async update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.latest(key);
    if (!prev) throw new NotFoundError(key);
    if (prev.modRevision !== expectedModRevision) throw new ConflictError(key, prev);
    const revision = this.rev + 1;
    const kv: KeyValue = { key, value: new Uint8Array(value), createRevision: prev.createRevision, modRevision: revision };
    this.commit(key, { revision, kv }, { type: 'update', kv, prev, revision });
    return kv;
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ kv: KeyValue; revision: number }> {
    this.checkOpen();
    const kv = this.latest(key);
    if (!kv) throw new NotFoundError(key);
    if (expectedModRevision !== undefined && kv.modRevision !== expectedModRevision) throw new ConflictError(key, kv);
    const revision = this.rev + 1;
    this.commit(key, { revision, kv: undefined }, { type: 'delete', kv, revision });
    return { kv, revision };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const from = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : undefined;
    const kvs: KeyValue[] = [];
    let remaining = 0;
    const keys = this.sortedKeys();
    for (let i = from === undefined ? lowerBound(keys, prefix) : upperBound(keys, from); i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const kv = this.at(key, revision);
      if (!kv) continue;
      if (kvs.length < limit) kvs.push(kv);
      else remaining++;
    }
    return remaining > 0 ? { kvs, revision, more: true, remaining } : { kvs, revision, more: false };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    let n = 0;
    const keys = this.sortedKeys();
    for (let i = lowerBound(keys, prefix); i < keys.length && keys[i]!.startsWith(prefix); i++) {
      if (this.latest(keys[i]!)) n++;
    }
    return n;
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    return this.hub.watch(prefix, opts);
  }

  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision <= this.compacted) return;
    this.compacted = revision;
    this.log = this.log.slice(upperBoundRev(this.log, revision));
    const emptied = new Set<string>();
    for (const [key, vs] of this.versions) {
      // Keep the newest version at or below `revision` (the state there) unless it is a deletion.
      let i = 0;
      while (i < vs.length && vs[i]!.revision <= revision) i++;
      const keepFrom = i > 0 && vs[i - 1]!.kv ? i - 1 : i;
      if (keepFrom === 0) continue;
      vs.splice(0, keepFrom);
      if (vs.length === 0) emptied.add(key);
    }
    if (emptied.size > 0) {
      for (const key of emptied) this.versions.delete(key);
      this.keys = this.sortedKeys().filter((k) => !emptied.has(k));
    }
  }

  async currentRevision(): Promise<number> { return this.rev; }
  async compactedRevision(): Promise<number> { return this.compacted; }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }

  private pending: WatchEvent[] = [];

  private commit(key: string, version: Version, event: WatchEvent): void {
    let vs = this.versions.get(key);
    if (!vs) {
      vs = [];
      this.versions.set(key, vs);
      this.added.push(key);
    }
    vs.push(version);
    this.log.push(event);
    this.rev = version.revision;
    // Events of one event-loop turn reach watchers as one batch (as the sqlite backend's
    // group commit does), so fan-out work is shared by concurrent writes.
    this.pending.push(event);
    if (this.pending.length === 1) queueMicrotask(() => this.hub.publish(this.pending.splice(0)));
  }

  private sortedKeys(): string[] {
    if (this.added.length) {
      const added = this.added.sort();
      this.added = [];
      // Merge two sorted runs.
      const out = new Array<string>(this.keys.length + added.length);
      let i = 0, j = 0, k = 0;
      while (i < this.keys.length && j < added.length) out[k++] = this.keys[i]! < added[j]! ? this.keys[i++]! : added[j++]!;
      while (i < this.keys.length) out[k++] = this.keys[i++]!;
      while (j < added.length) out[k++] = added[j++]!;
      this.keys = out;
    }
    return this.keys;
  }

  private latest(key: string): KeyValue | undefined {
    const vs = this.versions.get(key);
    return vs ? vs[vs.length - 1]!.kv : undefined;
  }

  private at(key: string, revision: number): KeyValue | undefined {
    const vs = this.versions.get(key)!;
    for (let i = vs.length - 1; i >= 0; i--) if (vs[i]!.revision <= revision) return vs[i]!.kv;
    return undefined;
  }

  private readRevision(requested: number | undefined): number {
    if (!requested) return this.rev;
    if (requested > this.rev) throw new FutureRevisionError(requested, this.rev);
    if (requested < this.compacted) throw new CompactedError(requested, this.compacted);
    return requested;
  }

  private history(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let i = upperBoundRev(this.log, after); i < this.log.length && out.length < limit; i++) {
      const e = this.log[i]!;
      if (e.revision > upTo) break;
      if (e.kv.key.startsWith(prefix)) out.push(e);
    }
    return out;
  }
}

/** First index whose key is >= k. */
function lowerBound(keys: string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (keys[mid]! < k) lo = mid + 1; else hi = mid; }
  return lo;
}

/** First index whose key is > k. */
function upperBound(keys: string[], k: string): number {
  let lo = 0, hi = keys.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (keys[mid]! <= k) lo = mid + 1; else hi = mid; }
  return lo;
}

/** First index of an event with revision > r. */
function upperBoundRev(log: WatchEvent[], r: number): number {
  let lo = 0, hi = log.length;
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (log[mid]!.revision <= r) lo = mid + 1; else hi = mid; }
  return lo;
}
