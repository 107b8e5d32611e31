import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage, SqliteStorage, StorageError, openStorage } from './index.js';

test('openStorage builds each backend', async () => {
  const mem = await openStorage('memory');
  assert.ok(mem instanceof MemoryStorage);
  await mem.close();
  await assert.rejects(openStorage('sqlite'), StorageError);
  const dir = mkdtempSync(join(tmpdir(), 'kite-open-storage-'));
  try {
    const sql = await openStorage('sqlite', { path: join(dir, 'kite.db') });
    assert.ok(sql instanceof SqliteStorage);
    await sql.create('/x', new Uint8Array([1]));
    assert.equal(await sql.currentRevision(), 1);
    await sql.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
