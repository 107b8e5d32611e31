// The controller work queue. Guarantees, as upstream's:
// - a key is queued at most once however often it is added;
// - a key is handed to one worker at a time; re-added while being processed, it is queued
//   again only after done(key);
// - failures are retried with per-key exponential backoff (addRateLimited) until forget(key).
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { logger } from '../util/log.js';
import { isConflict } from './errors.js';
import { defaultControllerRateLimiter, type RateLimiter } from './ratelimit.js';

export interface WorkQueueOptions<K> {
  rateLimiter?: RateLimiter<K>;
  clock?: Clock;
  /** For logs. */
  name?: string;
}

/** What a handler may return: ask for another pass later without counting a failure. */
export interface HandlerResult { requeueAfterMs?: number }

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiting = new Map<K, { at: number; timer: Timer }>();
  private getters: ((k: K | undefined) => void)[] = [];
  private shutdown = false;
  private readonly limiter: RateLimiter<K>;
  private readonly clock: Clock;
  private readonly log;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.log = logger(`workqueue${opts.name ? `:${opts.name}` : ''}`);
  }

  add(key: K): void {
    if (this.shutdown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const get = this.getters.shift();
    if (get) this.hand(key, get);
    else this.queue.push(key);
  }

  private hand(key: K, to: (k: K) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    to(key);
  }

  /** The next key, once there is one; undefined after shutDown. Call done(key) when finished with it. */
  get(): Promise<K | undefined> {
    if (this.shutdown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return new Promise((resolve) => this.hand(key, resolve));
    return new Promise((resolve) => this.getters.push(resolve));
  }

  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shutdown) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Adds the key after ms; a key already waiting keeps the earlier of the two times. */
  addAfter(key: K, ms: number): void {
    if (this.shutdown) return;
    if (ms <= 0) { this.add(key); return; }
    const at = this.clock.now() + ms;
    const w = this.waiting.get(key);
    if (w && w.at <= at) return;
    w?.timer.cancel();
    this.waiting.set(key, {
      at,
      timer: this.clock.setTimer(ms, () => { this.waiting.delete(key); this.add(key); }),
    });
  }

  /** Adds the key when the rate limiter allows; counts as a failure for backoff. */
  addRateLimited(key: K): void { this.addAfter(key, this.limiter.when(key)); }

  /** Clears the key's failure history (call after it was processed successfully). */
  forget(key: K): void { this.limiter.forget(key); }

  numRequeues(key: K): number { return this.limiter.numRequeues(key); }

  /** Keys queued and not yet handed out. */
  get length(): number { return this.queue.length; }

  get shuttingDown(): boolean { return this.shutdown; }

  /** Stops handing out keys: queued and waiting keys are dropped, get() answers undefined. */
  shutDown(): void {
    this.shutdown = true;
    this.queue.length = 0;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }

  /**
   * Runs n workers until signal aborts (which shuts the queue down). A handler that throws
   * has its key re-added with backoff; one that returns normally has its key forgotten.
   * Settles once every worker has finished its current key.
   */
  async runWorkers(n: number, handler: (key: K, signal: AbortSignal) => Promise<HandlerResult | void> | HandlerResult | void, signal: AbortSignal): Promise<void> {
    const stop = () => this.shutDown();
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    const worker = async () => {
      for (let key = await this.get(); key !== undefined; key = await this.get()) {
        try {
          const r = await handler(key, signal);
          this.forget(key);
          if (r?.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
        } catch (e) {
          if (!signal.aborted) {
            // A write from a stale cache losing a compare-and-swap is routine (the retry
            // reads the newer version): debug, as upstream logs it at V(2). The first few
            // of any other failure are warnings.
            const retries = this.numRequeues(key);
            const fields = { key: String(key), err: e instanceof Error ? e.message : String(e), retries };
            if (isConflict(e) && retries < 5) this.log.debug(fields, 'sync conflicted; requeuing');
            else this.log.warn(fields, 'sync failed; requeuing');
            this.addRateLimited(key);
          }
        } finally {
          this.done(key);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: n }, worker));
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
}
