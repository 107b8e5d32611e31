// ControllerExpectations: how many creations and deletions a controller has asked for
// and not yet seen in its cache. While any are outstanding the controller must not act
// on the (stale) cache again, or it would create or delete twice. Records expire after
// five minutes, so a lost watch event cannot wedge a controller forever.
import { realClock, type Clock } from '../util/clock.js';

/** upstream ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record { add: number; del: number; timestamp: number }

export class ControllerExpectations {
  private readonly records = new Map<string, Record>();
  constructor(private readonly clock: Clock = realClock, private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  get(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }

  /**
   * True when the controller may sync the key: nothing is recorded, everything expected
   * was observed, or the record is older than the TTL.
   */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    return (r.add <= 0 && r.del <= 0) || this.clock.now() - r.timestamp > this.ttlMs;
  }

  /** Replaces the record (and restarts its TTL). */
  set(key: string, add: number, del: number): void {
    this.records.set(key, { add, del, timestamp: this.clock.now() });
  }

  expectCreations(key: string, n: number): void { this.set(key, n, 0); }
  expectDeletions(key: string, n: number): void { this.set(key, 0, n); }

  /** Adds to an existing record without restarting its TTL (no-op without one). */
  raise(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (r) { r.add += add; r.del += del; }
  }

  lower(key: string, add: number, del: number): void { this.raise(key, -add, -del); }

  creationObserved(key: string): void { this.lower(key, 1, 0); }
  deletionObserved(key: string): void { this.lower(key, 0, 1); }

  delete(key: string): void { this.records.delete(key); }
}

/**
 * Deletion expectations tracked by object key, for controllers that delete specific
 * objects and may see a deletion twice (update with deletionTimestamp, then delete).
 */
export class UIDTrackingExpectations extends ControllerExpectations {
  private readonly pending = new Map<string, Set<string>>();

  expectDeletionsOf(key: string, deletedKeys: string[]): void {
    this.pending.set(key, new Set(deletedKeys));
    this.expectDeletions(key, deletedKeys.length);
  }

  /** Counts a deletion once per object key. */
  deletionObservedOf(key: string, deletedKey: string): void {
    if (this.pending.get(key)?.delete(deletedKey)) this.deletionObserved(key);
  }

  override delete(key: string): void {
    super.delete(key);
    this.pending.delete(key);
  }
}
