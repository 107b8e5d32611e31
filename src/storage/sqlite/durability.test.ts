// Every write the store acknowledged survives SIGKILL of the process that made it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStorage } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'kite-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child until it has acknowledged at least `minAcks` keys, then SIGKILLs it. */
async function writeAndKill(path: string, tag: string, minAcks: number): Promise<string[]> {
  const self = fileURLToPath(import.meta.url);
  // Under tsx the sources are .ts and need its loader; compiled to dist/ they are .js.
  const compiled = self.endsWith('.js');
  const script = join(dirname(self), compiled ? 'durability-child.js' : 'durability-child.ts');
  const args = compiled ? [script] : ['--import', import.meta.resolve('tsx'), script];
  const child = spawn(process.execPath, [...args, path, tag, '32'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!;
    acked.push(...lines);
    if (acked.length >= minAcks) child.kill('SIGKILL');
  });
  const signal = await exited;
  clearTimeout(timer);
  assert.ok(acked.length >= minAcks, `child acknowledged only ${acked.length} writes; stderr: ${stderr}`);
  assert.equal(signal, 'SIGKILL');
  return acked;
}

test('acknowledged creates survive kill -9', async () => {
  const path = join(dir, 'kite.db');
  const acked: string[] = [];
  // A second round proves the store recovers after a kill and keeps its guarantee.
  for (const tag of ['first', 'second']) {
    acked.push(...await writeAndKill(path, tag, 400));
    const s = await SqliteStorage.open(path);
    try {
      for (const key of acked) {
        const kv = await s.get(key);
        assert.ok(kv, `acknowledged key ${key} is missing after kill -9`);
        assert.equal(new TextDecoder().decode(kv.value), `value of ${key}`);
      }
      assert.ok(await s.currentRevision() >= acked.length);
      const listed = await s.list('/durability/');
      const revisions = listed.kvs.map((kv) => kv.modRevision);
      assert.equal(new Set(revisions).size, revisions.length);
    } finally {
      await s.close();
    }
  }
});
