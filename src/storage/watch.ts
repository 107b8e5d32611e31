// Watch fan-out shared by the backends. A backend publishes each committed batch of
// events once; every watcher whose prefix matches gets them appended to its own buffer,
// so a slow consumer never blocks writers or other watchers. A buffer that grows past
// its bound ends that watch with WatchOverflowError; the consumer re-watches from the
// last revision it saw.
//
// Gap freedom: watch() registers the watcher synchronously and notes the store's
// current revision R. Everything after R arrives live; (afterRevision, R] is replayed
// from the backend's history before the live buffer is drained. Backends publish each
// batch after the revision counter moves; live events the replay covered are dropped, so
// no event is lost or delivered twice.
import { CompactedError, type WatchEvent, type WatchOptions, type Watcher } from './types.js';
import { WatchOverflowError } from './errors.js';

export interface WatchHistory {
  currentRevision(): number;
  compactedRevision(): number;
  /**
   * Events for keys under prefix with after < revision <= upTo, ascending, at most
   * limit of them. Only called with after >= compactedRevision().
   */
  history(prefix: string, after: number, upTo: number, limit: number): WatchEvent[];
}

export interface WatchHubOptions {
  /** Most events buffered for one watcher before it is ended (default 100,000). */
  maxBufferedEvents?: number;
  /** Events per replay batch (default 1,000). */
  replayPageSize?: number;
}

export class WatchHub {
  private readonly streams = new Set<WatchStream>();
  private readonly maxBuffered: number;
  private readonly pageSize: number;
  private closed = false;

  constructor(private readonly source: WatchHistory, opts: WatchHubOptions = {}) {
    this.maxBuffered = opts.maxBufferedEvents ?? 100_000;
    this.pageSize = opts.replayPageSize ?? 1_000;
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    const current = this.source.currentRevision();
    const after = opts.afterRevision === 0 ? current : opts.afterRevision;
    const stream = new WatchStream(this, this.source, prefix, after, current, this.maxBuffered, this.pageSize);
    const compacted = this.source.compactedRevision();
    if (this.closed) stream.finish();
    else if (after < compacted) stream.fail(new CompactedError(after, compacted));
    else stream.attach(opts.signal);
    return { events: stream };
  }

  /** Fans one committed batch (ascending revisions) out to matching watchers. */
  publish(batch: WatchEvent[]): void {
    if (batch.length === 0) return;
    for (const s of this.streams) s.offer(batch);
  }

  /** Ends every watcher; later watches end immediately. */
  close(): void {
    this.closed = true;
    for (const s of [...this.streams]) s.finish();
  }

  /** Number of live watchers (for tests and metrics). */
  get size(): number { return this.streams.size; }

  /** @internal */
  add(s: WatchStream): void { this.streams.add(s); }
  /** @internal */
  remove(s: WatchStream): void { this.streams.delete(s); }
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** One watcher: a single-consumer async iterator over batches of events. */
class WatchStream implements AsyncIterableIterator<WatchEvent[]> {
  private queue: WatchEvent[][] = [];
  private buffered = 0;
  private wake: (() => void) | undefined;
  private done = false;
  private error: Error | undefined;
  /** Replay cursor: revisions in (replayPos, replayUpTo] still to be read from history. */
  private replayPos: number;
  private signal: AbortSignal | undefined;
  private readonly onAbort = () => this.finish();

  constructor(
    private readonly hub: WatchHub,
    private readonly source: WatchHistory,
    private readonly prefix: string,
    private readonly after: number,
    private readonly replayUpTo: number,
    private readonly maxBuffered: number,
    private readonly pageSize: number,
  ) {
    this.replayPos = after;
  }

  attach(signal: AbortSignal): void {
    if (signal.aborted) { this.finish(); return; }
    this.signal = signal;
    signal.addEventListener('abort', this.onAbort, { once: true });
    this.hub.add(this);
  }

  offer(batch: WatchEvent[]): void {
    // Revisions up to replayUpTo come from history; a backend that publishes a batch after
    // moving its revision (memory's per-turn batching) may offer some of them again.
    const from = Math.max(this.after, this.replayUpTo);
    let matched: WatchEvent[] = batch;
    if (!batch.every((e) => e.revision > from && e.kv.key.startsWith(this.prefix))) {
      matched = batch.filter((e) => e.revision > from && e.kv.key.startsWith(this.prefix));
      if (matched.length === 0) return;
    }
    this.buffered += matched.length;
    if (this.buffered > this.maxBuffered) { this.fail(new WatchOverflowError(this.maxBuffered)); return; }
    this.queue.push(matched);
    this.notify();
  }

  fail(err: Error): void {
    if (this.done) return;
    this.error = err;
    this.finish();
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.queue = [];
    this.buffered = 0;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.hub.remove(this);
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  async next(): Promise<IteratorResult<WatchEvent[]>> {
    for (;;) {
      if (this.error) {
        const err = this.error;
        this.error = undefined;
        throw err;
      }
      if (this.done) return DONE;
      if (this.replayPos < this.replayUpTo) {
        const page = this.readReplayPage();
        if (page.length > 0) return { done: false, value: page };
        continue;
      }
      if (this.queue.length > 0) {
        const value = this.queue.length === 1 ? this.queue[0]! : this.queue.flat();
        this.queue = [];
        this.buffered = 0;
        return { done: false, value };
      }
      await new Promise<void>((resolve) => { this.wake = resolve; });
    }
  }

  private readReplayPage(): WatchEvent[] {
    const compacted = this.source.compactedRevision();
    if (this.replayPos < compacted) {
      this.fail(new CompactedError(this.after, compacted));
      return [];
    }
    const page = this.source.history(this.prefix, this.replayPos, this.replayUpTo, this.pageSize);
    this.replayPos = page.length < this.pageSize ? this.replayUpTo : page[page.length - 1]!.revision;
    return page;
  }

  async return(): Promise<IteratorResult<WatchEvent[]>> {
    this.error = undefined;
    this.finish();
    return DONE;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent[]> { return this; }
}
