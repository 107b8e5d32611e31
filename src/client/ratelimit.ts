// Rate limiters for work queues (how long until an item may be retried) and a token
// bucket shared with the event recorder's spam filter.
import { KeyedBackoff } from '../util/backoff.js';
import { realClock, type Clock } from '../util/clock.js';

/** A token bucket: `qps` tokens per second, holding at most `burst`; starts full. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(readonly qps: number, readonly burst: number, private readonly clock: Clock = realClock) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** Takes a token if one is there. */
  tryAccept(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token now or in the future; returns the wait in ms until it is ours. */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }
}

export interface RateLimiter<K> {
  /** How long to wait before the item's next try; counts a failure. */
  when(item: K): number;
  /** The item succeeded: reset its history. */
  forget(item: K): void;
  numRequeues(item: K): number;
}

/** base * 2^failures per item, capped at max. */
export class ItemExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly backoff: KeyedBackoff<K>;
  constructor(baseMs = 5, maxMs = 1000_000) { this.backoff = new KeyedBackoff(baseMs, maxMs); }
  when(item: K): number { return this.backoff.next(item); }
  forget(item: K): void { this.backoff.forget(item); }
  numRequeues(item: K): number { return this.backoff.failuresOf(item); }
}

/** An overall rate for all items, whatever their history. */
export class BucketRateLimiter<K> implements RateLimiter<K> {
  private readonly bucket: TokenBucket;
  constructor(qps: number, burst: number, clock?: Clock) { this.bucket = new TokenBucket(qps, burst, clock); }
  when(): number { return this.bucket.reserve(); }
  forget(): void { /* no per-item state */ }
  numRequeues(): number { return 0; }
}

/** The longest wait any of the limiters asks for. */
export class MaxOfRateLimiter<K> implements RateLimiter<K> {
  private readonly limiters: RateLimiter<K>[];
  constructor(...limiters: RateLimiter<K>[]) { this.limiters = limiters; }
  when(item: K): number { return Math.max(...this.limiters.map((l) => l.when(item))); }
  forget(item: K): void { for (const l of this.limiters) l.forget(item); }
  numRequeues(item: K): number { return Math.max(...this.limiters.map((l) => l.numRequeues(item))); }
}

/** client-go's DefaultControllerRateLimiter: per item 5ms doubling to 1000s, overall 10 qps with a burst of 100. */
export function defaultControllerRateLimiter<K>(clock?: Clock): RateLimiter<K> {
  return new MaxOfRateLimiter<K>(new ItemExponentialRateLimiter<K>(5, 1000_000), new BucketRateLimiter<K>(10, 100, clock));
}
