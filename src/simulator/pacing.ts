// Pacing for thousands of simulated nodes in one process: one timer loop instead of a
// timer per node, and a bound on API calls in flight.
import type { Clock, Timer } from '../util/clock.js';

interface Task { at: number; seq: number; fn: () => void }

/**
 * Runs callbacks at given times from one binary heap, keeping a single clock timer armed
 * for the earliest. Callbacks due at the same time run in the order they were added.
 */
export class TimerLoop {
  private readonly heap: Task[] = [];
  private seq = 0;
  private armed?: { at: number; timer: Timer };
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  get size(): number { return this.heap.length; }

  /** Runs fn at time `at` (ms since the epoch), or at the next tick if that is past. */
  at(at: number, fn: () => void): void {
    if (this.stopped) return;
    this.push({ at, seq: this.seq++, fn });
    this.arm();
  }

  after(ms: number, fn: () => void): void { this.at(this.clock.now() + ms, fn); }

  /** Drops every pending callback; later at() calls are ignored. */
  stop(): void {
    this.stopped = true;
    this.armed?.timer.cancel();
    this.armed = undefined;
    this.heap.length = 0;
  }

  private arm(): void {
    const next = this.heap[0];
    if (!next || (this.armed && this.armed.at <= next.at)) return;
    this.armed?.timer.cancel();
    this.armed = { at: next.at, timer: this.clock.setTimer(next.at - this.clock.now(), () => this.fire()) };
  }

  private fire(): void {
    this.armed = undefined;
    const now = this.clock.now();
    while (!this.stopped && this.heap.length && this.heap[0].at <= now) this.pop().fn();
    this.arm();
  }

  private less(a: Task, b: Task): boolean { return a.at < b.at || (a.at === b.at && a.seq < b.seq); }

  private push(t: Task): void {
    const h = this.heap;
    h.push(t);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Task {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/**
 * At most `max` calls in flight; the rest wait in FIFO order per priority. Urgent calls
 * (liveness) go first, but every `shareEvery`-th free slot goes to a waiting normal call so
 * bulk work (registration) still advances when urgent work alone could fill the server.
 */
export class Limiter {
  private active = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly normal: (() => void)[] = [];
  private handouts = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(readonly max: number, private readonly shareEvery = 4) {
    if (!(max >= 1)) throw new Error(`limiter: max must be at least 1, got ${max}`);
  }

  get inFlight(): number { return this.active; }
  get queued(): number { return this.urgent.length + this.normal.length; }

  async run<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => (urgent ? this.urgent : this.normal).push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const share = ++this.handouts % this.shareEvery === 0;
      const next = (share ? this.normal.shift() : undefined) ?? this.urgent.shift() ?? this.normal.shift();
      if (next) next(); // the slot passes straight to the next caller
      else if (--this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Resolves once nothing is in flight or queued. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }
}
