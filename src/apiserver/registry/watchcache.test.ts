import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage } from '../../storage/memory/memory.js';
import { TooOldError, WatchCache, type CacheEvent } from './watchcache.js';

const enc = new TextEncoder();
const value = (name: string) => enc.encode(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }));

async function setup() {
  const storage = new MemoryStorage();
  let now = 1_000_000;
  const cache = new WatchCache(storage, '/cm/', () => now);
  const ac = new AbortController();
  const running = cache.run(ac.signal);
  await cache.whenReady();
  const write = async (n: number) => {
    let rev = 0;
    for (let i = 0; i < n; i++) rev = (await storage.create(`/cm/${now}-${i}`, value(`c${i}`))).modRevision;
    cache.noteWrite(rev);
    await cache.fresh();
    return rev;
  };
  const sub = { deliver: (_: CacheEvent[]) => undefined, close: () => undefined };
  const stop = async () => { ac.abort(); await storage.close(); await running; };
  return { cache, write, sub, stop, advance: (ms: number) => { now += ms; } };
}

test('watch history keeps every event of the last 75 s', async () => {
  const t = await setup();
  const first = await t.write(1);
  t.advance(5_000);
  await t.write(500);
  t.advance(60_000);
  await t.write(1);
  const s = t.cache.subscribe(first - 1, t.sub);
  assert.equal(s.replay.length, 502);
  s.cancel();
  await t.stop();
});

test('older events beyond the newest 100 expire: resuming there is 410, recent ones still resume', async () => {
  const t = await setup();
  const before = (await t.write(300)) - 300;
  t.advance(80_000);
  const last = await t.write(1);
  assert.throws(() => t.cache.subscribe(before, t.sub), TooOldError);
  const s = t.cache.subscribe(last - 100, t.sub);
  assert.equal(s.replay.length, 100);
  s.cancel();
  await t.stop();
});
