import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStorage, prefixEnd } from './sqlite.js';
import { runStorageConformance } from '../conformance.suite.js';
import { ConflictError, KeyExistsError, StorageError } from '../types.js';

const dir = mkdtempSync(join(tmpdir(), 'kite-sqlite-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `store-${n++}`, 'nested', 'kite.db');
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

runStorageConformance('sqlite', () => SqliteStorage.open(freshPath()));

describe('SqliteStorage', () => {
  test('reopen preserves data, revision and compaction point', async () => {
    const path = freshPath();
    const s = await SqliteStorage.open(path);
    const a = await s.create('/re/a', enc('a1'));
    await s.update('/re/a', enc('a2'), a.modRevision);
    await s.create('/re/b', enc('b1'));
    const old = await s.currentRevision();
    const d = await s.delete('/re/b');
    // Compacting at the head deletes the newest row (the tombstone) itself.
    await s.compact(d.revision);
    await s.close();

    const s2 = await SqliteStorage.open(path);
    try {
      assert.equal(await s2.currentRevision(), d.revision);
      assert.equal(await s2.compactedRevision(), d.revision);
      await assert.rejects(s2.list('/re/', { revision: old }), StorageError);
      const got = await s2.get('/re/a');
      assert.equal(dec(got!.value), 'a2');
      assert.equal(got!.createRevision, a.createRevision);
      assert.equal(await s2.get('/re/b'), undefined);
      const c = await s2.create('/re/c', enc('c1'));
      assert.equal(c.modRevision, d.revision + 1);
    } finally {
      await s2.close();
    }
  });

  test('concurrent writes share one transaction; failures stay isolated', async () => {
    const s = await SqliteStorage.open(freshPath());
    try {
      const base = await s.create('/gc/base', enc('0'));
      const before = s.stats();
      const results = await Promise.allSettled([
        ...Array.from({ length: 200 }, (_, i) => s.create(`/gc/${i}`, enc(String(i)))),
        s.create('/gc/base', enc('dup')),
        s.update('/gc/base', enc('1'), base.modRevision),
        s.update('/gc/base', enc('2'), base.modRevision),
      ]);
      const after = s.stats();
      assert.equal(after.transactions - before.transactions, 1);
      assert.equal(after.writes - before.writes, 201);
      assert.ok(after.maxBatch >= 203);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 201);
      assert.ok(results[200]!.status === 'rejected' && results[200].reason instanceof KeyExistsError);
      assert.ok(results[202]!.status === 'rejected' && results[202].reason instanceof ConflictError);
      assert.equal(await s.count('/gc/'), 201);
    } finally {
      await s.close();
    }
  });

  test('writes queued at close are committed before the file closes', async () => {
    const path = freshPath();
    const s = await SqliteStorage.open(path);
    const pending = s.create('/cl/a', enc('x'));
    await s.close();
    await pending;
    await assert.rejects(s.create('/cl/b', enc('y')), StorageError);
    const s2 = await SqliteStorage.open(path);
    try {
      assert.equal(dec((await s2.get('/cl/a'))!.value), 'x');
    } finally {
      await s2.close();
    }
  });

  test('a second open of the same file is refused while the first is open', async () => {
    const path = freshPath();
    const s = await SqliteStorage.open(path);
    try {
      await assert.rejects(SqliteStorage.open(path), /in use by another process/);
    } finally {
      await s.close();
    }
    const again = await SqliteStorage.open(path, { synchronous: 'normal' });
    await again.close();
  });

  test('compaction in several chunks', async () => {
    const s = await SqliteStorage.open(freshPath(), { compactionChunk: 7 });
    try {
      let kv = await s.create('/ch/a', enc('0'));
      for (let i = 1; i <= 50; i++) kv = await s.update('/ch/a', enc(String(i)), kv.modRevision);
      const others = await Promise.all(Array.from({ length: 30 }, (_, i) => s.create(`/ch/o${i}`, enc('o'))));
      await Promise.all(others.slice(0, 10).map((o) => s.delete(o.key)));
      const rev = await s.currentRevision();
      const before = (await s.list('/ch/')).kvs.map((x) => `${x.key}=${dec(x.value)}@${x.modRevision}`);
      await s.compact(rev);
      assert.deepEqual((await s.list('/ch/', { revision: rev })).kvs.map((x) => `${x.key}=${dec(x.value)}@${x.modRevision}`), before);
      assert.equal(await s.count('/ch/'), 21);
    } finally {
      await s.close();
    }
  });

  test('prefixEnd bounds exactly the keys under a prefix', () => {
    assert.equal(prefixEnd('/a/'), '/a0');
    assert.equal(prefixEnd('/a/z'), '/a/{');
    assert.equal(prefixEnd('x\u{10FFFF}'), 'y');
    assert.equal(prefixEnd('\u{D7FF}'), '\u{E000}');
    assert.ok(prefixEnd('') instanceof Uint8Array);
    assert.ok(prefixEnd('\u{10FFFF}') instanceof Uint8Array);
  });
});
