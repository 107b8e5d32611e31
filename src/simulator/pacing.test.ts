import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { Limiter, TimerLoop } from './pacing.js';

describe('TimerLoop', () => {
  test('runs callbacks in time order with one clock timer', () => {
    const clock = new FakeClock(0);
    const loop = new TimerLoop(clock);
    const seen: string[] = [];
    loop.at(300, () => seen.push('c'));
    loop.at(100, () => seen.push('a'));
    loop.at(200, () => seen.push('b1'));
    loop.at(200, () => seen.push('b2'));
    assert.equal(clock.pendingTimers, 1);
    clock.advance(150);
    assert.deepEqual(seen, ['a']);
    clock.advance(1000);
    assert.deepEqual(seen, ['a', 'b1', 'b2', 'c']);
    assert.equal(clock.pendingTimers, 0);
  });

  test('callbacks may schedule more; stop drops everything', () => {
    const clock = new FakeClock(0);
    const loop = new TimerLoop(clock);
    let ticks = 0;
    const tick = () => { ticks++; loop.after(10, tick); };
    loop.after(10, tick);
    clock.advance(100);
    assert.equal(ticks, 10);
    loop.stop();
    clock.advance(100);
    assert.equal(ticks, 10);
    assert.equal(clock.pendingTimers, 0);
    loop.at(0, tick);
    assert.equal(loop.size, 0);
  });

  test('holds many tasks in order', () => {
    const clock = new FakeClock(0);
    const loop = new TimerLoop(clock);
    const out: number[] = [];
    const times = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    for (const t of times) loop.at(t, () => out.push(t));
    clock.advance(1000);
    assert.deepEqual(out, [...times].sort((a, b) => a - b));
  });
});

describe('Limiter', () => {
  test('bounds calls in flight and runs the rest in order', async () => {
    const lim = new Limiter(2);
    let active = 0, peak = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = [0, 1, 2, 3, 4].map((i) => lim.run(async () => {
      active++; peak = Math.max(peak, active); order.push(i);
      await new Promise<void>((r) => releases.push(r));
      active--;
      return i;
    }));
    while (order.length < 5) {
      await new Promise((r) => setImmediate(r));
      assert.ok(lim.inFlight <= 2);
      releases.shift()?.();
    }
    for (const r of releases.splice(0)) r();
    assert.deepEqual(await Promise.all(jobs), [0, 1, 2, 3, 4]);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
    assert.equal(peak, 2);
    await lim.idle();
    assert.equal(lim.inFlight, 0);
  });

  test('a failing call frees its slot', async () => {
    const lim = new Limiter(1);
    await assert.rejects(lim.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await lim.run(async () => 7), 7);
  });
});

describe('Limiter priorities', () => {
  test('urgent calls go first, but normal calls keep a share of the slots', async () => {
    const lim = new Limiter(1, 3);
    const order: string[] = [];
    let release!: () => void;
    const first = lim.run(() => new Promise<void>((r) => { release = r; }));
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) jobs.push(lim.run(async () => { order.push(`n${i}`); }));
    for (let i = 0; i < 5; i++) jobs.push(lim.run(async () => { order.push(`u${i}`); }, true));
    release();
    await Promise.all([first, ...jobs]);
    assert.deepEqual(order, ['u0', 'u1', 'n0', 'u2', 'u3', 'n1', 'u4', 'n2']);
  });
});
