// Exponential backoff with optional jitter, and a reset after a quiet period.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Multiplier per step; default 2. */
  factor?: number;
  /** Adds up to jitter * delay at random; default 0. */
  jitter?: number;
  /** A step taken this long after the previous one starts again from initialMs. */
  resetAfterMs?: number;
}

export class Backoff {
  private current = 0;
  private lastAt = -Infinity;
  constructor(private readonly o: BackoffOptions, private readonly now: () => number = Date.now, private readonly random: () => number = Math.random) {}

  /** The delay to wait before the next attempt. */
  next(): number {
    const t = this.now();
    if (this.o.resetAfterMs !== undefined && t - this.lastAt > this.o.resetAfterMs) this.current = 0;
    this.lastAt = t;
    this.current = this.current === 0 ? this.o.initialMs : Math.min(this.o.maxMs, this.current * (this.o.factor ?? 2));
    return this.current + (this.o.jitter ? this.random() * this.o.jitter * this.current : 0);
  }

  reset(): void { this.current = 0; }
}

/** Per-key exponential delays: base * 2^failures, capped (client-go's ItemExponentialFailureRateLimiter). */
export class KeyedBackoff<K> {
  private failures = new Map<K, number>();
  constructor(private readonly baseMs: number, private readonly maxMs: number) {}

  next(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  failuresOf(key: K): number { return this.failures.get(key) ?? 0; }
  forget(key: K): void { this.failures.delete(key); }
}
