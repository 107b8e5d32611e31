// Injectable time. Components take a Clock so tests can drive time with FakeClock
// instead of waiting for real timers.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls fn once after ms. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Resolves true after ms, or false as soon as signal aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<boolean>;
}

function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => { t.cancel(); resolve(false); };
    const t = clock.setTimer(ms, () => { signal?.removeEventListener('abort', onAbort); resolve(true); });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const h = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(h) };
  },
  sleep(ms, signal) { return sleepOn(realClock, ms, signal); },
};

interface Pending { at: number; seq: number; fn: () => void }

/** A clock that moves only when told to. Timers due at the same instant fire in creation order. */
export class FakeClock implements Clock {
  private timers: Pending[] = [];
  private seq = 0;
  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number { return this.current; }

  setTimer(ms: number, fn: () => void): Timer {
    const p: Pending = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(p);
    return { cancel: () => { this.timers = this.timers.filter((x) => x !== p); } };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<boolean> { return sleepOn(this, ms, signal); }

  /** Moves time forward, firing every timer that falls due on the way (at its due time). */
  advance(ms: number): void {
    const end = this.current + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = end;
  }

  /** Timers not yet fired; lets a test wait until a component is parked on the clock. */
  get pendingTimers(): number { return this.timers.length; }
}
