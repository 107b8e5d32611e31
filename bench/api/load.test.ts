import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, runLoad } from './load.js';
import { EventCounter } from './watch.js';

describe('percentile', () => {
  test('nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 0.5), 50);
    assert.equal(percentile(xs, 0.99), 99);
    assert.equal(percentile(xs, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });
});

describe('runLoad', () => {
  test('runs each index once, counts errors apart from successes', async () => {
    const seen: number[] = [];
    const r = await runLoad(4, 20, 10_000, async (i) => {
      seen.push(i);
      await new Promise((res) => setImmediate(res));
      if (i % 5 === 0) return 'bad';
      if (i === 7) throw new Error('thrown');
      return undefined;
    });
    assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    assert.equal(r.ok, 15);
    assert.equal(r.errors, 5);
    assert.equal(r.firstError, 'bad');
    assert.ok(r.p50Ms >= 0 && r.p99Ms >= r.p50Ms);
  });

  test('stops at the time bound', async () => {
    const r = await runLoad(2, 1_000_000, 50, () => new Promise((res) => setTimeout(() => res(undefined), 5)));
    assert.ok(r.ok > 0 && r.ok < 1_000_000);
    assert.ok(r.elapsedMs < 1000);
  });
});

describe('EventCounter', () => {
  const ev = (type: string, ns: string, name = 'cm-1') => JSON.stringify({ type, object: { kind: 'ConfigMap', metadata: { name, namespace: ns } } }) + '\n';

  test('counts ADDED events in the benchmark namespaces across chunk boundaries', () => {
    const c = new EventCounter('kbench-', 'cm-');
    const stream = ev('ADDED', 'kbench-1') + ev('ADDED', 'kube-system') + ev('MODIFIED', 'kbench-1') + ev('ADDED', 'kbench-64') + ev('ADDED', 'kbench-64', 'kube-root-ca.crt');
    for (let i = 0; i < stream.length; i += 7) c.push(stream.slice(i, i + 7));
    assert.equal(c.added, 2);
    assert.equal(c.other, 1);
  });

  test('falls back to JSON when "type" is not the first key', () => {
    const c = new EventCounter('kbench-', 'cm-');
    c.push(JSON.stringify({ object: { metadata: { name: 'cm-7', namespace: 'kbench-1' } }, type: 'ADDED' }) + '\n');
    assert.equal(c.added, 1);
    assert.throws(() => c.push('not json\n'));
  });
});
