import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../util/clock.js';
import { BucketRateLimiter, defaultControllerRateLimiter, ItemExponentialRateLimiter, MaxOfRateLimiter } from './ratelimit.js';
import { WorkQueue } from './workqueue.js';
import { eventually, tick } from './testing/eventually.js';

const ready = <T>(p: Promise<T>) => Promise.race([p, tick().then(() => 'pending' as const)]);

describe('WorkQueue', () => {
  test('a key queued twice is handed out once, in FIFO order', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a'); q.add('b'); q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(await ready(q.get()), 'pending');
  });

  test('a key re-added while processing is handed out again only after done', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    const k = await q.get();
    q.add('a'); q.add('a');
    const next = q.get();
    assert.equal(await ready(next), 'pending', 'not while a worker holds it');
    q.done(k!);
    assert.equal(await next, 'a');
    q.done('a');
    assert.equal(q.length, 0);
  });

  test('rate-limited adds back off exponentially per key until forget', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000_000) });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const start = clock.now();
      q.addRateLimited('k');
      const got = q.get();
      while ((await ready(got)) === 'pending') clock.advance(1);
      delays.push(clock.now() - start);
      q.done('k');
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('k'), 4);
    q.forget('k');
    assert.equal(q.numRequeues('k'), 0);
  });

  test('addAfter keeps the earliest time; shutDown drops waiting keys and releases getters', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('k', 100);
    q.addAfter('k', 50);
    q.addAfter('k', 200);
    clock.advance(49);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    assert.equal(await q.get(), 'k');
    q.addAfter('later', 10);
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    clock.advance(100);
    assert.equal(q.length, 0);
    q.add('x');
    assert.equal(await q.get(), undefined);
  });

  test('runWorkers: one worker per key, failures retried with backoff, success forgets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    const ac = new AbortController();
    const active = new Set<string>();
    let overlap = false;
    let attempts = 0;
    const done: string[] = [];
    const release: (() => void)[] = [];
    const running = q.runWorkers(4, async (key) => {
      if (active.has(key)) overlap = true;
      active.add(key);
      try {
        if (key === 'slow') await new Promise<void>((r) => release.push(r));
        if (key === 'flaky' && ++attempts < 3) throw new Error('try again');
        done.push(key);
      } finally {
        active.delete(key);
      }
    }, ac.signal);
    q.add('slow');
    await eventually(() => release.length === 1, 'slow running');
    q.add('slow'); // while processing: must wait
    q.add('flaky');
    await eventually(() => attempts === 1, 'first flaky attempt');
    assert.equal(q.numRequeues('flaky'), 1);
    await eventually(() => { clock.advance(5); return done.includes('flaky'); }, 'flaky retried');
    assert.equal(attempts, 3);
    assert.equal(q.numRequeues('flaky'), 0, 'forgotten after success');
    release.shift()!();
    await eventually(() => release.length === 1, 'slow re-run after done');
    assert.equal(overlap, false);
    release.shift()!();
    await eventually(() => done.filter((k) => k === 'slow').length === 2, 'slow twice');
    ac.abort();
    await running;
    assert.equal(q.shuttingDown, true);
  });
});

describe('rate limiters', () => {
  test('default controller limiter: per-item exponential capped at 1000s, overall bucket 10 qps burst 100', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter<string>(clock);
    assert.equal(l.when('a'), 5);
    assert.equal(l.when('a'), 10);
    const big = new ItemExponentialRateLimiter<string>(5, 1000_000);
    for (let i = 0; i < 40; i++) big.when('x');
    assert.equal(big.when('x'), 1000_000);

    const bucket = new BucketRateLimiter<string>(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(bucket.when(), 0);
    assert.equal(bucket.when(), 100);
    assert.equal(bucket.when(), 200);
    const max = new MaxOfRateLimiter<string>(new ItemExponentialRateLimiter(5, 1000), bucket);
    assert.equal(max.when('y'), 300);
  });
});
