// The embedded durable Storage: one SQLite file (WAL), owned by one process, written by
// one connection. See docs/storage.md for the schema and the durability argument.
//
// Writes go through a queue. Everything queued before the next check phase of the event
// loop (setImmediate) is applied in one transaction, so concurrent callers share one
// fsync; each promise settles only after that transaction has committed. Operations in a
// batch are checked and applied in queue order: revisions follow call order, and a failed
// precondition rejects only its own operation.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError, StorageError,
  type KeyValue, type ListOptions, type ListResult, type Storage, type WatchEvent, type WatchOptions, type Watcher,
} from '../types.js';
import { FutureRevisionError, StorageClosedError } from '../errors.js';
import { WatchHub, type WatchHubOptions } from '../watch.js';

export interface SqliteOptions extends WatchHubOptions {
  /**
   * 'full' (default) fsyncs the WAL at every commit: acknowledged writes survive process
   * kill and power loss. 'normal' skips that fsync: acknowledged writes still survive the
   * process being killed (the OS holds them), but the last ones may roll back on power loss.
   */
  synchronous?: 'full' | 'normal';
  /** Revisions deleted per compaction transaction (default 10,000). */
  compactionChunk?: number;
}

export interface SqliteStats {
  /** Committed write transactions (batches). */
  transactions: number;
  /** Write operations that succeeded. */
  writes: number;
  /** Largest number of operations applied in one transaction. */
  maxBatch: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kv (
  revision INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_key_revision ON kv (key, revision);
CREATE TABLE IF NOT EXISTS live (key TEXT PRIMARY KEY, revision INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** A key's current row: value, create revision (c) and mod revision (m). */
interface KvRow { key: string; value: Uint8Array; c: number; m: number }
/** A log row joined with the row it superseded (p*), if any. */
interface LogRow { revision: number; key: string; c: number; deleted: number; value: Uint8Array; pv: Uint8Array | null; pc: number | null; pm: number | null }

type Op =
  | { kind: 'create'; key: string; value: Uint8Array; done: Settle<KeyValue> }
  | { kind: 'update'; key: string; value: Uint8Array; expected: number; done: Settle<KeyValue> }
  | { kind: 'delete'; key: string; expected: number | undefined; done: Settle<{ kv: KeyValue; revision: number }> };

interface Settle<T> { resolve(v: T): void; reject(e: unknown): void }
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

const EMPTY = new Uint8Array(0);
/** An empty BLOB: SQLite orders every TEXT value before any BLOB, so it bounds "all keys". */
const NO_UPPER_BOUND = EMPTY;

export class SqliteStorage implements Storage {
  private rev: number;
  private compacted: number;
  private closed = false;
  private queue: Op[] = [];
  private flushScheduled = false;
  private compaction: Promise<void> = Promise.resolve();
  private readonly counters: SqliteStats = { transactions: 0, writes: 0, maxBatch: 0 };
  private readonly hub: WatchHub;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly applyBatch: (ops: Op[], events: WatchEvent[], outcomes: Outcome[]) => void;
  private readonly compactionChunk: number;

  /** Opens (creating directories and file as needed) the store at path. */
  static async open(path: string, opts: SqliteOptions = {}): Promise<SqliteStorage> {
    await mkdir(dirname(path), { recursive: true });
    // No busy wait: the only contender for the lock is another process owning the file.
    const db = new Database(path, { timeout: 0 });
    try {
      // Exclusive locking: the single owning process holds the file lock for its lifetime,
      // so a second server on the same file fails here instead of corrupting revisions.
      db.pragma('locking_mode = EXCLUSIVE');
      if (db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') throw new StorageError(`${path}: cannot enable WAL`);
      db.pragma(`synchronous = ${opts.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('journal_size_limit = 67108864');
      db.exec(SCHEMA);
    } catch (err) {
      db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') throw new StorageError(`${path} is in use by another process`);
      throw err;
    }
    return new SqliteStorage(db, opts);
  }

  private constructor(private readonly db: Database.Database, opts: SqliteOptions) {
    const meta = db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE name = ?');
    this.compacted = meta.get('compact_revision')?.value ?? 0;
    const maxRow = db.prepare<[], { r: number | null }>('SELECT max(revision) AS r FROM kv').get()?.r ?? 0;
    // Compaction may delete the newest row (a deletion), so the revision never drops below it.
    this.rev = Math.max(maxRow, this.compacted);
    this.compactionChunk = opts.compactionChunk ?? 10_000;
    this.hub = new WatchHub({
      currentRevision: () => this.rev,
      compactedRevision: () => this.compacted,
      history: (prefix, after, upTo, limit) => this.history(prefix, after, upTo, limit),
    }, opts);
    this.applyBatch = db.transaction((ops: Op[], events: WatchEvent[], outcomes: Outcome[]) => {
      for (const op of ops) {
        try {
          outcomes.push({ ok: true, value: this.apply(op, events) });
        } catch (error) {
          if (!(error instanceof StorageError)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'create', key, value: new Uint8Array(value), done: { resolve, reject } }));
  }

  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    return new Promise((resolve, reject) =>
      this.enqueue({ kind: 'update', key, value: new Uint8Array(value), expected: expectedModRevision, done: { resolve, reject } }));
  }

  delete(key: string, expectedModRevision?: number): Promise<{ kv: KeyValue; revision: number }> {
    return new Promise((resolve, reject) => this.enqueue({ kind: 'delete', key, expected: expectedModRevision, done: { resolve, reject } }));
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.current(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const revision = this.readRevision(opts.revision);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const after = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : undefined;
    const lower = after ?? prefix;
    const upper = prefixEnd(prefix);
    const historic = revision < this.rev;
    const cmp = after === undefined ? '>=' : '>';
    const rows = historic
      ? this.stmt<[string, string | Uint8Array, number, number], KvRow>(
        `SELECT key, value, create_revision AS c, max(revision) AS m, deleted FROM kv
         WHERE key ${cmp} ? AND key < ? AND revision <= ? GROUP BY key HAVING deleted = 0 ORDER BY key LIMIT ?`,
      ).all(lower, upper, revision, limit > 0 ? limit + 1 : -1)
      : this.stmt<[string, string | Uint8Array, number], KvRow>(
        `SELECT k.key, k.value, k.create_revision AS c, k.revision AS m FROM live l JOIN kv k ON k.revision = l.revision
         WHERE l.key ${cmp} ? AND l.key < ? ORDER BY l.key LIMIT ?`,
      ).all(lower, upper, limit > 0 ? limit + 1 : -1);
    if (limit === 0 || rows.length <= limit) return { kvs: rows.map(toKv), revision, more: false };
    rows.length = limit;
    const last = rows[limit - 1]!.key;
    const remaining = historic
      ? this.stmt<[string, string | Uint8Array, number], { n: number }>(
        `SELECT count(*) AS n FROM (SELECT deleted, max(revision) FROM kv
         WHERE key > ? AND key < ? AND revision <= ? GROUP BY key HAVING deleted = 0)`,
      ).get(last, upper, revision)!.n
      : this.stmt<[string, string | Uint8Array], { n: number }>('SELECT count(*) AS n FROM live WHERE key > ? AND key < ?').get(last, upper)!.n;
    return { kvs: rows.map(toKv), revision, more: true, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.stmt<[string, string | Uint8Array], { n: number }>('SELECT count(*) AS n FROM live WHERE key >= ? AND key < ?')
      .get(prefix, prefixEnd(prefix))!.n;
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    return this.hub.watch(prefix, opts);
  }

  /**
   * Marks revision as the compaction point at once (reads below it fail from now on), then
   * deletes superseded rows in chunks, yielding to the event loop between chunks.
   */
  async compact(revision: number): Promise<void> {
    this.checkOpen();
    if (revision > this.rev) throw new FutureRevisionError(revision, this.rev);
    if (revision <= this.compacted) return;
    this.compacted = revision;
    this.stmt('INSERT INTO meta (name, value) VALUES (\'compact_revision\', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value')
      .run(revision);
    const run = this.compaction.then(() => this.deleteSuperseded(revision));
    this.compaction = run.catch(() => undefined);
    return run;
  }

  async currentRevision(): Promise<number> { return this.rev; }
  async compactedRevision(): Promise<number> { return this.compacted; }

  stats(): SqliteStats { return { ...this.counters }; }

  /** Commits queued writes, ends watchers and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.hub.close();
    await this.compaction;
    this.db.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }

  private enqueue(op: Op): void {
    if (this.closed) { op.done.reject(new StorageClosedError()); return; }
    this.queue.push(op);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const ops = this.queue;
    if (ops.length === 0) return;
    this.queue = [];
    const start = this.rev;
    const events: WatchEvent[] = [];
    const outcomes: Outcome[] = [];
    try {
      this.applyBatch(ops, events, outcomes);
    } catch (err) {
      // The transaction rolled back: nothing in this batch happened.
      this.rev = start;
      for (const op of ops) op.done.reject(err);
      return;
    }
    this.counters.transactions++;
    this.counters.writes += events.length;
    this.counters.maxBatch = Math.max(this.counters.maxBatch, ops.length);
    this.hub.publish(events);
    ops.forEach((op, i) => {
      const o = outcomes[i]!;
      if (o.ok) (op.done as Settle<unknown>).resolve(o.value);
      else op.done.reject(o.error);
    });
  }

  /** Applies one operation inside the batch transaction; throws StorageError on a failed precondition. */
  private apply(op: Op, events: WatchEvent[]): unknown {
    const cur = this.current(op.key);
    const insert = this.stmt<[number, string, number, number, number, Uint8Array]>(
      'INSERT INTO kv (revision, key, create_revision, prev_revision, deleted, value) VALUES (?, ?, ?, ?, ?, ?)');
    const setLive = this.stmt<[string, number]>(
      'INSERT INTO live (key, revision) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET revision = excluded.revision');
    switch (op.kind) {
      case 'create': {
        if (cur) throw new KeyExistsError(op.key);
        const revision = this.rev + 1;
        insert.run(revision, op.key, revision, 0, 0, op.value);
        setLive.run(op.key, revision);
        this.rev = revision;
        const kv: KeyValue = { key: op.key, value: op.value, createRevision: revision, modRevision: revision };
        events.push({ type: 'create', kv, revision });
        return kv;
      }
      case 'update': {
        if (!cur) throw new NotFoundError(op.key);
        if (cur.modRevision !== op.expected) throw new ConflictError(op.key, cur);
        const revision = this.rev + 1;
        insert.run(revision, op.key, cur.createRevision, cur.modRevision, 0, op.value);
        setLive.run(op.key, revision);
        this.rev = revision;
        const kv: KeyValue = { key: op.key, value: op.value, createRevision: cur.createRevision, modRevision: revision };
        events.push({ type: 'update', kv, prev: cur, revision });
        return kv;
      }
      case 'delete': {
        if (!cur) throw new NotFoundError(op.key);
        if (op.expected !== undefined && cur.modRevision !== op.expected) throw new ConflictError(op.key, cur);
        const revision = this.rev + 1;
        // A tombstone keeps no value: the last value stays in the row it points to.
        insert.run(revision, op.key, cur.createRevision, cur.modRevision, 1, EMPTY);
        this.stmt<[string]>('DELETE FROM live WHERE key = ?').run(op.key);
        this.rev = revision;
        events.push({ type: 'delete', kv: cur, revision });
        return { kv: cur, revision };
      }
    }
  }

  private current(key: string): KeyValue | undefined {
    const row = this.stmt<[string], KvRow>(
      'SELECT k.key, k.value, k.create_revision AS c, k.revision AS m FROM live l JOIN kv k ON k.revision = l.revision WHERE l.key = ?',
    ).get(key);
    return row && toKv(row);
  }

  private readRevision(requested: number | undefined): number {
    if (!requested) return this.rev;
    if (requested > this.rev) throw new FutureRevisionError(requested, this.rev);
    if (requested < this.compacted) throw new CompactedError(requested, this.compacted);
    return requested;
  }

  private history(prefix: string, after: number, upTo: number, limit: number): WatchEvent[] {
    // `+r.key` keeps the planner on the revision range: replay cost follows the number
    // of revisions replayed, not the size of the prefix.
    const rows = this.stmt<[number, number, string, string | Uint8Array, number], LogRow>(
      `SELECT r.revision, r.key, r.create_revision AS c, r.deleted, r.value, p.value AS pv, p.create_revision AS pc, p.revision AS pm
       FROM kv r LEFT JOIN kv p ON p.revision = r.prev_revision
       WHERE r.revision > ? AND r.revision <= ? AND +r.key >= ? AND +r.key < ? ORDER BY r.revision LIMIT ?`,
    ).all(after, upTo, prefix, prefixEnd(prefix), limit);
    return rows.map((r): WatchEvent => {
      const prev = r.pm === null ? undefined : { key: r.key, value: r.pv!, createRevision: r.pc!, modRevision: r.pm };
      if (r.deleted) return { type: 'delete', kv: prev!, revision: r.revision };
      const kv = { key: r.key, value: r.value, createRevision: r.c, modRevision: r.revision };
      return prev ? { type: 'update', kv, prev, revision: r.revision } : { type: 'create', kv, revision: r.revision };
    });
  }

  /**
   * Deletes rows at or below `upTo` that no read at or above it can see: every row older
   * than its key's newest row at or below `upTo`, and that newest row too when it is a
   * deletion. Rows later writes point to as their previous value are exactly those
   * newest live rows, so they survive.
   */
  private async deleteSuperseded(upTo: number): Promise<void> {
    const del = this.stmt<[number, number, number]>(
      `DELETE FROM kv WHERE revision > ? AND revision <= ? AND (deleted = 1 OR revision <
         (SELECT max(k2.revision) FROM kv k2 WHERE k2.key = kv.key AND k2.revision <= ?))`);
    let lo = (this.stmt<[], { r: number | null }>('SELECT min(revision) AS r FROM kv').get()?.r ?? upTo + 1) - 1;
    while (lo < upTo && !this.closed) {
      const hi = Math.min(lo + this.compactionChunk, upTo);
      del.run(lo, hi, upTo);
      lo = hi;
      if (lo < upTo) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Prepared statements, prepared on first use. */
  private stmt<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s as unknown as Database.Statement<P, R>;
  }
}

function toKv(r: KvRow): KeyValue {
  return { key: r.key, value: r.value, createRevision: r.c, modRevision: r.m };
}

/**
 * The smallest string above every string that starts with prefix (in UTF-8 byte order,
 * which is code point order), or NO_UPPER_BOUND when there is none.
 */
export function prefixEnd(prefix: string): string | Uint8Array {
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (cps.length > 0) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      cps.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return NO_UPPER_BOUND;
}
