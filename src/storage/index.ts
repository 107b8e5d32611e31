// The storage layer's public surface: the contract, the backends and a factory.
export * from './types.js';
export * from './errors.js';
export { WatchHub, type WatchHistory, type WatchHubOptions } from './watch.js';
export { MemoryStorage } from './memory/memory.js';
export { SqliteStorage, type SqliteOptions, type SqliteStats } from './sqlite/sqlite.js';

import type { Storage } from './types.js';
import { StorageError } from './types.js';
import { MemoryStorage } from './memory/memory.js';
import { SqliteStorage, type SqliteOptions } from './sqlite/sqlite.js';

export type StorageKind = 'memory' | 'sqlite';

export interface OpenStorageOptions extends SqliteOptions {
  /** Database file for 'sqlite'. */
  path?: string;
}

export async function openStorage(kind: StorageKind, opts: OpenStorageOptions = {}): Promise<Storage> {
  switch (kind) {
    case 'memory':
      return new MemoryStorage(opts);
    case 'sqlite':
      if (!opts.path) throw new StorageError('sqlite storage needs a path');
      return SqliteStorage.open(opts.path, opts);
  }
}
