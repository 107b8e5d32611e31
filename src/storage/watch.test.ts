import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from './memory/memory.js';
import { WatchOverflowError } from './errors.js';
import { takeEvents } from './conformance.suite.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('a watcher that falls behind ends with WatchOverflowError and writers are not blocked', async () => {
  const s = new MemoryStorage({ maxBufferedEvents: 5 });
  const ac = new AbortController();
  const slow = s.watch('/o/', { afterRevision: 0, signal: ac.signal });
  const fast = s.watch('/o/', { afterRevision: 0, signal: ac.signal });
  const fastEvents = takeEvents(fast, 10);
  for (let i = 0; i < 10; i++) await s.create(`/o/${i}`, enc('x'));
  assert.equal((await fastEvents).length, 10);
  await assert.rejects(takeEvents(slow, 1), WatchOverflowError);
  ac.abort();
  await s.close();
});

test('replay is delivered in pages', async () => {
  const s = new MemoryStorage({ replayPageSize: 3 });
  for (let i = 0; i < 10; i++) await s.create(`/p/${i}`, enc('x'));
  const ac = new AbortController();
  const it = s.watch('/p/', { afterRevision: 0 + 1, signal: ac.signal }).events[Symbol.asyncIterator]();
  const sizes: number[] = [];
  for (let got = 0; got < 9;) {
    const r = await it.next();
    assert.equal(r.done, false);
    sizes.push(r.value!.length);
    got += r.value!.length;
  }
  assert.deepEqual(sizes, [3, 3, 3]);
  ac.abort();
  await s.close();
});

test('a watch from a future revision waits for it', async () => {
  const s = new MemoryStorage();
  await s.create('/f/a', enc('1'));
  const ac = new AbortController();
  const w = s.watch('/f/', { afterRevision: 2, signal: ac.signal });
  const events = takeEvents(w, 1);
  await s.create('/f/b', enc('2'));
  await s.create('/f/c', enc('3'));
  assert.deepEqual((await events).map((e) => e.kv.key), ['/f/c']);
  ac.abort();
  await s.close();
});
