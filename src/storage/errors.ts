// Errors beyond the ones in the contract (types.ts). All extend StorageError so callers
// can catch the whole family.
import { StorageError } from './types.js';

/** A read or compaction asked for a revision the store has not reached yet. */
export class FutureRevisionError extends StorageError {
  constructor(public requested: number, public current: number) {
    super(`revision ${requested} is in the future (current ${current})`);
  }
}

/** The store was closed; no further operations are accepted. */
export class StorageClosedError extends StorageError {
  constructor() { super('storage is closed'); }
}

/**
 * A watcher fell too far behind: more than `limit` events were buffered for it. The
 * watch ends with this error so writers are never held back; the caller re-watches
 * from the last revision it processed.
 */
export class WatchOverflowError extends StorageError {
  constructor(public limit: number) {
    super(`watcher fell behind: more than ${limit} events buffered`);
  }
}
