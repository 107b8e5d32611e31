// The conformance suite every Storage backend runs. Prefixes passed to list, count and
// watch are plain string prefixes; callers that mean "children of a directory" pass a
// trailing '/', so '/a/b/' never matches '/a/bc/...'.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CompactedError, ConflictError, KeyExistsError, NotFoundError,
  type KeyValue, type Storage, type WatchEvent, type Watcher,
} from './types.js';
import { FutureRevisionError } from './errors.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Reads batches until at least n events arrived or the watch ended; fails after the deadline. */
export async function takeEvents(w: Watcher, n: number, timeoutMs = 5_000): Promise<WatchEvent[]> {
  const it = w.events[Symbol.asyncIterator]();
  const out: WatchEvent[] = [];
  while (out.length < n) {
    const r = await withDeadline(it.next(), timeoutMs, `waiting for ${n} events, got ${out.length}`);
    if (r.done) break;
    out.push(...r.value);
  }
  return out;
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out ${what}`)), ms); });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A compact, comparable form of an event. */
function brief(e: WatchEvent): string {
  const prev = e.prev ? ` prev=${dec(e.prev.value)}@${e.prev.modRevision}` : '';
  return `${e.type} ${e.kv.key}=${dec(e.kv.value)} c${e.kv.createRevision} m${e.kv.modRevision} r${e.revision}${prev}`;
}

function keysOf(kvs: KeyValue[]): string[] {
  return kvs.map((kv) => kv.key);
}

export function runStorageConformance(name: string, makeStorage: () => Promise<Storage>): void {
  async function withStore(fn: (s: Storage) => Promise<void>): Promise<void> {
    const s = await makeStorage();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  }

  describe(`Storage conformance: ${name}`, () => {
    test('create, get, exists', () => withStore(async (s) => {
      assert.equal(await s.currentRevision(), 0);
      const kv = await s.create('/r/a', enc('one'));
      assert.equal(kv.key, '/r/a');
      assert.equal(dec(kv.value), 'one');
      assert.equal(kv.createRevision, kv.modRevision);
      assert.equal(kv.modRevision, await s.currentRevision());
      const got = await s.get('/r/a');
      assert.ok(got);
      assert.deepEqual({ ...got, value: dec(got.value) }, { ...kv, value: 'one' });
      await assert.rejects(s.create('/r/a', enc('two')), (e) => e instanceof KeyExistsError && e.key === '/r/a');
      assert.equal(await s.get('/r/missing'), undefined);
      assert.equal(dec((await s.get('/r/a'))!.value), 'one');
    }));

    test('stored values do not alias the caller\'s buffer', () => withStore(async (s) => {
      const buf = enc('abc');
      await s.create('/r/a', buf);
      buf[0] = 0x7a;
      assert.equal(dec((await s.get('/r/a'))!.value), 'abc');
    }));

    test('update with right and wrong revision', () => withStore(async (s) => {
      const a = await s.create('/r/a', enc('v1'));
      const b = await s.update('/r/a', enc('v2'), a.modRevision);
      assert.ok(b.modRevision > a.modRevision);
      assert.equal(b.createRevision, a.createRevision);
      assert.equal(dec(b.value), 'v2');
      await assert.rejects(s.update('/r/a', enc('v3'), a.modRevision), (e) => {
        assert.ok(e instanceof ConflictError);
        assert.equal(e.key, '/r/a');
        assert.equal(e.current?.modRevision, b.modRevision);
        assert.equal(dec(e.current!.value), 'v2');
        return true;
      });
      await assert.rejects(s.update('/r/none', enc('x'), 1), NotFoundError);
      assert.equal(dec((await s.get('/r/a'))!.value), 'v2');
    }));

    test('delete with and without expected revision', () => withStore(async (s) => {
      const a = await s.create('/r/a', enc('a1'));
      const b = await s.create('/r/b', enc('b1'));
      await assert.rejects(s.delete('/r/a', a.modRevision + 100), (e) => e instanceof ConflictError && e.current?.modRevision === a.modRevision);
      const da = await s.delete('/r/a', a.modRevision);
      assert.equal(dec(da.kv.value), 'a1');
      assert.equal(da.kv.modRevision, a.modRevision);
      assert.equal(da.revision, await s.currentRevision());
      const db = await s.delete('/r/b');
      assert.equal(dec(db.kv.value), 'b1');
      assert.equal(db.kv.createRevision, b.createRevision);
      assert.ok(db.revision > da.revision);
      assert.equal(await s.get('/r/a'), undefined);
      await assert.rejects(s.delete('/r/a'), NotFoundError);
      const again = await s.create('/r/a', enc('a2'));
      assert.equal(again.createRevision, again.modRevision);
      assert.ok(again.createRevision > db.revision);
    }));

    test('list by prefix does not match siblings', () => withStore(async (s) => {
      for (const k of ['/a/c/1', '/a/b/2', '/a/bc/1', '/a/b', '/a/b/1', '/b/x']) await s.create(k, enc(k));
      const rev = await s.currentRevision();
      const r = await s.list('/a/b/');
      assert.deepEqual(keysOf(r.kvs), ['/a/b/1', '/a/b/2']);
      assert.equal(r.revision, rev);
      assert.equal(r.more, false);
      assert.equal(dec(r.kvs[0]!.value), '/a/b/1');
      assert.deepEqual(keysOf((await s.list('/a/')).kvs), ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1', '/a/c/1']);
      assert.deepEqual(keysOf((await s.list('')).kvs), ['/a/b', '/a/b/1', '/a/b/2', '/a/bc/1', '/a/c/1', '/b/x']);
      assert.deepEqual(keysOf((await s.list('/z/')).kvs), []);
      await s.delete('/a/b/1');
      assert.deepEqual(keysOf((await s.list('/a/b/')).kvs), ['/a/b/2']);
    }));

    test('list paging with limit and startAfter', () => withStore(async (s) => {
      const keys = Array.from({ length: 25 }, (_, i) => `/p/k${String(i).padStart(2, '0')}`);
      for (const k of keys) await s.create(k, enc(k));
      await s.create('/q/after', enc('x'));
      const p1 = await s.list('/p/', { limit: 10 });
      assert.deepEqual(keysOf(p1.kvs), keys.slice(0, 10));
      assert.equal(p1.more, true);
      assert.equal(p1.remaining, 15);
      // Writes between pages do not show up when paging at the first page's revision.
      await s.create('/p/k05x', enc('late'));
      await s.delete('/p/k15');
      const p2 = await s.list('/p/', { limit: 10, startAfter: p1.kvs[9]!.key, revision: p1.revision });
      assert.deepEqual(keysOf(p2.kvs), keys.slice(10, 20));
      assert.equal(p2.more, true);
      assert.equal(p2.remaining, 5);
      const p3 = await s.list('/p/', { limit: 10, startAfter: p2.kvs[9]!.key, revision: p1.revision });
      assert.deepEqual(keysOf(p3.kvs), keys.slice(20));
      assert.equal(p3.more, false);
      // At the current revision the same walk sees the changes.
      const cur = await s.list('/p/', { limit: 7, startAfter: '/p/k04' });
      assert.deepEqual(keysOf(cur.kvs), ['/p/k05', '/p/k05x', '/p/k06', '/p/k07', '/p/k08', '/p/k09', '/p/k10']);
      assert.equal(cur.remaining, 13);
      // A startAfter before the prefix starts at the prefix; an exact fit has no more.
      assert.deepEqual(keysOf((await s.list('/p/', { startAfter: '/a', limit: 2 })).kvs), ['/p/k00', '/p/k01']);
      const all = await s.list('/p/', { limit: 25 });
      assert.equal(all.kvs.length, 25);
      assert.equal(all.more, false);
    }));

    test('list at an old revision', () => withStore(async (s) => {
      const a = await s.create('/o/a', enc('a1'));
      await s.create('/o/b', enc('b1'));
      const r1 = await s.currentRevision();
      await s.update('/o/a', enc('a2'), a.modRevision);
      await s.delete('/o/b');
      await s.create('/o/c', enc('c1'));
      const old = await s.list('/o/', { revision: r1 });
      assert.equal(old.revision, r1);
      assert.deepEqual(old.kvs.map((kv) => `${kv.key}=${dec(kv.value)}@${kv.modRevision}`), [`/o/a=a1@${a.modRevision}`, `/o/b=b1@${r1}`]);
      const older = await s.list('/o/', { revision: a.modRevision });
      assert.deepEqual(keysOf(older.kvs), ['/o/a']);
      const paged = await s.list('/o/', { revision: r1, limit: 1 });
      assert.deepEqual(keysOf(paged.kvs), ['/o/a']);
      assert.equal(paged.more, true);
      assert.equal(paged.remaining, 1);
      const now = await s.list('/o/');
      assert.deepEqual(now.kvs.map((kv) => `${kv.key}=${dec(kv.value)}`), ['/o/a=a2', '/o/c=c1']);
      await assert.rejects(s.list('/o/', { revision: now.revision + 5 }), FutureRevisionError);
    }));

    test('count', () => withStore(async (s) => {
      for (const k of ['/c/x/1', '/c/x/2', '/c/x/3', '/c/xy/1', '/c/y']) await s.create(k, enc('v'));
      assert.equal(await s.count('/c/x/'), 3);
      assert.equal(await s.count('/c/'), 5);
      assert.equal(await s.count('/none/'), 0);
      await s.delete('/c/x/2');
      assert.equal(await s.count('/c/x/'), 2);
    }));

    test('watch from now sees only later events under the prefix', () => withStore(async (s) => {
      await s.create('/w/before', enc('0'));
      const ac = new AbortController();
      const w = s.watch('/w/', { afterRevision: 0, signal: ac.signal });
      const a = await s.create('/w/a', enc('a1'));
      await s.create('/wx/other', enc('no'));
      const a2 = await s.update('/w/a', enc('a2'), a.modRevision);
      const d = await s.delete('/w/a');
      const events = await takeEvents(w, 3);
      ac.abort();
      assert.deepEqual(events.map(brief), [
        `create /w/a=a1 c${a.createRevision} m${a.modRevision} r${a.modRevision}`,
        `update /w/a=a2 c${a.createRevision} m${a2.modRevision} r${a2.modRevision} prev=a1@${a.modRevision}`,
        `delete /w/a=a2 c${a.createRevision} m${a2.modRevision} r${d.revision}`,
      ]);
    }));

    test('watch from a past revision replays history in order', () => withStore(async (s) => {
      const x = await s.create('/h/x', enc('x1'));
      const r0 = await s.currentRevision();
      const a = await s.create('/h/a', enc('a1'));
      const x2 = await s.update('/h/x', enc('x2'), x.modRevision);
      await s.create('/other/z', enc('z'));
      const dx = await s.delete('/h/x');
      const a2 = await s.update('/h/a', enc('a2'), a.modRevision);
      const ac = new AbortController();
      const w = s.watch('/h/', { afterRevision: r0, signal: ac.signal });
      const live = await s.create('/h/b', enc('b1'));
      const events = await takeEvents(w, 5);
      ac.abort();
      assert.deepEqual(events.map(brief), [
        `create /h/a=a1 c${a.createRevision} m${a.modRevision} r${a.modRevision}`,
        `update /h/x=x2 c${x.createRevision} m${x2.modRevision} r${x2.modRevision} prev=x1@${x.modRevision}`,
        `delete /h/x=x2 c${x.createRevision} m${x2.modRevision} r${dx.revision}`,
        `update /h/a=a2 c${a.createRevision} m${a2.modRevision} r${a2.modRevision} prev=a1@${a.modRevision}`,
        `create /h/b=b1 c${live.modRevision} m${live.modRevision} r${live.modRevision}`,
      ]);
    }));

    test('replay then live is gap free while writes continue', () => withStore(async (s) => {
      for (let i = 0; i < 150; i++) await s.create(`/g/old${i}`, enc(String(i)));
      const r0 = 20;
      const ac = new AbortController();
      const w = s.watch('/g/', { afterRevision: r0, signal: ac.signal });
      const writes = Promise.all(Array.from({ length: 150 }, (_, i) => s.create(`/g/new${i}`, enc(String(i)))));
      const events = await takeEvents(w, 280);
      await writes;
      ac.abort();
      assert.deepEqual(events.map((e) => e.revision), Array.from({ length: 280 }, (_, i) => r0 + 1 + i));
    }));

    test('the empty prefix covers every key', () => withStore(async (s) => {
      await s.create('/a', enc('0'));
      const r0 = await s.currentRevision();
      await s.create('/x/1', enc('1'));
      await s.create('/y/1', enc('2'));
      await s.create('z', enc('3'));
      assert.deepEqual(keysOf((await s.list('', { revision: r0 + 1 })).kvs), ['/a', '/x/1']);
      assert.equal(await s.count(''), 4);
      const ac = new AbortController();
      const events = await takeEvents(s.watch('', { afterRevision: r0, signal: ac.signal }), 3);
      ac.abort();
      assert.deepEqual(events.map((e) => e.kv.key), ['/x/1', '/y/1', 'z']);
    }));

    test('multiple concurrent watchers each see their events', () => withStore(async (s) => {
      const ac = new AbortController();
      const all = s.watch('/m/', { afterRevision: 0, signal: ac.signal });
      const one = s.watch('/m/one/', { afterRevision: 0, signal: ac.signal });
      const same = s.watch('/m/', { afterRevision: 0, signal: ac.signal });
      await Promise.all([s.create('/m/one/a', enc('1')), s.create('/m/two/a', enc('2')), s.create('/m/one/b', enc('3'))]);
      const [ea, eo, es] = await Promise.all([takeEvents(all, 3), takeEvents(one, 2), takeEvents(same, 3)]);
      ac.abort();
      assert.deepEqual(ea.map((e) => e.kv.key), ['/m/one/a', '/m/two/a', '/m/one/b']);
      assert.deepEqual(eo.map((e) => e.kv.key), ['/m/one/a', '/m/one/b']);
      assert.deepEqual(es.map(brief), ea.map(brief));
    }));

    test('watch ends on abort and on close', async () => {
      const s = await makeStorage();
      try {
        const ac = new AbortController();
        const w = s.watch('/e/', { afterRevision: 0, signal: ac.signal });
        const it = w.events[Symbol.asyncIterator]();
        const pending = it.next();
        ac.abort();
        assert.equal((await withDeadline(pending, 5_000, 'abort')).done, true);
        await s.create('/e/a', enc('x'));
        assert.equal((await it.next()).done, true);

        const pre = new AbortController();
        pre.abort();
        assert.deepEqual(await takeEvents(s.watch('/e/', { afterRevision: 0, signal: pre.signal }), 1), []);

        const open = s.watch('/e/', { afterRevision: 0, signal: new AbortController().signal });
        const waiting = takeEvents(open, 1);
        await s.close();
        assert.deepEqual(await waiting, []);
      } finally {
        await s.close();
      }
    });

    test('breaking out of iteration stops the watcher', () => withStore(async (s) => {
      const w = s.watch('/br/', { afterRevision: 0, signal: new AbortController().signal });
      await s.create('/br/a', enc('1'));
      for await (const batch of w.events) {
        assert.equal(batch[0]!.kv.key, '/br/a');
        break;
      }
      await s.create('/br/b', enc('2'));
      const it = w.events[Symbol.asyncIterator]();
      assert.equal((await it.next()).done, true);
    }));

    test('compaction', () => withStore(async (s) => {
      const a = await s.create('/k/a', enc('a1'));
      const b = await s.create('/k/b', enc('b1'));
      await s.create('/k/gone', enc('g1'));
      const a2 = await s.update('/k/a', enc('a2'), a.modRevision);
      await s.delete('/k/gone');
      const c = await s.create('/k/c', enc('c1'));
      const R = await s.currentRevision();
      const atR = (await s.list('/k/', { revision: R })).kvs.map((kv) => `${kv.key}=${dec(kv.value)}`);
      // Later writes whose previous value is at or below R.
      const a3 = await s.update('/k/a', enc('a3'), a2.modRevision);
      const db = await s.delete('/k/b', b.modRevision);
      await s.compact(R);
      assert.equal(await s.compactedRevision(), R);
      await assert.rejects(s.list('/k/', { revision: R - 1 }), (e) => e instanceof CompactedError && e.compacted === R && e.requested === R - 1);
      assert.deepEqual((await s.list('/k/', { revision: R })).kvs.map((kv) => `${kv.key}=${dec(kv.value)}`), atR);
      assert.deepEqual(keysOf((await s.list('/k/')).kvs), ['/k/a', '/k/c']);
      assert.equal(dec((await s.get('/k/a'))!.value), 'a3');
      assert.equal((await s.get('/k/c'))!.createRevision, c.createRevision);

      await assert.rejects(takeEvents(s.watch('/k/', { afterRevision: R - 1, signal: new AbortController().signal }), 1), CompactedError);
      const ac = new AbortController();
      const events = await takeEvents(s.watch('/k/', { afterRevision: R, signal: ac.signal }), 2);
      ac.abort();
      assert.deepEqual(events.map(brief), [
        `update /k/a=a3 c${a.createRevision} m${a3.modRevision} r${a3.modRevision} prev=a2@${a2.modRevision}`,
        `delete /k/b=b1 c${b.createRevision} m${b.modRevision} r${db.revision}`,
      ]);
      // Compacting again at or below the point is a no-op; beyond the head is refused.
      await s.compact(R - 1);
      assert.equal(await s.compactedRevision(), R);
      await assert.rejects(s.compact((await s.currentRevision()) + 1), FutureRevisionError);
      await s.compact(await s.currentRevision());
      assert.deepEqual(keysOf((await s.list('/k/')).kvs), ['/k/a', '/k/c']);
      const next = await s.create('/k/d', enc('d'));
      assert.equal(next.modRevision, db.revision + 1);
    }));

    test('revision is monotonic and failed writes do not consume revisions', () => withStore(async (s) => {
      let last = await s.currentRevision();
      const step = async (p: Promise<unknown>): Promise<void> => {
        await p;
        const now = await s.currentRevision();
        assert.equal(now, last + 1);
        last = now;
      };
      await step(s.create('/mo/a', enc('1')));
      await step(s.update('/mo/a', enc('2'), last));
      await assert.rejects(s.create('/mo/a', enc('3')), KeyExistsError);
      await assert.rejects(s.update('/mo/a', enc('3'), 1_000), ConflictError);
      await assert.rejects(s.delete('/mo/zz'), NotFoundError);
      assert.equal(await s.currentRevision(), last);
      await step(s.delete('/mo/a'));
    }));

    test('500 concurrent creates get distinct increasing revisions and are all readable', () => withStore(async (s) => {
      const kvs = await Promise.all(Array.from({ length: 500 }, (_, i) => s.create(`/cc/${String(i).padStart(3, '0')}`, enc(`v${i}`))));
      for (let i = 1; i < kvs.length; i++) assert.ok(kvs[i]!.modRevision > kvs[i - 1]!.modRevision, 'revisions follow call order');
      assert.equal(new Set(kvs.map((kv) => kv.modRevision)).size, 500);
      assert.equal(await s.currentRevision(), kvs[499]!.modRevision);
      const listed = await s.list('/cc/');
      assert.equal(listed.kvs.length, 500);
      listed.kvs.forEach((kv, i) => {
        assert.equal(dec(kv.value), `v${i}`);
        assert.equal(kv.modRevision, kvs[i]!.modRevision);
      });
    }));

    test('concurrent creates of one key: exactly one wins', () => withStore(async (s) => {
      const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => s.create('/one/key', enc(String(i)))));
      const won = results.filter((r) => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof KeyExistsError);
      assert.equal(dec((await s.get('/one/key'))!.value), '0');
    }));

    test('concurrent updates at one revision: exactly one wins', () => withStore(async (s) => {
      const kv = await s.create('/one/u', enc('0'));
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => s.update('/one/u', enc(String(i + 1)), kv.modRevision)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
    }));
  });
}
