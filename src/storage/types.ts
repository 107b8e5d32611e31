// The kine-like storage contract. Backends store opaque bytes under string keys and
// number every change with one global, strictly increasing revision. They know nothing
// about Kubernetes objects: the API server encodes and decodes values.

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** Revision of the write that created this key (its current incarnation). */
  createRevision: number;
  /** Revision of the last write to this key. */
  modRevision: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

export interface WatchEvent {
  type: WatchEventType;
  /** For 'delete' the value is the last value the key had before it was deleted. */
  kv: KeyValue;
  /** For 'update': the value before this write. */
  prev?: KeyValue;
  /** The revision of this event (kv.modRevision for create/update; the deletion revision for delete). */
  revision: number;
}

export interface ListOptions {
  /** Read as of this revision (0 or absent: current). Fails with CompactedError if compacted. */
  revision?: number;
  /** Return at most this many keys (0 or absent: all). */
  limit?: number;
  /** Start strictly after this key (continue token support). */
  startAfter?: string;
}

export interface ListResult {
  kvs: KeyValue[];
  /** The revision the list was read at. */
  revision: number;
  /** True when more keys matched than were returned. */
  more: boolean;
  /** Keys still left after the returned ones (only when more is true; may be an estimate). */
  remaining?: number;
}

export interface WatchOptions {
  /** Deliver every event with revision > afterRevision (0: only events after the current revision). */
  afterRevision: number;
  signal: AbortSignal;
}

export interface Watcher {
  /**
   * Events for keys under the prefix in revision order, gap free. The iterator ends when
   * the signal aborts or the store closes. It throws CompactedError when afterRevision is
   * older than the compaction point.
   */
  events: AsyncIterable<WatchEvent[]>;
}

export interface Storage {
  /** Create key; throws KeyExistsError if it exists. Resolves to the new revision once durable. */
  create(key: string, value: Uint8Array): Promise<KeyValue>;
  get(key: string): Promise<KeyValue | undefined>;
  /** Update key if its modRevision equals expected; throws ConflictError (with current kv) or NotFoundError. */
  update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue>;
  /**
   * Delete key; when expectedModRevision is given it must match (else ConflictError).
   * Resolves to the deleted kv (its last value) and the deletion revision.
   */
  delete(key: string, expectedModRevision?: number): Promise<{ kv: KeyValue; revision: number }>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  watch(prefix: string, opts: WatchOptions): Watcher;
  /** Forget history at or below revision; later reads or watches below it throw CompactedError. */
  compact(revision: number): Promise<void>;
  currentRevision(): Promise<number>;
  /** The oldest revision still readable (compaction point). */
  compactedRevision(): Promise<number>;
  close(): Promise<void>;
}

export class StorageError extends Error {}
export class KeyExistsError extends StorageError {
  constructor(public key: string) { super(`key exists: ${key}`); }
}
export class NotFoundError extends StorageError {
  constructor(public key: string) { super(`key not found: ${key}`); }
}
export class ConflictError extends StorageError {
  constructor(public key: string, public current: KeyValue | undefined) { super(`revision conflict on ${key}`); }
}
export class CompactedError extends StorageError {
  constructor(public requested: number, public compacted: number) {
    super(`revision ${requested} has been compacted (oldest available ${compacted})`);
  }
}
